"""Dataset folders: one written by ``datasets.save_to_disk`` (a Dataset or a DatasetDict), or a folder of
train / validation / test files of any supported format."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from catalog.errors import DataError
from finetune.data.readers.base import (
    LABEL_FILE_NAMES,
    SPLIT_FILE_STEMS,
    SUFFIXES,
    Opened,
    RawData,
    check_size,
    first_line,
)
from finetune.data.readers.compressed import inner_suffix
from finetune.data.readers.parallel import open_parallel_folder
from finetune.data.report import Problem


def open_folder(path: Path, open_file: Callable[[Path], Opened]) -> Opened:
    """A ``datasets.save_to_disk`` folder (Dataset or DatasetDict), or a folder of split files.

    Rows of split files are numbered on from one file to the next (files in name order), so every row
    number in the report is unique: row 3 of the second file is row 3 + the last row number of the first.

    Args:
        path: The folder (already confined to the workspace by the caller).
        open_file: Opens one split file (``finetune.data.readers.open_file``: passed in, so this module
            does not import the package that dispatches to it).

    Raises:
        DataError: When the folder is over the size limit, holds no dataset, or cannot be opened.
    """
    check_size(path, sum(p.stat().st_size for p in path.rglob("*") if p.is_file()))
    if (path / "dataset_dict.json").is_file() or (path / "dataset_info.json").is_file() \
            or (path / "state.json").is_file():
        return _datasets_folder(path)
    files = sorted(p for p in path.iterdir() if p.is_file() and p.name not in LABEL_FILE_NAMES
                   and not p.name.startswith(".") and inner_suffix(p) in SUFFIXES)
    split_files = [p for p in files if _split_stem(p) in SPLIT_FILE_STEMS]
    if not split_files:
        parallel = open_parallel_folder(path)
        if parallel is not None:
            return parallel
        raise DataError(f"The folder {path.name} holds no dataset: expected a folder saved with datasets' "
                        "save_to_disk, files named train/validation/test (.csv, .jsonl, .conll, ..., also "
                        ".gz/.zip), or parallel text files (corpus.en + corpus.de).")
    opened = [(SPLIT_FILE_STEMS[_split_stem(p)], *open_file(p)) for p in split_files]
    raw = RawData(path=path, format=opened[0][1].format, label_names=opened[0][1].label_names,
                  encoding=opened[0][1].encoding)

    def shifted(problems: list[Problem], offset: int, name: str) -> list[Problem]:
        return [Problem(p.row + offset if p.row is not None else None, p.field,
                        f"{p.message} ({name}{f' row {p.row}' if p.row is not None else ''})", p.fix)
                for p in problems]

    def records() -> Iterator[tuple[int, dict[str, Any]]]:
        offset = 0
        for split, part, rows in opened:
            last = 0
            for number, record in rows:
                last = number
                yield offset + number, {**record, "split": split}
            last = max([last] + [p.row or 0 for p in part.problems])
            raw.problems += shifted(part.problems, offset, part.path.name)
            raw.warnings += shifted(part.warnings, offset, part.path.name)
            raw.label_names = raw.label_names or part.label_names
            if part.encoding not in (None, "utf-8"):
                raw.encoding = part.encoding
            offset += last

    return raw, records()


def _split_stem(path: Path) -> str:
    """The split a file's name gives: ``train`` for ``train.csv`` and ``train.jsonl.gz`` (lower case)."""
    name = path.name.lower()
    for suffix in (path.suffix.lower(), inner_suffix(path)):
        name = name.removesuffix(suffix) if suffix else name
    return name


def _datasets_folder(path: Path) -> Opened:
    from datasets import ClassLabel, DatasetDict, List, Sequence, load_from_disk

    try:
        loaded = load_from_disk(str(path))
    except Exception as exc:  # datasets raises FileNotFoundError, ValueError, ... for a damaged folder
        raise DataError(f"{path.name} could not be opened as a datasets folder ({first_line(exc)}).") from None
    parts = dict(loaded.items()) if isinstance(loaded, DatasetDict) else {"": loaded}
    raw = RawData(path=path, format="datasets")
    if not parts:
        raise DataError(f"{path.name} is a datasets folder with no splits. Save a Dataset or a DatasetDict with "
                        "a train split.")
    for name, feature in next(iter(parts.values())).features.items():
        inner = feature.feature if isinstance(feature, List | Sequence) else feature
        if isinstance(inner, ClassLabel):
            raw.label_names, raw.label_field = list(inner.names), name
            break

    def records() -> Iterator[tuple[int, dict[str, Any]]]:
        number = 0
        for split, part in parts.items():
            for record in part:
                number += 1
                yield number, ({**record, "split": SPLIT_FILE_STEMS.get(split, split)} if split else record)

    return raw, records()
