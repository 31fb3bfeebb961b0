"""Sizing a training plan for a machine: the plan's shape, its memory on a catalog model, and the cheapest
changes that make it fit.

``EstimateShape`` is what the estimator needs to know about a plan: method, tokens per example, batch,
accumulation, LoRA rank, checkpointing and passes. It has no defaults on purpose: the default plan is
``RunConfig``'s (``finetune.config.defaults.default_estimate_shape``; ``catalog`` cannot import ``finetune``), so
the Catalog tab, the estimate tool, the plan and the fit check all size the same job.
:data:`REFERENCE_SHAPE` is the one fixed shape here: the mid-size job the estimator's docstring quotes, which
ranking uses when a caller gives no plan shape.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from catalog.estimate import MemoryEstimate, Method, estimate_training_memory, fits
from catalog.hardware import Hardware
from catalog.schema import ModelEntry

MIN_SEQ_LEN = 128
"""Shortest sequence length :func:`fit_plan` proposes: shorter truncates most real examples."""


class EstimateShape(BaseModel):
    """The plan as the estimator sees it (build it from a run config, never by hand with made-up values)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Method = Field(description="qlora (4-bit base + LoRA), lora (16-bit base + LoRA) or full.")
    seq_len: int = Field(gt=0, description="Tokens per example after truncation.")
    batch_size: int = Field(gt=0, description="Examples per device per step.")
    gradient_accumulation: int = Field(ge=1, description="Steps whose gradients are summed per update.")
    lora_rank: int = Field(gt=0, description="LoRA rank r (ignored for full fine-tuning).")
    gradient_checkpointing: bool = Field(description="Recompute activations in the backward pass.")
    epochs: float = Field(gt=0, description="Passes over the training data (for the time estimate).")


REFERENCE_SHAPE = EstimateShape(method="qlora", seq_len=512, batch_size=8, gradient_accumulation=1, lora_rank=16,
                                gradient_checkpointing=True, epochs=1.0)
"""A mid-size QLoRA job (512 tokens x 8, r = 16, checkpointing): what ranking sizes when given no plan shape."""


def entry_dims(entry: ModelEntry) -> dict[str, Any]:
    """The estimator's model-dimension arguments from a catalog entry (guessed from the size where unknown).

    Args:
        entry: A catalog entry.
    """
    return {"hidden_size": entry.hidden_size, "num_layers": entry.num_layers, "vocab_size": entry.vocab_size,
            "lm_head": entry.model_type_class != "encoder"}


def estimate_shape_memory(params: int, hardware: Hardware, shape: EstimateShape, **dims: Any) -> MemoryEstimate:
    """Peak memory of a plan of ``shape`` on a model of ``params`` parameters on ``hardware``.

    Args:
        params: Total parameter count.
        hardware: The machine (decides the device-specific constants).
        shape: The plan.
        **dims: ``hidden_size``, ``num_layers``, ``vocab_size``, ``lm_head`` (see :func:`entry_dims`).
    """
    return estimate_training_memory(params, method=shape.method, seq_len=shape.seq_len, batch_size=shape.batch_size,
                                    lora_rank=shape.lora_rank, gradient_checkpointing=shape.gradient_checkpointing,
                                    device=hardware.device, **dims)


def estimate_for_entry(entry: ModelEntry, hardware: Hardware, shape: EstimateShape = REFERENCE_SHAPE) -> MemoryEstimate:
    """Training memory of a catalog model, using its real shape (hidden size, layers, vocabulary).

    Args:
        entry: A catalog entry.
        hardware: The machine (decides the fixed overhead).
        shape: The plan; its tokens per example are capped at the model's context length.
    """
    capped = shape.model_copy(update={"seq_len": min(shape.seq_len, entry.context_length)})
    return estimate_shape_memory(entry.params, hardware, capped, **entry_dims(entry))


class PlanFit(BaseModel):
    """Settings that make a training plan fit the machine, and what changed to get there."""

    batch_size: int
    gradient_accumulation: int
    gradient_checkpointing: bool
    seq_len: int
    estimate: MemoryEstimate
    changes: list[str] = Field(description="What was changed, in words; empty when the plan fits as it is.")


def fit_plan(params: int, hardware: Hardware, shape: EstimateShape, *, min_seq_len: int = MIN_SEQ_LEN,
             batch_first: bool = False, **dims: Any) -> PlanFit | None:
    """Adjust a plan until its estimated peak fits ``hardware``, keeping the effective batch.

    Tries, in order of cost to the result: gradient checkpointing (slower, same maths), then halving
    the per-step batch while doubling gradient accumulation (same effective batch), then halving the
    sequence length down to ``min_seq_len`` (truncates long examples). With ``batch_first`` the batch is
    halved before checkpointing is turned on: on a CPU a smaller batch costs almost no speed while
    checkpointing recomputes the forward pass (half as much compute again for LoRA).

    Args:
        params: Total parameter count.
        hardware: The machine to fit.
        shape: The planned run.
        min_seq_len: Shortest sequence length worth proposing.
        batch_first: Halve the batch (down to 1) before turning gradient checkpointing on.
        **dims: ``hidden_size``, ``num_layers``, ``vocab_size``, ``lm_head`` for the estimator.

    Returns:
        The first fitting settings (``changes`` empty if nothing had to change), or None when even the
        smallest setting does not fit.
    """

    def estimate(batch: int, checkpointing: bool, seq: int) -> MemoryEstimate:
        tried = shape.model_copy(update={"batch_size": batch, "gradient_checkpointing": checkpointing,
                                         "seq_len": seq})
        return estimate_shape_memory(params, hardware, tried, **dims)

    batch, accumulation = shape.batch_size, shape.gradient_accumulation
    checkpointing, seq = shape.gradient_checkpointing, shape.seq_len
    changes: list[str] = []
    est = estimate(batch, checkpointing, seq)
    if fits(est, hardware):
        return PlanFit(batch_size=batch, gradient_accumulation=accumulation, gradient_checkpointing=checkpointing,
                       seq_len=seq, estimate=est, changes=changes)
    start_batch = batch

    def halve_batch() -> None:
        nonlocal batch, accumulation, est
        while not fits(est, hardware) and batch > 1:
            batch, accumulation = batch // 2, accumulation * 2
            est = estimate(batch, checkpointing, seq)

    if batch_first:
        halve_batch()
    if not checkpointing and not fits(est, hardware):
        checkpointing = True
        changes.append("gradient checkpointing on (about 30 % slower, same result)")
        est = estimate(batch, checkpointing, seq)
    halve_batch()
    if batch != start_batch:
        changes.insert(0 if batch_first else len(changes),
                       f"batch {start_batch} -> {batch} per step with gradient accumulation {accumulation} "
                       "(same effective batch)")
    start_seq = seq
    while not fits(est, hardware) and seq // 2 >= min_seq_len:
        seq //= 2
        est = estimate(batch, checkpointing, seq)
    if seq != start_seq:
        changes.append(f"max length {start_seq} -> {seq} tokens (longer examples are truncated)")
    if not fits(est, hardware):
        return None
    return PlanFit(batch_size=batch, gradient_accumulation=accumulation, gradient_checkpointing=checkpointing,
                   seq_len=seq, estimate=est, changes=changes)


def smallest_shape(shape: EstimateShape, min_seq_len: int = MIN_SEQ_LEN) -> EstimateShape:
    """The least memory :func:`fit_plan` would try for ``shape``: batch 1, ``min_seq_len`` tokens, checkpointing.

    Args:
        shape: The planned run.
        min_seq_len: Shortest sequence length worth proposing.
    """
    return shape.model_copy(update={"batch_size": 1, "seq_len": min(shape.seq_len, min_seq_len),
                                    "gradient_checkpointing": True})
