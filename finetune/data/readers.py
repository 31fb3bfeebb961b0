"""Read dataset files as users find them, into raw records with the line each came from.

Formats: CSV, TSV, JSON (a list of records, an object holding one, or SQuAD's nested
``data/paragraphs/qas``), JSON lines, Parquet, CoNLL-style whitespace columns (blank lines between
sentences), a folder written by ``datasets.save_to_disk``, and a folder of train/validation/test files.
Text files are decoded line by line: UTF-8 (with or without BOM), UTF-16 (BOM), and lines that are not
UTF-8 as Windows-1252 with a warning naming the first; anything else is refused. Everything that goes
wrong in a row is reported as a :class:`Problem` with its line, not raised, so a file can be fixed once;
only a file that cannot be read at all raises :class:`DataError`.

Records stream from :func:`open_data` (JSON lines, CSV/TSV, CoNLL and Parquet line by line or batch by
batch; a JSON document is parsed whole); the size limit (``TUNEWISE_MAX_DATA_MB``, default 1024) stops
files that would not fit a laptop before anything is read.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog.errors import DataError

SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
            ".parquet": "parquet", ".pq": "parquet", ".conll": "conll", ".conllu": "conll", ".iob": "conll",
            ".bio": "conll", ".txt": "text"}
FORMATS = ("csv", "tsv", "json", "jsonl", "parquet", "conll", "datasets")
DEFAULT_MAX_MB = 1024
SNIFF_BYTES = 64 * 1024
CSV_FIELD_LIMIT = 64 * 2**20
"""Longest CSV field read (the csv module's default, 128 KB, is shorter than some documents to summarise)."""
LABEL_FILE_NAMES = ("labels.txt", "label_list.txt", "tags.txt", "label_names.txt", "classes.txt")
SPLIT_FILE_STEMS = {"train": "train", "training": "train", "dev": "validation", "valid": "validation",
                    "validation": "validation", "val": "validation", "eval": "validation", "test": "test"}
MAGIC = ((b"PK\x03\x04", "a ZIP archive or an Excel/Word file (.xlsx/.docx); export the sheet as CSV"),
         (b"%PDF", "a PDF document; export the table as CSV"),
         (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
         (b"\x1f\x8b", "a gzip archive; unpack it first"),
         (b"\xd0\xcf\x11\xe0", "an old Excel/Word file (.xls/.doc); export the sheet as CSV"),
         (b"SQLite format 3", "an SQLite database; export the table as CSV"))


@dataclass
class Problem:
    """One thing wrong with a dataset: where, what, and how to fix it."""

    row: int | None
    field: str | None
    message: str
    fix: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by ``tunewise data check --json``."""
        return {"row": self.row, "field": self.field, "message": self.message, "fix": self.fix}

    def __str__(self) -> str:
        where = f"Row {self.row}" if self.row is not None else ""
        where += f", field '{self.field}'" if self.field and where else (f"Field '{self.field}'" if self.field else "")
        return f"{where + ': ' if where else ''}{self.message} Fix: {self.fix}"


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


def max_bytes() -> int:
    """The size limit for a dataset file, from ``TUNEWISE_MAX_DATA_MB`` (default 1024 MB)."""
    raw = os.environ.get("TUNEWISE_MAX_DATA_MB", "")
    try:
        return int(float(raw) * 2**20) if raw.strip() else DEFAULT_MAX_MB * 2**20
    except ValueError:
        return DEFAULT_MAX_MB * 2**20


def open_data(path: str | Path, fmt: str | None = None) -> tuple[RawData, Iterator[tuple[int, dict[str, Any]]]]:
    """Open a dataset file or ``save_to_disk`` folder and stream its records.

    Args:
        path: The file or folder (already confined to the workspace by the caller).
        fmt: Read the file as this format (csv, tsv, json, jsonl, parquet, conll) instead of guessing
            from its name and content.

    Returns:
        ``(raw, records)``: ``raw`` describes the file and collects problems while ``records`` is
        consumed; ``records`` yields ``(line or row number, record dict)``.

    Raises:
        DataError: When the file is missing, empty, binary, over the size limit or of an unknown kind.
            Consuming ``records`` raises it too when a line far into a file turns out undecodable.
    """
    path = Path(path)
    if path.is_dir():
        return _open_folder(path)
    if not path.is_file():
        raise DataError(f"{path.name}: file not found.")
    size = path.stat().st_size
    if size == 0:
        raise DataError(f"{path.name} is empty (0 bytes). Upload the file again, with a header row and some rows.")
    _check_size(path, size)
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if fmt is not None and fmt not in FORMATS[:-1]:
        raise DataError(f"Unknown format '{fmt}'. Use one of: {', '.join(FORMATS[:-1])}.")
    kind = fmt or SUFFIXES.get(path.suffix.lower())
    if head.startswith(b"PAR1") and fmt is None:
        kind = "parquet"
    if kind != "parquet":
        _refuse_binary(path, head)
    if kind is None or kind == "text":
        kind = _sniff_kind(path, head)
    raw = RawData(path=path, format=kind, label_names=_label_file(path))
    if kind == "parquet":
        return raw, _parquet_records(path)
    from finetune.data.text_formats import (
        check_head_decodes,
        conll_records,
        delimited_records,
        json_records,
        jsonl_records,
    )

    check_head_decodes(path, head, complete=size <= SNIFF_BYTES)
    raw.encoding = "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8"
    readers = {"csv": delimited_records, "tsv": delimited_records, "jsonl": jsonl_records,
               "json": json_records, "conll": conll_records}
    return raw, readers[kind](raw)


def _check_size(path: Path, size: int) -> None:
    if size > max_bytes():
        raise DataError(f"{path.name} is {size / 2**20:.1f} MB, over the {max_bytes() / 2**20:g} MB limit. Sample "
                        "it down, or raise the limit with TUNEWISE_MAX_DATA_MB if this machine has the memory.")


def _refuse_binary(path: Path, head: bytes) -> None:
    for magic, what in MAGIC:
        if head.startswith(magic):
            raise DataError(f"{path.name} is {what}, not a text dataset.")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return  # UTF-16 has NUL bytes by design
    if b"\x00" in head or _control_share(head) > 0.1:
        raise DataError(f"{path.name} looks like a binary file, not text. Export your data as CSV, JSON lines "
                        "or Parquet.")


def _control_share(data: bytes) -> float:
    if not data:
        return 0.0
    controls = sum(1 for b in data if b < 32 and b not in (9, 10, 13))
    return controls / len(data)


def _sniff_kind(path: Path, head: bytes) -> str:
    """Guess the format of a file without a telling extension from its first lines."""
    encoding = "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8"
    text = head.decode(encoding, errors="replace").lstrip("\ufeff").lstrip()
    if text.startswith("["):
        return "json"
    if text.startswith("{"):
        first = text.split("\n", 1)[0].strip()
        try:
            json.loads(first)
            return "jsonl"
        except json.JSONDecodeError:
            return "json"
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if lines and all("\t" in ln for ln in lines[:10]):
        # CoNLL: few columns, the last looks like a tag, and blank lines separate sentences
        if "\n\n" in text or "\r\n\r\n" in text or lines[0].startswith("-DOCSTART-"):
            return "conll"
        return "tsv"
    if lines and sum(_looks_like_conll_line(ln) for ln in lines) >= 0.8 * len(lines) and \
            ("\n\n" in text or lines[0].startswith("-DOCSTART-")):
        return "conll"
    if lines and all("," in ln for ln in lines[:10]):
        return "csv"
    raise DataError(f"{path.name}: cannot tell the format of this file. Use a .csv, .tsv, .json, .jsonl, .parquet "
                    "or CoNLL (.conll) file, or a folder saved with datasets' save_to_disk.")


_TAG = re.compile(r"^(?:O|[BIESLU][-_][\w.$-]+|[\w.$-]+[-_][BIESLU]|\d+)$")


def _looks_like_conll_line(line: str) -> bool:
    parts = line.split()
    return line.startswith("-DOCSTART-") or (2 <= len(parts) <= 10 and bool(_TAG.match(parts[-1])))


def _label_file(path: Path) -> list[str] | None:
    """Tag or label names from a file beside the data (labels.txt etc.), one per line in id order."""
    for name in LABEL_FILE_NAMES:
        candidate = path.parent / name
        if candidate.is_file() and candidate != path:
            names = [ln.strip() for ln in candidate.read_text(encoding="utf-8", errors="replace").splitlines()]
            names = [n for n in names if n]
            if names:
                return names
    return None


def _parquet_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Parquet rows in batches, so big files stream."""
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise DataError(f"{path.name} is not a readable Parquet file ({_first_line(exc)}).") from None
    number = 0
    batches = table.iter_batches(batch_size=4096)
    while True:
        try:
            batch = next(batches, None)
        except Exception as exc:  # a damaged page shows only when it is read
            raise DataError(f"{path.name} is a damaged Parquet file: rows after {number} cannot be read "
                            f"({_first_line(exc)}). Write the file again.") from None
        if batch is None:
            return
        for record in batch.to_pylist():
            number += 1
            yield number, record


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _open_folder(path: Path) -> tuple[RawData, Iterator[tuple[int, dict[str, Any]]]]:
    """A ``datasets.save_to_disk`` folder (Dataset or DatasetDict), or a folder of split files.

    Rows of split files are numbered on from one file to the next (files in name order), so every row
    number in the report is unique: row 3 of the second file is row 3 + the last row number of the first.
    """
    _check_size(path, sum(p.stat().st_size for p in path.rglob("*") if p.is_file()))
    if (path / "dataset_dict.json").is_file() or (path / "dataset_info.json").is_file() \
            or (path / "state.json").is_file():
        return _datasets_folder(path)
    files = sorted(p for p in path.iterdir() if p.is_file() and p.name not in LABEL_FILE_NAMES
                   and not p.name.startswith(".") and p.suffix.lower() in SUFFIXES)
    split_files = [p for p in files if p.stem.lower() in SPLIT_FILE_STEMS]
    if not split_files:
        raise DataError(f"The folder {path.name} holds no dataset: expected a folder saved with datasets' "
                        "save_to_disk, or files named train/validation/test (.csv, .jsonl, .conll, ...).")
    opened = [(SPLIT_FILE_STEMS[p.stem.lower()], *open_data(p)) for p in split_files]
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


def _datasets_folder(path: Path) -> tuple[RawData, Iterator[tuple[int, dict[str, Any]]]]:
    from datasets import ClassLabel, DatasetDict, List, Sequence, load_from_disk

    try:
        loaded = load_from_disk(str(path))
    except Exception as exc:  # datasets raises FileNotFoundError, ValueError, ... for a damaged folder
        raise DataError(f"{path.name} could not be opened as a datasets folder ({_first_line(exc)}).") from None
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
