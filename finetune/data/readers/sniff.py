"""Telling what a file is before reading it: binary files refused by their magic bytes or control
characters, and the format of a file without a telling extension guessed from its first lines."""

from __future__ import annotations

import json
from pathlib import Path

from catalog.errors import DataError
from finetune.data.readers.conll import looks_like_conll_line

MAGIC = ((b"PK\x03\x04", "a ZIP archive or an Excel/Word file (.xlsx/.docx); export the sheet as CSV"),
         (b"%PDF", "a PDF document; export the table as CSV"),
         (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
         (b"\x1f\x8b", "a gzip archive inside another archive; unpack it first"),
         (b"\xd0\xcf\x11\xe0", "an old Excel/Word file (.xls/.doc); export the sheet as CSV"),
         (b"SQLite format 3", "an SQLite database; export the table as CSV"))


def refuse_binary(path: Path, head: bytes) -> None:
    """Raise :class:`DataError` naming what a binary file is (an Excel sheet, a PDF, ...), or that it is binary."""
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


def sniff_kind(path: Path, head: bytes) -> str:
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
    if lines and sum(looks_like_conll_line(ln) for ln in lines) >= 0.8 * len(lines) and \
            ("\n\n" in text or lines[0].startswith("-DOCSTART-")):
        return "conll"
    if lines and any(all(sep in ln for ln in lines[:10]) for sep in (",", ";", "|")):
        return "csv"  # the separator is sniffed when the rows are read
    raise DataError(f"{path.name}: cannot tell the format of this file. Use a .csv, .tsv, .json, .jsonl, .parquet "
                    "or CoNLL (.conll) file, or a folder saved with datasets' save_to_disk.")
