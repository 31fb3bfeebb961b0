"""The default run for a task and model, and the estimator's view of a run.

``default_config(task, model)`` is where a plan starts: the preset of that task and model family when one exists
(``finetune/config/presets/``), else ``RunConfig``'s defaults for the task. ``estimate_shape(cfg)`` turns any run
into the :class:`catalog.plan_fit.EstimateShape` the memory and time estimators take, and
``default_estimate_shape(task, entry)`` is the shape of the default run, so the Catalog tab, the estimate tool,
the plan and the fit check all size the same job. ``default_model(task)`` is the model a run starts on when none is
named: the best catalog model for the task that can be loaded and trained on this machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalog.estimate import Method
from catalog.hardware import Hardware
from catalog.plan_fit import EstimateShape, entry_dims, fit_plan
from catalog.schema import ModelEntry
from catalog.search import RankedModel, search_models
from finetune.config.overrides import config_from
from finetune.config.presets import preset_for, read_preset
from finetune.config.run import TASK_MAX_LENGTH, RunConfig


def default_config(task: str | None, model_id: str, overrides: Mapping[str, Any] | None = None,
                   ) -> tuple[RunConfig, str | None]:
    """The run a plan for ``task`` on ``model_id`` starts from, with dotted ``overrides`` applied.

    Args:
        task: The task; ``RunConfig``'s default task when None.
        model_id: Catalog id, Hub id or model folder (``model.name``).
        overrides: Dotted field paths and values on top (``{"data.path": "x.csv", "train.epochs": 1}``).

    Returns:
        The validated config and the name of the preset it started from (None when there is none).

    Raises:
        ConfigError: Listing every unknown field and invalid value at once.
    """
    task = task or RunConfig.model_fields["task"].default
    preset = preset_for(task, model_id)
    base: dict[str, Any] = read_preset(preset) if preset else {}
    base["task"] = task
    cfg = config_from(base, {"model.name": model_id, **(overrides or {})})
    return cfg, preset


def estimate_shape(cfg: RunConfig) -> EstimateShape:
    """The estimator's view of a run: method, tokens per example, batch, accumulation, rank, checkpointing, epochs.

    Args:
        cfg: A validated run config.
    """
    method: Method = "full" if cfg.lora.method == "full" else "qlora" if cfg.quantization.bits == 4 else "lora"
    return EstimateShape(method=method, seq_len=cfg.data.max_length or TASK_MAX_LENGTH[cfg.task], batch_size=cfg.train.batch_size,
                         gradient_accumulation=cfg.train.gradient_accumulation, lora_rank=cfg.lora.r,
                         gradient_checkpointing=cfg.train.gradient_checkpointing, epochs=cfg.train.epochs)


def default_estimate_shape(task: str | None, entry: ModelEntry) -> EstimateShape:
    """The shape of the default run (:func:`default_config`) for ``task`` on a catalog model.

    Args:
        task: The task; the model's primary task when None or not one of its tasks.
        entry: The catalog model; tokens per example are capped at its context length.
    """
    if task not in entry.tasks:
        task = entry.tasks[0]
    cfg, _ = default_config(task, entry.id)
    shape = estimate_shape(cfg)
    return shape.model_copy(update={"seq_len": min(shape.seq_len, entry.context_length)})


def default_model(task: str, hardware: Hardware | None = None) -> RankedModel | None:
    """The best catalog model for ``task`` that can be loaded here and that can be trained on this machine.

    Models are ranked as the Catalog tab ranks them (``catalog.search``: fit, availability, size, licence,
    architecture); the first one that is packaged, cached or downloadable now and whose default run fits, as it
    is or once ``catalog.plan_fit.fit_plan`` has shrunk it (the pre-flight fit every job gets), wins.

    Args:
        task: The task.
        hardware: The machine; detected when None.

    Returns:
        The ranked model (its ``reason`` says why it ranks high), or None when no model can be loaded and fit.
    """
    from catalog import hardware as machine

    hw = hardware or machine.detect_hardware()
    hits = search_models(task=task, hardware=hw, available_only=True,
                         shape_for=lambda entry: default_estimate_shape(task, entry))
    for hit in hits:
        shape = default_estimate_shape(task, hit.entry)
        if hit.fits or fit_plan(hit.entry.params, hw, shape, batch_first=hw.device == "cpu",
                                **entry_dims(hit.entry)) is not None:
            return hit
    return None
