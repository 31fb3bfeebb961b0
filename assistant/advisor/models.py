"""Models from the catalog to go with the advisor's decision.

For fine-tuning, the catalog's models of the task that train on the user's machine; for prompting or
retrieval, the most capable chat models that run there. The catalog is imported lazily, so the advice
stays available (without models) when the catalog search is missing or broken.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from catalog.hardware import Hardware

# Keeps the name the warnings had before this code moved out of assistant/advisor.py.
logger = logging.getLogger("assistant.advisor.advise")


class ModelPick(BaseModel):
    """A recommended model from the catalog."""

    id: str
    name: str
    reason: str


_AVAILABLE = {"packaged": "works offline (ships in a Python package)", "cached": "already in your local cache",
              "hub": "downloads from the Hugging Face Hub", "unavailable": "not downloadable right now"}
_CPU_PROMPT_MAX_PARAMS = 4_000_000_000  # above this, CPU generation is too slow for interactive use


def reference_hardware() -> Hardware:
    """The machine ranked for when none is given: a CPU-only laptop, so advice never probes the machine."""
    from catalog.hardware import Hardware

    return Hardware(device="cpu", ram_gb=16.0, cpu_count=8)


def pick_models(decision: str, task: str | None, hardware: Hardware,
                languages: list[str]) -> tuple[list[ModelPick], str]:
    """Top catalog models: for fine-tuning, models of the task that train here; otherwise chat models to use."""
    want = task if decision == "fine-tune" else "chat"
    if want is None:
        return [], "no task"
    try:
        from catalog.estimate import memory_budget_gb
        from catalog.search import search_models
    except ImportError:
        return [], "catalog search not available"
    language = next((code for code in languages if code != "en"), None)
    try:
        ranked = search_models(task=want, language=language, hardware=hardware)
        if not ranked and language:
            ranked = search_models(task=want, hardware=hardware)
    except Exception:  # the advice stays useful without models; the cause goes to the log
        logger.warning("catalog search failed for task %s", want, exc_info=True)
        return [], "catalog search failed"
    if decision == "fine-tune":
        ranked = sorted(ranked, key=lambda r: not r.fits)[:3]  # stable: keeps the catalog's order otherwise
        return [ModelPick(id=r.entry.id, name=r.entry.name, reason=r.reason.removeprefix(f"{r.entry.name}: ")
                          + ("" if r.fits else " It may not fit your hardware.")) for r in ranked], "ok"
    # Prompting needs no training, so capability matters most: the largest chat model that runs here
    # (4-bit weights take about 0.6 bytes a parameter; on a CPU, speed caps the size).
    budget_gb = memory_budget_gb(hardware)
    cap = math.inf if hardware.device == "cuda" else _CPU_PROMPT_MAX_PARAMS

    def runs(r: Any) -> bool:
        return r.entry.params <= cap and r.entry.params * 0.6 / 2**30 + 1.0 <= budget_gb

    ranked = sorted((r for r in ranked if runs(r)), key=lambda r: (r.entry.gated, -r.entry.params))[:3]
    role = ("Prompt it with your instructions and a few examples" if decision == "prompt"
            else "Let it answer from the passages retrieval finds")
    return [ModelPick(id=r.entry.id, name=r.entry.name,
                      reason=f"{role}; {r.entry.size_label} parameters, runs on this machine, "
                             f"{_AVAILABLE[r.available]}, {r.entry.license} licence.") for r in ranked], "ok"
