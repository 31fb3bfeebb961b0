"""The Catalog tab's callbacks: the filtered, ranked model table and the memory/time estimator.

Both size the default run of the task (``finetune.config.defaults``): the same run the agent's plan starts from,
so the table's "fits here" and a plan agree.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from catalog.errors import TunewiseError
from finetune.config.run import format_validation_error

METHODS = ["qlora", "lora", "full"]


def languages() -> list[str]:
    """Language codes the catalog's models cover, most common first ("any" on top)."""
    from collections import Counter

    from catalog import load_catalog

    counts = Counter(code for model in load_catalog().models for code in model.languages)
    return ["any", *(code for code, _ in counts.most_common())]


def model_ids() -> list[str]:
    """All catalog ids, smallest model first."""
    from catalog import load_catalog

    return [m.id for m in sorted(load_catalog().models, key=lambda m: m.params)]


def catalog_table(task: str, language: str, license_kind: str, max_params_m: float, fits_only: bool) -> Any:
    """The catalog table, filtered and ranked for this machine."""
    import pandas as pd

    from catalog.hardware import detect_hardware
    from catalog.search import search_models
    from finetune.config.defaults import default_estimate_shape

    wanted = None if task == "any" else task
    hits = search_models(task=wanted, language=None if language in ("any", "") else language,
                         license="permissive" if license_kind == "permissive" else None,
                         max_params=int(max_params_m * 1e6) if max_params_m else None, hardware=detect_hardware(),
                         shape_for=lambda entry: default_estimate_shape(wanted, entry))
    rows = [{"model": h.entry.id, "tasks": ", ".join(h.entry.tasks), "params (M)": round(h.entry.params / 1e6),
             "license": h.entry.license, "available": h.available, "fits here": "yes" if h.fits else "no",
             "QLoRA memory (GB)": round(h.memory.total_gb, 1)}
            for h in hits if h.fits or not fits_only]
    return pd.DataFrame(rows)


def estimate_markdown(model_id: str | None, seq_len: float | None, batch_size: float | None,
                      method: str | None) -> str:
    """The estimator's answer for one model and setting, as Markdown (errors as a readable line).

    An empty tokens, batch or method field takes the default run's value for the model's primary task.
    """
    from assistant.tools.estimates import estimate_for
    from assistant.tools.schemas import EstimateArgs

    if not model_id:
        return "Pick a model to estimate."
    try:
        text, est = estimate_for(EstimateArgs(model_id=model_id, seq_len=None if seq_len is None else int(seq_len),
                                              batch_size=None if batch_size is None else int(batch_size),
                                              method=method or None))
    except TunewiseError as exc:
        return f"⚠️ {exc}"
    except ValidationError as exc:  # a value out of range
        return f"⚠️ {format_validation_error(exc, subject='The estimate')}"
    parts = " · ".join(f"{name} {gb:.2f} GB" for name, gb in est.get("breakdown", {}).items())
    verdict = "fits" if est["fits"] else "does NOT fit"
    return (f"**{est['memory_gb']:.1f} GB** peak for {est['method'].upper()} at {est['seq_len']} tokens × batch "
            f"{est['batch_size']} — {verdict} on {est['hardware']}.  \n{parts}  \nTime: {text.split('~')[-1]}")
