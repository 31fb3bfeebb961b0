"""Split a dataset's canonical records into train, validation and test, reproducibly, and record the split.

Rows may name their part (a ``split`` field); the rest are split with a seeded shuffle, stratified by label
(text classification) or by the rarest entity type of each sentence (token classification). The job folder
keeps the result as ``splits.json`` (``save_splits``).
"""

from __future__ import annotations

import json
import logging
import os
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from catalog.errors import DataError
from catalog.schema import TASKS

log = logging.getLogger(__name__)

SPLIT_ALIASES = {"train": "train", "training": "train", "validation": "validation", "valid": "validation",
                 "val": "validation", "eval": "validation", "evaluation": "validation", "dev": "validation",
                 "test": "test"}
MIN_STRATUM = 5
"""A label (or entity stratum) with fewer rows than this is not split: all its rows train."""

MAX_LISTED = 10


def _check_task(task: str) -> None:
    if task not in TASKS:
        raise DataError(f"Unknown task '{task}'. Choose one of: {', '.join(TASKS)}.")


def _rows(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:MAX_LISTED])
    return shown + (f" and {len(numbers) - MAX_LISTED} more" if len(numbers) > MAX_LISTED else "")



def split_records(records: Sequence[Mapping[str, Any]], *, task: str, eval_fraction: float = 0.2,
                  test_fraction: float = 0.0, seed: int = 42) -> dict[str, list[int]]:
    """Assign every record to train, validation (and test) reproducibly.

    Rows with a ``split`` field go where it says (``eval``, ``dev``, ``valid`` mean validation). Rows
    without one are split with a seeded shuffle, but only into the held-out parts that no row names
    explicitly: once any row says ``validation``, unmarked rows never become validation rows.
    Text classification is stratified by label; labels with fewer than 5 unmarked rows stay in train.
    Token classification is stratified by the rarest entity type in each sentence (so rare types reach
    both sides); strata under 5 rows are pooled and split together, so many rare types still leave a
    validation set. Other tasks use a plain seeded shuffle. At least one unmarked row always trains.

    Args:
        records: Canonical records of one task.
        task: The task id (decides the stratification).
        eval_fraction: Validation share of the unmarked rows.
        test_fraction: Test share of the unmarked rows; 0 means no test split.
        seed: Seed of the shuffle; the same seed gives the same split.

    Returns:
        Sorted row indices under ``train`` and ``validation``, and ``test`` when ``test_fraction > 0``
        or a row is marked test.

    Raises:
        DataError: On an unknown task, fractions outside [0, 1) or summing to 1 or more, or split
            values that are not train / validation / test.
    """
    _check_task(task)
    if not (0 <= eval_fraction < 1 and 0 <= test_fraction < 1 and eval_fraction + test_fraction < 1):
        raise DataError(f"The validation ({eval_fraction}) and test ({test_fraction}) fractions must each be "
                        "between 0 and 1 and leave rows to train on (e.g. 0.2 and 0.1).")
    explicit: dict[str, list[int]] = defaultdict(list)
    unmarked: list[int] = []
    bad: list[int] = []
    for i, record in enumerate(records):
        value = record.get("split")
        if value is None or not str(value).strip():
            unmarked.append(i)
        elif (name := SPLIT_ALIASES.get(str(value).strip().lower())) is None:
            bad.append(i + 1)
        else:
            explicit[name].append(i)
    if bad:
        raise DataError(f"The split field is not train / validation / test in rows {_rows(bad)}. "
                        "Use one of those values, or leave it empty to let tunewise split.")
    fractions = {"validation": 0.0 if explicit["validation"] else eval_fraction,
                 "test": 0.0 if explicit["test"] else test_fraction}
    strata = STRATA.get(task)
    keys = strata(records, unmarked) if strata else dict.fromkeys(unmarked, "")
    carved = _seeded_split(unmarked, keys, fractions, seed, stratified=strata is not None)
    splits = {name: sorted(explicit[name] + carved[name]) for name in ("train", "validation", "test")}
    if not (test_fraction > 0 or explicit["test"]):
        del splits["test"]
    if not splits["validation"] and not splits.get("test") and eval_fraction > 0:
        log.warning("No validation rows: %d rows, every marked row is train or test, or every label is rare",
                    len(records))
    return splits


def _label_strata(records: Sequence[Mapping[str, Any]], indices: list[int]) -> dict[int, str]:
    return {i: str(records[i]["label"]) for i in indices}


def _entity_strata(records: Sequence[Mapping[str, Any]], indices: list[int]) -> dict[int, str]:
    types = {i: {tag[2:] for tag in records[i]["tags"] if tag[:2] in ("B-", "I-")} for i in indices}
    counts = Counter(t for found in types.values() for t in found)
    keys = {i: min(found, key=lambda t: (counts[t], t)) if found else "" for i, found in types.items()}
    sizes = Counter(keys.values())
    # Pool small strata: with many rare entity types, each alone would stay in train and leave no validation.
    return {i: key if sizes[key] >= MIN_STRATUM else "\0rare" for i, key in keys.items()}


STRATA: dict[str, Callable[[Sequence[Mapping[str, Any]], list[int]], dict[int, str]]] = {
    "text-classification": _label_strata, "token-classification": _entity_strata,
}
"""Tasks whose split is stratified -> the stratum of each row (its label; its sentence's rarest entity type)."""


def _seeded_split(indices: list[int], keys: dict[int, str], fractions: dict[str, float], seed: int,
                  stratified: bool) -> dict[str, list[int]]:
    rng = random.Random(seed)
    groups: dict[str, list[int]] = defaultdict(list)
    for i in indices:
        groups[keys[i]].append(i)
    out: dict[str, list[int]] = {"train": [], "validation": [], "test": []}
    for key in sorted(groups):
        rows = groups[key][:]
        rng.shuffle(rows)
        if stratified and len(rows) < MIN_STRATUM:
            out["train"] += rows
            continue
        n_val = round(len(rows) * fractions["validation"])
        n_test = min(round(len(rows) * fractions["test"]), max(0, len(rows) - 1 - n_val))
        n_val = min(n_val, max(0, len(rows) - 1 - n_test))
        out["validation"] += rows[:n_val]
        out["test"] += rows[n_val:n_val + n_test]
        out["train"] += rows[n_val + n_test:]
    return out


def save_splits(path: str | Path, splits: Mapping[str, Sequence[int]], seed: int) -> Path:
    """Write the split of a job (row indices per part, and the seed) as a small JSON file, atomically.

    Args:
        path: The file to write, usually ``<job>/splits.json``.
        splits: What ``split_records`` returned.
        seed: The seed the split was made with.

    Returns:
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"seed": seed, "sizes": {k: len(v) for k, v in splits.items()},
               "splits": {k: [int(i) for i in v] for k, v in splits.items()}}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path

