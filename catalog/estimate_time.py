"""Training time, estimated from FLOPs and an assumed achieved throughput.

Time = FLOPs / achieved throughput. A training token costs 6*P FLOPs for full fine-tuning (forward 2P,
backward 4P) and 4*P for LoRA/QLoRA (the backward pass skips weight gradients of the frozen base);
gradient checkpointing re-runs the forward, adding 2*P. Achieved throughput is an assumption, documented in
``GPU_PEAK_TFLOPS`` and ``EFFICIENCY``: the GPU's dense bf16 peak times a model-FLOPs utilisation of 40 %
(full), 35 % (LoRA) or 25 % (QLoRA, which pays for dequantisation); Apple MPS 3 TFLOP/s achieved; a CPU a
40 GFLOP/s per core (at most 32 cores counted; measured 50-65 on this project's AVX-512 cores).
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

from catalog.estimate import Device, Method
from catalog.hardware import Hardware

# Dense bf16 (fp16 where there is no bf16) tensor-core peak, TFLOP/s; matched as a substring of the name.
GPU_PEAK_TFLOPS: tuple[tuple[str, float], ...] = (
    ("H200", 989.0),
    ("GH200", 989.0),
    ("H100 PCIE", 756.0),
    ("H100", 989.0),
    ("A100", 312.0),
    ("L40S", 362.0),
    ("RTX 6000 ADA", 364.0),
    ("L4", 121.0),
    ("A10G", 70.0),
    ("A10", 125.0),
    ("A6000", 155.0),
    ("RTX 4090", 165.0),
    ("RTX 3090", 71.0),
    ("V100", 125.0),
    ("T4", 65.0),
)
DEFAULT_GPU_PEAK_TFLOPS = 50.0
EFFICIENCY: dict[str, float] = {"full": 0.40, "lora": 0.35, "qlora": 0.25}
MPS_ACHIEVED_TFLOPS = 3.0
# bench/estimate_memory.py measured 50-65 GFLOP/s per core for float32 QLoRA steps on this project's
# AVX-512 server cores; 40 leaves room for laptop cores with AVX2 only.
CPU_ACHIEVED_GFLOPS_PER_CORE = 40.0
CPU_MAX_CORES_COUNTED = 32


class TimeEstimate(BaseModel):
    """Training time from a FLOP count and an assumed achieved throughput."""

    model_config = ConfigDict(frozen=True)

    seconds: float = Field(description="Estimated wall-clock seconds.")
    flops: float = Field(description="Total training FLOPs.")
    achieved_tflops: float = Field(description="Assumed achieved throughput, TFLOP/s.")
    device: Device
    assumption: str = Field(description="Where the throughput figure comes from.")

    def describe(self) -> str:
        """Duration for humans, e.g. 'about 12 minutes'."""
        return f"about {format_duration(self.seconds)}"



def achieved_tflops(method: Method, hardware: Hardware) -> tuple[float, str]:
    """The throughput assumed for ``method`` on ``hardware``, and a sentence saying why.

    Args:
        method: Training method.
        hardware: The machine.
    """
    if hardware.device == "cuda":
        name = (hardware.gpu_name or "").upper()
        peak = next((tf for key, tf in GPU_PEAK_TFLOPS if key in name), DEFAULT_GPU_PEAK_TFLOPS)
        eff = EFFICIENCY[method]
        return peak * eff, f"{peak:.0f} TFLOP/s bf16 peak x {eff:.0%} utilisation for {method}"
    if hardware.device == "mps":
        return MPS_ACHIEVED_TFLOPS, f"{MPS_ACHIEVED_TFLOPS:.0f} TFLOP/s assumed on Apple MPS"
    cores = min(hardware.cpu_count, CPU_MAX_CORES_COUNTED)
    return cores * CPU_ACHIEVED_GFLOPS_PER_CORE / 1000, (
        f"{CPU_ACHIEVED_GFLOPS_PER_CORE:.0f} GFLOP/s per core x {cores} CPU cores"
    )


def estimate_training_time(
    params: int,
    tokens: int,
    *,
    method: Method = "qlora",
    hardware: Hardware,
    gradient_checkpointing: bool = True,
) -> TimeEstimate:
    """Estimate training time from FLOPs (6*P per token full, 4*P LoRA, +2*P with checkpointing).

    Args:
        params: Total parameter count of the base model.
        tokens: Tokens processed in training (examples x tokens each x epochs).
        method: ``qlora``, ``lora`` or ``full``.
        hardware: The machine (decides the assumed throughput).
        gradient_checkpointing: Whether the forward pass is recomputed in the backward pass.

    Returns:
        Seconds, FLOPs and the throughput assumption.

    Raises:
        ValueError: ``params`` or ``tokens`` is not positive.
    """
    if params <= 0 or tokens <= 0:
        raise ValueError(f"params and tokens must be positive, got {params} and {tokens}")
    per_token = 6 * params if method == "full" else 4 * params
    if gradient_checkpointing:
        per_token += 2 * params
    flops = float(per_token) * tokens
    tflops, why = achieved_tflops(method, hardware)
    return TimeEstimate(
        seconds=flops / (tflops * 1e12),
        flops=flops,
        achieved_tflops=tflops,
        device=hardware.device,
        assumption=why,
    )


def format_duration(seconds: float) -> str:
    """Round a duration for humans: '45 seconds', '12 minutes', '3.5 hours', '2.0 days'.

    Args:
        seconds: A non-negative duration.
    """
    if seconds < 90:
        whole = max(1, math.ceil(seconds))
        return f"{whole} second{'s' if whole != 1 else ''}"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} minutes"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:.1f} days"
