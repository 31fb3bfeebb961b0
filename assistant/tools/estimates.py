"""Memory and time estimates for the estimate tool, the Catalog tab's estimator and the plan.

All three size a run's :class:`catalog.plan_fit.EstimateShape`: the estimate tool and the Catalog tab the default
run's (``finetune.config.defaults``, the same run a plan starts from) with any values the user gave, the plan its
own config's. So they agree about whether a model fits.
"""

from __future__ import annotations

from typing import Any

from assistant.tools.schemas import EstimateArgs, Result
from catalog.plan_fit import EstimateShape

ESTIMATE_EXAMPLES = 1000
"""Training rows the estimate tool quotes its time for (there is no dataset yet)."""
PADDING_FACTOR = 1.5
"""Padded batch length / mean example length with length-grouped batches."""


def estimate_for(args: EstimateArgs, task: str | None = None) -> Result:
    """Memory and time for ``estimate_resources`` arguments on this machine, as ``(text, estimate)``.

    The default run of ``task`` (the model's primary task when None or not one of its tasks) fills in what the
    arguments leave out. Used by the tool and the Catalog tab.

    Args:
        args: Validated ``EstimateArgs``.
        task: The conversation's task, when known.

    Raises:
        TunewiseError: An unknown model (naming the closest catalog ids) or a path outside the workspace.
    """
    shape = default_shape(args.model_id, task)
    given = {"seq_len": args.seq_len, "batch_size": args.batch_size, "method": args.method}
    shape = shape.model_copy(update={k: v for k, v in given.items() if v is not None})
    est = estimate_run(args.model_id, shape, examples=ESTIMATE_EXAMPLES)
    text = (f"{shape.method.upper()} on {args.model_id} at {shape.seq_len} tokens x batch {shape.batch_size}: about "
            f"{est['memory_gb']:.1f} GB peak ({'fits' if est['fits'] else 'does NOT fit'} on {est['hardware']}); "
            f"~{est['time']} for {ESTIMATE_EXAMPLES:,} examples x {shape.epochs:g} epochs.")
    return text, est


def default_shape(model_id: str, task: str | None) -> EstimateShape:
    """The shape of the default run of ``task`` on a catalog model or a model folder."""
    from catalog import load_catalog
    from finetune.config.defaults import default_config, default_estimate_shape, estimate_shape

    entry = load_catalog().get(model_id)
    if entry is not None:
        return default_estimate_shape(task, entry)
    return estimate_shape(default_config(task, model_id)[0])


def estimate_run(model_id: str, shape: EstimateShape, *, examples: int, avg_tokens: float | None = None,
                 ) -> dict[str, Any]:
    """Memory of ``shape`` (at its full length: the worst batch) and time at the tokens training will really see.

    With dynamic padding a batch is padded to its longest example, about 1.5x the mean when lengths are grouped,
    and never past ``seq_len``; without a dataset, half of ``seq_len`` is assumed.

    Args:
        model_id: A catalog id or a model folder in the workspace.
        shape: The run.
        examples: Training rows.
        avg_tokens: Mean tokens per row of the dataset, when known.

    Raises:
        TunewiseError: An unknown model (naming the closest catalog ids) or a path outside the workspace.
    """
    from catalog import get_model, load_catalog
    from catalog.estimate import fits
    from catalog.estimate_time import estimate_training_time
    from catalog.hardware import detect_hardware
    from catalog.plan_fit import estimate_for_entry, estimate_shape_memory
    from finetune.train.model import resolve_model_source
    from finetune.train.preflight import folder_params

    hw = detect_hardware()
    per_example = min(shape.seq_len, PADDING_FACTOR * avg_tokens) if avg_tokens else shape.seq_len * 0.5
    tokens = int(examples * per_example * shape.epochs)
    entry = load_catalog().get(model_id)
    extra: dict[str, Any] = {}
    if entry is None:
        source, _ = resolve_model_source(model_id)
        if source == model_id:
            get_model(model_id)  # not a model folder either: raises, naming the closest catalog ids
        params = compute_params = folder_params(source)
        mem = estimate_shape_memory(params, hw, shape)
        extra = {"params": params}
    else:
        mem = estimate_for_entry(entry, hw, shape)
        model_id = entry.id
        # An encoder's input embedding is a table lookup: it holds parameters but does no matmul per token.
        lookup = (entry.vocab_size or 0) * (entry.hidden_size or 0) if entry.model_type_class == "encoder" else 0
        compute_params = max(entry.params - lookup, entry.params // 4)
    took = estimate_training_time(compute_params, tokens, method=shape.method, hardware=hw,
                                  gradient_checkpointing=shape.gradient_checkpointing)
    return {"model_id": model_id, "memory_gb": round(mem.total_gb, 2), "fits": fits(mem, hw),
            "breakdown": mem.breakdown, "seconds": round(took.seconds, 1), "time": took.describe(),
            "hardware": hw.describe(), "method": shape.method, "seq_len": shape.seq_len,
            "batch_size": shape.batch_size, **extra}

