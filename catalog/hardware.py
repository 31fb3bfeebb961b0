"""The hardware at hand: accelerator, its memory, system RAM and CPU cores.

torch is imported lazily inside :func:`detect_hardware`, so importing this module is cheap.
"""

from __future__ import annotations

import functools
import logging
import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

logger = logging.getLogger(__name__)

Device = Literal["cpu", "cuda", "mps"]

_GIB = 1024**3


class Hardware(BaseModel):
    """What training can use. Memory sizes are GiB (2**30 bytes), as torch and nvidia-smi report them."""

    model_config = ConfigDict(frozen=True)

    device: Device = Field(description="Where training runs: cpu, cuda or mps.")
    gpu_name: str | None = Field(default=None, description="Accelerator name, e.g. 'NVIDIA H100 80GB HBM3'.")
    gpu_memory_gb: float | None = Field(default=None, description="Accelerator memory in GiB.", ge=0)
    ram_gb: float = Field(description="System RAM in GiB.", ge=0)
    cpu_count: int = Field(description="Logical CPU cores available.", ge=1)

    @property
    def training_memory_gb(self) -> float:
        """Memory that holds the model during training: GPU memory on CUDA, RAM otherwise.

        Apple MPS shares system RAM, so it counts RAM too.
        """
        if self.device == "cuda" and self.gpu_memory_gb:
            return self.gpu_memory_gb
        return self.ram_gb

    def describe(self) -> str:
        """One line for humans, e.g. 'NVIDIA T4 (15 GB), 4 CPU cores, 16 GB RAM'."""
        cores = f"{self.cpu_count} CPU core{'s' if self.cpu_count != 1 else ''}"
        if self.device == "cuda":
            gpu = f"{self.gpu_name or 'CUDA GPU'} ({self.gpu_memory_gb or 0:.0f} GB)"
            return f"{gpu}, {cores}, {self.ram_gb:.0f} GB RAM"
        if self.device == "mps":
            return f"Apple GPU (MPS, shares {self.ram_gb:.0f} GB RAM), {cores}"
        return f"CPU only: {cores}, {self.ram_gb:.0f} GB RAM"


@functools.lru_cache(maxsize=1)
def detect_hardware() -> Hardware:
    """Detect the device training would use; the result is cached for the process.

    CUDA wins over MPS, MPS over CPU. A missing or broken torch install means CPU.

    Returns:
        The detected hardware.
    """
    ram_gb = _ram_gb()
    cpu_count = _cpu_count()
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a hard dependency
        logger.warning("torch is not importable; assuming CPU-only hardware")
        return Hardware(device="cpu", ram_gb=ram_gb, cpu_count=cpu_count)

    try:
        if torch.cuda.is_available():
            props = torch.cuda.get_device_properties(0)
            return Hardware(
                device="cuda",
                gpu_name=str(props.name),
                gpu_memory_gb=round(props.total_memory / _GIB, 2),
                ram_gb=ram_gb,
                cpu_count=cpu_count,
            )
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return Hardware(device="mps", gpu_name="Apple MPS", ram_gb=ram_gb, cpu_count=cpu_count)
    except Exception:  # a broken driver must not stop the app; fall back to CPU
        logger.warning("Accelerator detection failed; assuming CPU", exc_info=True)
    return Hardware(device="cpu", ram_gb=ram_gb, cpu_count=cpu_count)


def _ram_gb() -> float:
    try:
        import psutil

        return round(psutil.virtual_memory().total / _GIB, 2)
    except Exception:  # pragma: no cover - psutil is a dependency; sysconf is the fallback
        pages = os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else 0
        return round(pages * os.sysconf("SC_PAGE_SIZE") / _GIB, 2) if pages else 0.0


def _cpu_count() -> int:
    # Respect CPU affinity / container limits where the OS exposes them.
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)
