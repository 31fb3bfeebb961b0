"""Budgets of the pre-flight fit that depend on the machine: the held-out scoring time of a generative job on a
CPU, and how many GPUs share a sharded (FSDP-QLoRA) model."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from catalog.hardware import Hardware

#: Scoring one held-out row of a generative job on a CPU (the tuned model, then the prompted base with its worked
#: examples), for a 135M-parameter model on 2 cores: 1.7 s + 0.016 s per token of the row. Fitted on the
#: translation (58 rows of ~91 tokens: 184 s) and summarization (28 rows of ~251 tokens: 163 s) jobs of
#: 2026-12-03; scaled by parameters and cores for other models and machines.
EVAL_ROW_S, EVAL_TOKEN_S, EVAL_REF_PARAMS, EVAL_REF_CORES = 1.7, 0.016, 135e6, 2


def scoring_seconds(kind: str | None, compute_params: int | None, hw: Hardware, rows: int,
                    mean_tokens: float) -> float | None:
    """Time to score base and tuned on ``rows`` held-out rows of a generative job on a CPU (else None).

    Args:
        kind: The model kind (``causal`` and ``seq2seq`` generate; the others score in one forward pass).
        compute_params: Parameters that compute per token.
        hw: The machine.
        rows: Held-out rows that will be scored.
        mean_tokens: Mean tokens per row.
    """
    if hw.device != "cpu" or kind not in ("causal", "seq2seq") or compute_params is None or not rows:
        return None
    scale = (compute_params / EVAL_REF_PARAMS) * (EVAL_REF_CORES / max(1, hw.cpu_count))
    return rows * (EVAL_ROW_S + EVAL_TOKEN_S * mean_tokens) * scale


def gpus_here(hw: Hardware) -> int:
    """CUDA GPUs this process sees (``CUDA_VISIBLE_DEVICES`` respected); 0 on a CPU or MPS machine."""
    if hw.device != "cuda":
        return 0
    try:
        import torch

        return int(torch.cuda.device_count())
    except Exception:  # a broken driver: as if no GPU
        return 0


def sharded_gb(breakdown: dict[str, float], gpus: int) -> float:
    """Per-GPU peak under FSDP-QLoRA: the 4-bit weights, adapters and optimizer state split over ``gpus``;
    each GPU still holds its own activations and runtime overhead."""
    shared = breakdown.get("weights", 0.0) + breakdown.get("lora+optimizer", 0.0)
    return shared / gpus + breakdown.get("activations", 0.0) + breakdown.get("overhead", 0.0)
