"""Filter the catalog and rank what is left for the task, the language, the licence and the machine.

Ranking is a transparent additive score (see ``_score``), so the agent can explain a pick:

* the planned training (``shape_for``, else :data:`catalog.plan_fit.REFERENCE_SHAPE`) fits the hardware (per
  :mod:`catalog.plan_fit`): +4, otherwise -4;
* offline availability: packaged +3, in the local cache +2, downloadable from the Hub +1;
* size: on CPU/MPS smaller is better (-1 per tenfold above 25M params, a further -1 above the CPU-trainable
  size); on a GPU a mild bonus for capacity (+0.5 per tenfold above 100M, at most +1.5) when it fits;
* licence: permissive +1, gated repo -0.5;
* language: listed +1, covered as a multilingual model +0.5;
* task: the architecture class native to the task (encoder for classification/NER/QA, encoder-decoder for
  summaries/translation, causal for chat) +1, and +0.25 when the task is the model's primary one.

Ties break on fewer parameters, then on the id, so the order is deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict

from catalog import load_catalog
from catalog.availability import Availability, availability
from catalog.errors import ConfigError
from catalog.estimate import MemoryEstimate, fits, memory_budget_gb
from catalog.hardware import Hardware, detect_hardware
from catalog.plan_fit import REFERENCE_SHAPE, EstimateShape, estimate_for_entry
from catalog.schema import TASKS, Catalog, ModelEntry

NATIVE_CLASS = {
    "text-classification": "encoder",
    "token-classification": "encoder",
    "question-answering": "encoder",
    "summarization": "seq2seq",
    "translation": "seq2seq",
    "chat": "causal",
}
AVAILABILITY_BONUS: dict[str, float] = {"packaged": 3.0, "cached": 2.0, "hub": 1.0, "unavailable": 0.0}
METHOD_NAMES = {"qlora": "QLoRA", "lora": "LoRA", "full": "Full fine-tuning"}
ShapeFor = Callable[[ModelEntry], EstimateShape]


class RankedModel(BaseModel):
    """A catalog entry as ranked for one search."""

    model_config = ConfigDict(frozen=True)

    entry: ModelEntry
    score: float
    fits: bool
    available: Availability
    reason: str
    memory: MemoryEstimate


def search_models(
    task: str | None = None,
    language: str | None = None,
    license: str | None = None,
    max_params: int | None = None,
    hardware: Hardware | None = None,
    available_only: bool = False,
    limit: int | None = None,
    catalog: Catalog | None = None,
    shape_for: ShapeFor | None = None,
) -> list[RankedModel]:
    """Find catalog models matching the filters, best first.

    Args:
        task: One of :data:`catalog.schema.TASKS`; any task when None.
        language: ISO 639-1 code the model must support (listed, or a multilingual model).
        license: ``"permissive"`` for Apache/MIT/BSD-style licences, or an exact licence id.
        max_params: Largest parameter count to include.
        hardware: The machine to rank for; detected when None.
        available_only: Drop models that cannot be loaded now (not packaged, not cached, Hub unreachable).
        limit: Return at most this many.
        catalog: Catalog to search; the default catalog when None.
        shape_for: The plan to size for each model (``finetune.config.defaults.default_estimate_shape`` gives the
            default run's, so "fits" agrees with the plan); :data:`catalog.plan_fit.REFERENCE_SHAPE` when None.

    Returns:
        Ranked models, best first.

    Raises:
        ConfigError: ``task`` is unknown or ``max_params`` / ``limit`` is not positive.
    """
    if task is not None and task not in TASKS:
        raise ConfigError(f"Unknown task {task!r}; choose one of: {', '.join(TASKS)}.")
    if max_params is not None and max_params <= 0:
        raise ConfigError(f"max_params must be positive, got {max_params}.")
    if limit is not None and limit <= 0:
        raise ConfigError(f"limit must be positive, got {limit}.")
    catalog = catalog if catalog is not None else load_catalog()
    hardware = hardware if hardware is not None else detect_hardware()
    language = language.strip().lower() if language else None
    wanted_license = license.strip().lower() if license else None

    ranked: list[RankedModel] = []
    for entry in catalog.models:
        if not _matches(entry, task, language, wanted_license, max_params):
            continue
        where = availability(entry)
        if available_only and where == "unavailable":
            continue
        shape = shape_for(entry) if shape_for is not None else REFERENCE_SHAPE
        ranked.append(_rank(entry, task, language, hardware, where, shape))
    ranked.sort(key=lambda r: (-r.score, r.entry.params, r.entry.id))
    return ranked[:limit] if limit is not None else ranked


def _matches(
    entry: ModelEntry,
    task: str | None,
    language: str | None,
    wanted_license: str | None,
    max_params: int | None,
) -> bool:
    if task is not None and task not in entry.tasks:
        return False
    if language is not None and not entry.supports_language(language):
        return False
    if wanted_license == "permissive" and not entry.is_permissive:
        return False
    if wanted_license not in (None, "permissive") and entry.license != wanted_license:
        return False
    return max_params is None or entry.params <= max_params


def _rank(
    entry: ModelEntry,
    task: str | None,
    language: str | None,
    hardware: Hardware,
    where: Availability,
    shape: EstimateShape,
) -> RankedModel:
    memory = estimate_for_entry(entry, hardware, shape)
    fit = fits(memory, hardware)
    score = _score(entry, task, language, hardware, where, fit)
    return RankedModel(
        entry=entry,
        score=round(score, 4),
        fits=fit,
        available=where,
        reason=_reason(entry, language, hardware, where, fit, memory, shape),
        memory=memory,
    )


def _score(
    entry: ModelEntry,
    task: str | None,
    language: str | None,
    hardware: Hardware,
    where: Availability,
    fit: bool,
) -> float:
    score = 4.0 if fit else -4.0
    score += AVAILABILITY_BONUS[where]
    if hardware.device == "cuda":
        if fit:
            score += min(1.5, max(0.0, 0.5 * math.log10(entry.params / 1e8)))
    else:
        score -= max(0.0, math.log10(entry.params / 25e6))
        if not entry.cpu_trainable:
            score -= 1.0
    if entry.is_permissive:
        score += 1.0
    if entry.gated:
        score -= 0.5
    if language is not None:
        score += 1.0 if language in entry.languages else 0.5
    if task is not None:
        if entry.model_type_class == NATIVE_CLASS[task]:
            score += 1.0
        if entry.tasks[0] == task:
            score += 0.25
    return score


def _reason(
    entry: ModelEntry,
    language: str | None,
    hardware: Hardware,
    where: Availability,
    fit: bool,
    memory: MemoryEstimate,
    shape: EstimateShape,
) -> str:
    budget = memory_budget_gb(hardware)
    method = METHOD_NAMES[shape.method]
    machine = "GPU" if hardware.device == "cuda" else ("Mac" if hardware.device == "mps" else "CPU")
    parts = [_availability_phrase(entry, where)]
    if fit:
        parts.append(
            f"{method} needs about {memory.total_gb:.1f} GB of the {budget:.1f} GB this {machine} can give"
        )
    else:
        parts.append(
            f"{method} at batch {shape.batch_size} needs about {memory.total_gb:.1f} GB, more than the "
            f"{budget:.1f} GB available (a smaller batch or shorter sequences may fit)"
        )
    if hardware.device != "cuda":
        speed = "small enough to train quickly" if entry.cpu_trainable else "slow to train"
        parts.append(f"{entry.size_label} parameters is {speed} without a GPU")
    if entry.is_permissive:
        parts.append(f"permissive {entry.license} licence")
    else:
        parts.append(f"{entry.license} licence (check its terms before commercial use)")
    if language is not None:
        parts.append(
            f"lists '{language}'"
            if language in entry.languages
            else f"covers '{language}' as a multilingual model"
        )
    return f"{entry.name}: " + "; ".join(parts) + "."


def _availability_phrase(entry: ModelEntry, where: Availability) -> str:
    if where == "packaged":
        return f"ships in the Python package {entry.packaged}, so it works offline"
    if where == "cached":
        return "already in the local Hugging Face cache"
    if where == "hub":
        return "downloads from the Hub" + (" once you accept its terms" if entry.gated else "")
    return "not available offline (not packaged or cached, and the Hub is unreachable)"
