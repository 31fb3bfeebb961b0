"""What every reader shares: the format table, :class:`RawData` (one opened file and its file-wide notes),
the size limit and the labels file beside the data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog.env import env_float
from catalog.errors import DataError
from finetune.data.report import Problem

SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
            ".parquet": "parquet", ".pq": "parquet", ".conll": "conll", ".conllu": "conll", ".iob": "conll",
            ".bio": "conll", ".txt": "text", ".tmx": "tmx"}
FORMATS = ("csv", "tsv", "json", "jsonl", "parquet", "conll", "tmx", "datasets")
SNIFF_BYTES = 64 * 1024
CSV_FIELD_LIMIT = 64 * 2**20
"""Longest CSV field read (the csv module's default, 128 KB, is shorter than some documents to summarise)."""
LABEL_FILE_NAMES = ("labels.txt", "label_list.txt", "tags.txt", "label_names.txt", "classes.txt")
SPLIT_FILE_STEMS = {"train": "train", "training": "train", "dev": "validation", "valid": "validation",
                    "validation": "validation", "val": "validation", "eval": "validation", "test": "test"}


@dataclass
class RawData:
    """What reading found: the format, and notes that apply to the whole file."""

    path: Path
    format: str
    encoding: str | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    label_names: list[str] | None = None
    """Names of integer labels/tags, from a labels file beside the data or ``datasets`` features."""
    label_field: str | None = None
    """The field whose integers ``label_names`` name."""
    compression: str | None = None
    """``gzip``, ``bz2``, ``xz``, ``zstd`` or ``zip`` when the file is compressed (its data is read decompressed)."""
    delimiter: str | None = None
    """The field separator of a delimited file, once known (``,``, ``;``, ``|`` or a tab)."""


Opened = tuple[RawData, Iterator[tuple[int, dict[str, Any]]]]
"""What opening a dataset gives: its :class:`RawData` (filled in while the records are read) and its stream
of ``(row or line number, record)``."""


def max_bytes() -> int:
    """The size limit for a dataset file, from ``TUNEWISE_MAX_DATA_MB`` (default 1024 MB)."""
    return int(env_float("TUNEWISE_MAX_DATA_MB") * 2**20)


def check_size(path: Path, size: int) -> None:
    """Refuse a file or folder over the size limit before anything is read."""
    if size > max_bytes():
        raise DataError(f"{path.name} is {size / 2**20:.1f} MB, over the {max_bytes() / 2**20:g} MB limit. Sample "
                        "it down, or raise the limit with TUNEWISE_MAX_DATA_MB if this machine has the memory.")


def label_file(path: Path) -> list[str] | None:
    """Tag or label names from a file beside the data (labels.txt etc.), one per line in id order."""
    for name in LABEL_FILE_NAMES:
        candidate = path.parent / name
        if candidate.is_file() and candidate != path:
            names = [ln.strip() for ln in candidate.read_text(encoding="utf-8", errors="replace").splitlines()]
            names = [n for n in names if n]
            if names:
                return names
    return None


def first_line(exc: BaseException) -> str:
    """The first line of a library's error message, for a one-line reason."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
