"""Read dataset files as users find them, into raw records with the line each came from.

Formats: CSV (comma, semicolon, pipe or tab separated, as spreadsheets export them; with a header row, or
without one when the first line reads as data), TSV, JSON (a list of records, an object holding one, or SQuAD's
nested ``data/paragraphs/qas``), JSON lines, Parquet, CoNLL-style whitespace columns (blank lines between
sentences), TMX translation memories, each also compressed as ``datasets`` reads them (``.gz``, ``.bz2``, ``.xz``,
``.zst``, a ``.zip`` holding one data file), a folder written by ``datasets.save_to_disk``, a folder of
train/validation/test files, and parallel text files (``corpus.en`` + ``corpus.de``, OPUS/Moses style).
Text files are decoded line by line: UTF-8 (with or without BOM), UTF-16 (BOM), and lines that are not
UTF-8 as Windows-1252 with a warning naming the first; anything else is refused. Everything that goes
wrong in a row is reported as a :class:`~finetune.data.report.Problem` with its line, not raised, so a file
can be fixed once; only a file that cannot be read at all raises :class:`DataError`.

Records stream from :func:`open_data` (JSON lines, CSV/TSV, CoNLL and Parquet line by line or batch by
batch; a JSON document is parsed whole); the size limit (``TUNEWISE_MAX_DATA_MB``, default 1024) stops
files that would not fit a laptop before anything is read.

This package's ``__init__`` picks the reader; ``base.py`` (the format table, :class:`RawData`, the size
limit) and ``decoding.py`` (text lines) are shared by the format modules ``delimited.py``, ``json_files.py``,
``conll.py``, ``parquet.py`` and ``folders.py``, ``compressed.py`` decompresses, and ``sniff.py`` tells the format of
an unnamed file. The
format modules import ``base`` and ``decoding``, never this ``__init__``. Imports ``finetune.data.report``,
``finetune.data.columns`` (conventional column names, to tell a header from data) and ``catalog`` only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from catalog.errors import DataError
from finetune.data.readers.base import FORMATS, SNIFF_BYTES, SUFFIXES, Opened, RawData, check_size, label_file
from finetune.data.readers.compressed import compression_of, inner_name, read_head
from finetune.data.readers.conll import conll_records
from finetune.data.readers.decoding import check_head_decodes
from finetune.data.readers.delimited import delimited_records
from finetune.data.readers.folders import open_folder
from finetune.data.readers.json_files import json_records, jsonl_records
from finetune.data.readers.parallel import open_parallel
from finetune.data.readers.parquet import parquet_records
from finetune.data.readers.sniff import refuse_binary, sniff_kind
from finetune.data.readers.tmx import tmx_records

_TEXT_READERS = {"csv": delimited_records, "tsv": delimited_records, "jsonl": jsonl_records, "json": json_records,
                 "conll": conll_records, "tmx": tmx_records}


def open_data(path: str | Path, fmt: str | None = None) -> Opened:
    """Open a dataset file or ``save_to_disk`` folder and stream its records.

    Args:
        path: The file or folder (already confined to the workspace by the caller).
        fmt: Read the file as this format (csv, tsv, json, jsonl, parquet, conll, tmx) instead of guessing
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
        return open_folder(path, open_file)
    return open_file(path, fmt)


def open_file(path: Path, fmt: str | None = None) -> Opened:
    """Open one dataset file (not a folder), compressed or not: see :func:`open_data`.

    Raises:
        DataError: When the file is missing, empty, binary, over the size limit or of an unknown kind.
    """
    if not path.is_file():
        raise DataError(f"{path.name}: file not found.")
    size = path.stat().st_size
    if size == 0:
        raise DataError(f"{path.name} is empty (0 bytes). Save the file again, with a header row and some rows.")
    check_size(path, size)
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if fmt is not None and fmt not in FORMATS[:-1]:
        raise DataError(f"Unknown format '{fmt}'. Use one of: {', '.join(FORMATS[:-1])}.")
    compression = compression_of(path, head)
    name = Path(inner_name(path, compression)) if compression else path
    if compression:
        head = read_head(path, compression, SNIFF_BYTES)
        if not head:
            raise DataError(f"{path.name} holds no data once decompressed.")
    kind = fmt or SUFFIXES.get(name.suffix.lower())
    if head.startswith(b"PAR1") and fmt is None:
        kind = "parquet"
    if kind != "parquet":
        refuse_binary(path, head)
    if kind is None and compression is None and (pair := open_parallel(path)) is not None:
        return pair
    if kind is None or kind == "text":
        kind = sniff_kind(path, head)
    raw = RawData(path=path, format=kind, label_names=label_file(path), compression=compression)
    if kind == "parquet":
        return raw, parquet_records(path, compression)
    check_head_decodes(path, head, complete=len(head) < SNIFF_BYTES if compression else size <= SNIFF_BYTES)
    raw.encoding = "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8"
    return raw, _TEXT_READERS[kind](raw)


def preview_records(path: str | Path, limit: int = 20) -> Any:
    """The first raw records of any supported file as a pandas DataFrame (lists and dicts as JSON text).

    Args:
        path: The file or folder (already confined to the workspace by the caller).
        limit: How many records to show.

    Returns:
        A ``pandas.DataFrame`` of at most ``limit`` rows.

    Raises:
        DataError: When the file cannot be read at all.
    """
    import pandas as pd

    _, stream = open_data(path)
    rows = []
    for _, record in stream:
        rows.append({k: v if isinstance(v, str | int | float | bool) or v is None
                     else json.dumps(v, ensure_ascii=False)[:300] for k, v in record.items()})
        if len(rows) >= limit:
            break
    return pd.DataFrame(rows)
