"""The pre-flight fit: what every way of starting a job runs before the job is queued.

The command line (flags, ``train CONFIG``, presets) and the agent's ``start_finetune`` tool (and so the page)
call :func:`preflight` on the run they are about to submit. It reads the data as the model will see it and
changes the plan where the defaults would not suit this data or this machine, saying what it changed:

1. **Length from the data** (decoder-only models): the examples are rendered with the model's chat template
   and tokenized; ``data.max_length`` becomes their 99th percentile rounded up to a multiple of 64, capped by
   the model's context, instead of a fixed 1024.
2. **Memory**: ``catalog.plan_fit.fit_plan`` shrinks the batch (with gradient accumulation, so the effective
   batch stays), turns gradient checkpointing on, and as a last resort shortens sequences, until the
   estimated peak fits the machine with its margin. On a CPU the batch goes first (a smaller batch costs a
   CPU almost no speed; checkpointing costs half as much compute again). This always runs: no plan may be
   killed by the out-of-memory killer on the machine it was planned for.
3. **Time** (CPU only): when the estimated training time passes :data:`CPU_TIME_BUDGET_S`, ``train.max_steps``
   is capped so that it does not, and the change says how to train longer.

Fields the user set (``explicit``: flags, ``KEY=VALUE``, a config file's own fields, the tool's arguments) keep
their value in steps 1 and 3; step 2 changes them only when they would not fit. The time estimate is
``catalog.estimate_time``'s FLOP count on the training rows' real token counts (its CPU throughput assumption
gives 149 tokens/s for SmolLM2-135M QLoRA on 2 cores, against 183 measured: a little pessimistic, on the
safe side).
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from catalog.errors import TunewiseError
from catalog.estimate import memory_budget_gb
from catalog.estimate_time import estimate_training_time, format_duration
from catalog.hardware import Hardware
from catalog.plan_fit import entry_dims, estimate_shape_memory, fit_plan, smallest_shape
from finetune.config.defaults import estimate_shape
from finetune.config.run import RunConfig
from finetune.data.intake import LoadedData
from finetune.train.budget import gpus_here, scoring_seconds, sharded_gb

log = logging.getLogger(__name__)

CPU_TIME_BUDGET_S = 360.0
"""Longest training a default plan may take on a CPU-only machine."""
CPU_JOB_BUDGET_S = 480.0
"""Longest whole job (training + scoring base and tuned on the held-out rows) a default CPU plan may take."""
LENGTH_PERCENTILE = 99
"""Examples longer than this percentile of the training rows are truncated by the data-driven length."""
LENGTH_MULTIPLE = 64
"""The data-driven length is rounded up to a multiple of this (friendlier to kernels, stable across reruns)."""
MIN_LENGTH = 64
LENGTH_SAMPLE = 4000
"""Training rows whose token lengths are measured (a seeded sample of larger datasets)."""


@dataclass
class Preflight:
    """The run after the pre-flight fit, what changed, and the figures it was judged on."""

    config: RunConfig
    changes: list[str]
    """What the fit changed, in words; empty when the plan suited the data and the machine as it was."""
    hardware: Hardware
    train_rows: int
    held_out_rows: int
    steps: int
    """Optimizer steps the run will take."""
    memory_gb: float | None
    """Estimated peak memory (None for a model whose size could not be read)."""
    seconds: float | None
    """Estimated training time (None when it could not be estimated)."""
    eval_seconds: float | None = None
    """Estimated time to score base and tuned on the held-out rows (generative jobs on a CPU; else None)."""
    lengths: dict[str, int] = field(default_factory=dict)
    """Tokens per training example as the model sees it: p50, p95, p99 and max (empty when not measured)."""

    @property
    def time(self) -> str:
        """The training time for people, e.g. 'about 6 minutes' ('unknown' when not estimated)."""
        return "unknown" if self.seconds is None else f"about {format_duration(self.seconds)}"

    @property
    def time_with_scoring(self) -> str:
        """Training time, and the held-out scoring that follows when it was estimated."""
        if self.eval_seconds is None:
            return self.time
        return f"{self.time}, then about {format_duration(self.eval_seconds)} scoring base and tuned on the held-out rows"

    def summary(self) -> list[str]:
        """The plan in a few lines for the command line: shape, memory, time, lengths and every change."""
        cfg = self.config
        t = cfg.train
        method = "full fine-tuning" if cfg.lora.method == "full" else \
            "QLoRA (4-bit base)" if cfg.quantization.bits == 4 else f"LoRA ({cfg.quantization.bits}-bit base)"
        lines = [f"plan: {cfg.task} on {cfg.model.name}, {method}; {self.train_rows} training rows, "
                 f"{self.held_out_rows} held out",
                 f"  batch {t.batch_size} x {cfg.data.max_length} tokens, gradient accumulation "
                 f"{t.gradient_accumulation} ({t.batch_size * t.gradient_accumulation} examples per update), "
                 f"gradient checkpointing {'on' if t.gradient_checkpointing else 'off'}, {self.steps} steps"]
        memory = "unknown" if self.memory_gb is None else f"{self.memory_gb:.1f} GB"
        lines.append(f"  estimated peak memory {memory} of {memory_budget_gb(self.hardware):.1f} GB allowed on "
                     f"{self.hardware.describe()}; training {self.time_with_scoring}")
        if self.lengths:
            lines.append("  tokens per example: " + ", ".join(f"{k} {v}" for k, v in self.lengths.items()))
        lines += [f"  changed: {change}" for change in self.changes]
        return lines


def preflight(cfg: RunConfig, *, explicit: Collection[str] = (), loaded: LoadedData | None = None,
              hardware: Hardware | None = None) -> Preflight:
    """Fit a run to its data and this machine before it is queued (see the module docstring).

    Args:
        cfg: The run as configured (its data path already checked by the caller: confined for the tools, the
            user's own for the command line).
        explicit: Dotted fields the user set (``data.max_length``, ``train.max_steps``, ...): kept as given
            unless they do not fit in memory.
        loaded: The dataset, when the caller has loaded it already (else it is loaded here).
        hardware: The machine; detected when None.

    Returns:
        The fitted run, the changes in words and the figures behind them.

    Raises:
        DataError: When the dataset cannot be used (every problem listed).
        TunewiseError: When the model does not fit this machine even at batch 1 with short sequences.
    """
    from catalog import hardware as machine
    from finetune.data.splits import split_records

    hw = hardware or machine.detect_hardware()
    explicit = set(explicit)
    loaded = loaded or _load(cfg)
    data = cfg.model_dump()
    if cfg.task == "translation":  # the prompt names the languages: measure what the model will see
        data["data"]["source_lang"] = cfg.data.source_lang or loaded.source_lang
        data["data"]["target_lang"] = cfg.data.target_lang or loaded.target_lang
    cfg = RunConfig.model_validate(data)
    splits = split_records(loaded.records, task=cfg.task, eval_fraction=cfg.data.eval_fraction, seed=cfg.data.seed)
    train = [loaded.records[i] for i in splits["train"]]
    held = len(splits.get("validation", [])) + len(splits.get("test", []))
    model = _model_facts(cfg)
    changes: list[str] = []
    counts = _token_counts(cfg, train, model)
    lengths = _percentiles(counts)
    if model.kind == "causal" and lengths and "data.max_length" not in explicit:
        wanted = max(MIN_LENGTH, math.ceil(lengths["p99"] / LENGTH_MULTIPLE) * LENGTH_MULTIPLE)
        if model.context:
            wanted = min(wanted, model.context)
        if wanted != cfg.data.max_length:
            changes.append(f"max length {cfg.data.max_length} -> {wanted} tokens (the {LENGTH_PERCENTILE}th "
                           f"percentile of the training examples is {lengths['p99']} tokens)")
            cfg = _updated(cfg, {"data": {"max_length": wanted}})
    cfg, memory_gb, fit_changes = _fit_memory(cfg, model, hw)
    changes += fit_changes
    tokens = [min(n, cfg.data.max_length or n) for n in counts] if counts else []
    per_epoch = _steps_per_epoch(len(train), cfg)
    steps = _total_steps(cfg, per_epoch)
    seconds = _seconds(cfg, model, hw, tokens, len(train), steps, per_epoch)
    time_explicit = {"train.max_steps", "train.epochs"} & explicit
    eval_s = _eval_seconds(cfg, model, hw, held, tokens)
    budget = min(CPU_TIME_BUDGET_S, CPU_JOB_BUDGET_S - (eval_s or 0.0))
    budget = max(budget, CPU_TIME_BUDGET_S / 4)  # scoring many rows must not squeeze training to nothing
    if hw.device == "cpu" and seconds is not None and seconds > budget and not time_explicit:
        capped = max(1, int(steps * budget / seconds))
        if capped < steps:
            cfg = _updated(cfg, {"train": {"max_steps": capped}})
            seconds = seconds * capped / steps
            steps = capped
            changes.append(f"capped at {capped} steps to finish in about {format_duration(seconds)} on this CPU; "
                           "raise train.max_steps for a longer run")
    return Preflight(config=cfg, changes=changes, hardware=hw, train_rows=len(train), held_out_rows=held,
                     steps=steps, memory_gb=memory_gb, seconds=seconds, eval_seconds=eval_s, lengths=lengths)


def _load(cfg: RunConfig) -> LoadedData:
    from finetune.data.intake import load_data
    from finetune.workspace import job_input

    d = cfg.data
    columns = dict(d.columns)
    columns.update({k: v for k, v in (("text", d.text_column), ("label", d.label_column), ("split", d.split_column))
                    if v})
    return load_data(job_input(d.path), task=cfg.task, columns=columns or None)


def _updated(cfg: RunConfig, changes: dict[str, dict[str, Any]]) -> RunConfig:
    data = cfg.model_dump()
    for section, values in changes.items():
        data[section].update(values)
    if cfg.task == "question-answering" and data["data"]["doc_stride"] >= data["data"]["max_length"]:
        data["data"]["doc_stride"] = data["data"]["max_length"] // 2  # windows must overlap by less than a window
    return RunConfig.model_validate(data)


# ------------------------------------------------------------------------------------------------- the model
@dataclass
class _Model:
    """What the fit needs to know about the model: size, shape, kind, context and tokenizer."""

    params: int | None
    dims: dict[str, Any]
    kind: str | None
    context: int | None
    tokenizer: Any
    compute_params: int | None


def _model_facts(cfg: RunConfig) -> _Model:
    """The model's size and shape (catalog entry, else its folder's config), kind and tokenizer."""
    from catalog import load_catalog
    from finetune.train.model import model_kind, resolve_model_source

    entry = load_catalog().get(cfg.model.name)
    source, _ = resolve_model_source(cfg.model.name)
    try:
        kind: str | None = model_kind(cfg.task, source, revision=cfg.model.revision,
                                      trust_remote_code=cfg.model.trust_remote_code)
    except TunewiseError:
        kind = None  # a Hub model that is not here: the job itself will say so
    tokenizer = _tokenizer(source, cfg)
    if entry is not None:
        lookup = (entry.vocab_size or 0) * (entry.hidden_size or 0) if entry.model_type_class == "encoder" else 0
        # An encoder's input embedding is a table lookup: it holds parameters but does no matmul per token.
        return _Model(entry.params, entry_dims(entry), kind, entry.context_length, tokenizer,
                      max(entry.params - lookup, entry.params // 4))
    params, dims, context = _folder_facts(source)
    return _Model(params, dims, kind, context, tokenizer, params)


def _tokenizer(source: str, cfg: RunConfig) -> Any:
    try:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(source, revision=cfg.model.revision,
                                                  trust_remote_code=cfg.model.trust_remote_code)
        tokenizer.model_max_length = 10**9  # counting, not truncating: silence the long-input warning
        return tokenizer
    except Exception:  # noqa: BLE001 - a model that is not here yet: the fit works without lengths
        log.info("No tokenizer for %s; the fit goes without token lengths", source, exc_info=True)
        return None


def _folder_facts(source: str) -> tuple[int | None, dict[str, Any], int | None]:
    """Parameters, shape and context of a model folder outside the catalog (None where unreadable)."""
    try:
        from transformers import AutoConfig

        config = AutoConfig.from_pretrained(source)
        params = folder_params(source)
    except Exception:  # noqa: BLE001 - a Hub model that is not here: nothing to size
        log.info("Could not read the size of %s", source, exc_info=True)
        return None, {}, None
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    dims = {"hidden_size": getattr(text, "hidden_size", None) or getattr(text, "d_model", None),
            "num_layers": getattr(text, "num_hidden_layers", None) or getattr(text, "num_layers", None),
            "vocab_size": getattr(text, "vocab_size", None),
            "lm_head": not any(a.endswith(("ForSequenceClassification", "ForTokenClassification", "Model"))
                               for a in getattr(config, "architectures", None) or [])}
    context = getattr(text, "max_position_embeddings", None) or getattr(text, "n_positions", None)
    return params, {k: v for k, v in dims.items() if v is not None}, context


def folder_params(folder: str) -> int:
    """Parameters of the model in ``folder``, counted on the meta device (no weights are read).

    Args:
        folder: A model folder (or a cached Hub id).
    """
    import torch
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(folder)
    with torch.device("meta"):
        model = AutoModel.from_config(config)
    return sum(p.numel() for p in model.parameters())


# ------------------------------------------------------------------------------------------------ the data
def _token_counts(cfg: RunConfig, records: Sequence[dict[str, Any]], model: _Model) -> list[int]:
    """Tokens per training example as the model sees it (chat template applied for a decoder-only model)."""
    if model.tokenizer is None or not records:
        return []
    sample = list(records)
    if len(sample) > LENGTH_SAMPLE:
        sample = random.Random(cfg.data.seed).sample(sample, LENGTH_SAMPLE)
    try:
        texts = _rendered(cfg, sample, model)
        ids = model.tokenizer(texts, add_special_tokens=model.kind != "causal", truncation=False)["input_ids"]
    except Exception:  # noqa: BLE001 - e.g. a tokenizer with no chat template: the job itself will say so
        log.info("Could not measure token lengths for %s", cfg.model.name, exc_info=True)
        return []
    return [len(x) for x in ids]


def _rendered(cfg: RunConfig, records: Sequence[dict[str, Any]], model: _Model) -> list[str]:
    from finetune.data.file_checks import input_text
    from finetune.tasks.generative import TEXT_TASKS

    if model.kind == "causal":
        task = TEXT_TASKS[cfg.task]
        return [str(model.tokenizer.apply_chat_template(task.messages(r, cfg), tokenize=False)) for r in records]
    if model.kind == "seq2seq":
        task = TEXT_TASKS[cfg.task]
        return [task.prefix(cfg) + task.prompt(r, cfg)[0] for r in records]
    return [input_text(cfg.task, r) for r in records]


def _percentiles(counts: list[int]) -> dict[str, int]:
    if not counts:
        return {}
    ordered = sorted(counts)

    def at(q: float) -> int:
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]

    return {"p50": at(50), "p95": at(95), f"p{LENGTH_PERCENTILE}": at(LENGTH_PERCENTILE), "max": ordered[-1]}


# ---------------------------------------------------------------------------------------- memory and time
def _fit_memory(cfg: RunConfig, model: _Model, hw: Hardware) -> tuple[RunConfig, float | None, list[str]]:
    """Shrink batch / turn on checkpointing / shorten sequences until the estimated peak fits ``hw``."""
    if model.params is None:
        return cfg, None, []
    shape = estimate_shape(cfg)
    if model.context:
        shape = shape.model_copy(update={"seq_len": min(shape.seq_len, model.context)})
    fit = fit_plan(model.params, hw, shape, batch_first=hw.device == "cpu", **model.dims)
    if fit is None:
        least = smallest_shape(shape)
        need = estimate_shape_memory(model.params, hw, least, **model.dims)
        gpus = gpus_here(hw) if cfg.train.device != "cpu" and cfg.quantization.bits == 4 else 0
        for candidate in (shape, least) if gpus > 1 else ():
            full = estimate_shape_memory(model.params, hw, candidate, **model.dims)
            per_gpu = sharded_gb(full.breakdown, gpus)
            if per_gpu <= memory_budget_gb(hw):  # the launch rule shards it: each GPU's share must fit
                change = (f"does not fit one GPU (about {full.total_gb:.1f} GB): FSDP-QLoRA shards the 4-bit base "
                          f"over the {gpus} GPUs, about {per_gpu:.1f} GB each")
                if candidate is least:
                    cfg = _updated(cfg, {"train": {"batch_size": 1, "gradient_checkpointing": True,
                                                   "gradient_accumulation": shape.batch_size
                                                   * shape.gradient_accumulation},
                                         "data": {"max_length": least.seq_len}})
                    change += f", at batch 1 and {least.seq_len} tokens with gradient checkpointing"
                return cfg, round(per_gpu, 2), [change]
        raise TunewiseError(f"{cfg.model.name} does not fit here even with batch 1, {least.seq_len} tokens and "
                            f"gradient checkpointing: it needs about {need.total_gb:.1f} GB and {hw.describe()} "
                            f"allows {memory_budget_gb(hw):.1f} GB for training. Pick a smaller model from the "
                            "catalog.")
    if fit.changes:
        cfg = _updated(cfg, {"train": {"batch_size": fit.batch_size, "gradient_accumulation": fit.gradient_accumulation,
                                       "gradient_checkpointing": fit.gradient_checkpointing},
                             "data": {"max_length": fit.seq_len}})
    return cfg, round(fit.estimate.total_gb, 2), list(fit.changes)


def _eval_seconds(cfg: RunConfig, model: _Model, hw: Hardware, held: int, tokens: list[int]) -> float | None:
    """Time to score base and tuned on the held-out rows (see :func:`finetune.train.budget.scoring_seconds`)."""
    mean = sum(tokens) / len(tokens) if tokens else (cfg.data.max_length or 128) / 2
    return scoring_seconds(model.kind, model.compute_params, hw, min(held, cfg.eval.max_examples), mean)


def _steps_per_epoch(rows: int, cfg: RunConfig) -> int:
    batches = math.ceil(rows / cfg.train.batch_size)
    return max(1, math.ceil(batches / cfg.train.gradient_accumulation))


def _total_steps(cfg: RunConfig, per_epoch: int) -> int:
    if cfg.train.max_steps > 0:
        return cfg.train.max_steps
    return max(1, math.ceil(per_epoch * cfg.train.epochs))


def _seconds(cfg: RunConfig, model: _Model, hw: Hardware, tokens: list[int], rows: int, steps: int,
             per_epoch: int) -> float | None:
    """Training time: ``catalog.estimate_time`` on the tokens the steps will see (rows' real lengths)."""
    if model.compute_params is None or rows == 0:
        return None
    mean = sum(tokens) / len(tokens) if tokens else (cfg.data.max_length or 128) / 2
    examples = rows * steps / per_epoch  # rows per epoch x epochs the steps amount to
    method = estimate_shape(cfg).method
    took = estimate_training_time(model.compute_params, max(1, int(examples * mean)), method=method, hardware=hw,
                                  gradient_checkpointing=cfg.train.gradient_checkpointing)
    return took.seconds

