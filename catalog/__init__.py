"""The model catalog: a typed registry of real Hugging Face models.

``load_catalog()`` reads and validates ``catalog/models.yaml``; ``get_model(id)`` looks one entry up.
Search and ranking live in :mod:`catalog.search`, the resource estimator in :mod:`catalog.estimate`, hardware
detection in :mod:`catalog.hardware`, offline availability in :mod:`catalog.availability`, the user-facing errors
in :mod:`catalog.errors` and every ``TUNEWISE_*`` environment variable (one table, typed accessors) in
:mod:`catalog.env`: the ground floor that ``finetune`` and ``assistant`` build on.

This package imports neither torch nor transformers at import time, so the UI and CLI start fast.
"""

from __future__ import annotations

import difflib
import functools
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from catalog.errors import ConfigError, ModelError
from catalog.schema import TASKS, Catalog, ModelEntry, Task

__all__ = ["DEFAULT_CATALOG_PATH", "TASKS", "Catalog", "ModelEntry", "Task", "get_model", "load_catalog"]

DEFAULT_CATALOG_PATH = Path(__file__).with_name("models.yaml")


def load_catalog(path: Path | None = None) -> Catalog:
    """Read and validate a catalog file.

    The default file is parsed once per process and cached. Every invalid entry is reported in one
    error, each with its position, id and the offending field, so a file is fixed in one pass.

    Args:
        path: A catalog YAML file; the packaged ``catalog/models.yaml`` when None.

    Returns:
        The validated catalog.

    Raises:
        ConfigError: The file is missing, is not valid YAML, or has invalid or duplicate entries.
    """
    if path is None or Path(path).resolve() == DEFAULT_CATALOG_PATH.resolve():
        return _load_default()
    return _load_file(Path(path))


@functools.lru_cache(maxsize=1)
def _load_default() -> Catalog:
    return _load_file(DEFAULT_CATALOG_PATH)


def _load_file(path: Path) -> Catalog:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"Cannot read the model catalog {path}: {exc.strerror or exc}.") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"The model catalog {path} is not valid YAML: {exc}") from exc

    raw_models = data.get("models") if isinstance(data, dict) else data
    if not isinstance(raw_models, list) or not raw_models:
        raise ConfigError(f"The model catalog {path} must have a non-empty 'models:' list.")

    entries: list[ModelEntry] = []
    problems: list[str] = []
    for index, raw in enumerate(raw_models):
        label = _entry_label(index, raw)
        if not isinstance(raw, dict):
            problems.append(f"{label}: must be a mapping of fields, got {type(raw).__name__}")
            continue
        try:
            entries.append(ModelEntry.model_validate(raw))
        except ValidationError as exc:
            problems.extend(f"{label}: {_describe(err)}" for err in exc.errors())

    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        if entry.id in seen:
            problems.append(f"model id {entry.id!r} is listed more than once; ids must be unique")
        seen.setdefault(entry.id, index)

    if problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        raise ConfigError(f"The model catalog {path} has {len(problems)} problem(s):\n{listing}")
    return Catalog(models=entries)


def _entry_label(index: int, raw: Any) -> str:
    model_id = raw.get("id") if isinstance(raw, dict) else None
    return f"models[{index}] (id {model_id!r})" if model_id else f"models[{index}] (no id)"


def _describe(error: Any) -> str:
    field = ".".join(str(part) for part in error.get("loc", ())) or "entry"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"field {field!r}: {message}"


def get_model(model_id: str, catalog: Catalog | None = None) -> ModelEntry:
    """Look a model up by its Hub id (case-insensitive).

    Args:
        model_id: Hub id such as ``"Qwen/Qwen2.5-0.5B-Instruct"``.
        catalog: Catalog to search; the default catalog when None.

    Returns:
        The catalog entry.

    Raises:
        ModelError: The id is not in the catalog; the message suggests the closest ids.
    """
    catalog = catalog if catalog is not None else load_catalog()
    entry = catalog.get(model_id)
    if entry is not None:
        return entry
    suggestions = _closest_ids(model_id, catalog.ids)
    hint = f" Did you mean {', '.join(suggestions)}?" if suggestions else ""
    raise ModelError(
        f"{model_id!r} is not in the model catalog.{hint} Run `tunewise catalog` to list all models."
    )


def _closest_ids(model_id: str, ids: list[str], limit: int = 3) -> list[str]:
    wanted = model_id.strip().lower()
    by_lower = {i.lower(): i for i in ids}
    # Match on the full id and on the part after the organisation, so "qwen2.5-7b" finds Qwen/...
    by_short = {i.lower().rsplit("/", 1)[-1]: i for i in ids}
    short = wanted.rsplit("/", 1)[-1]
    found: list[str] = []
    for match in difflib.get_close_matches(wanted, list(by_lower), n=limit, cutoff=0.5):
        found.append(by_lower[match])
    for match in difflib.get_close_matches(short, list(by_short), n=limit, cutoff=0.5):
        if by_short[match] not in found:
            found.append(by_short[match])
    return found[:limit]
