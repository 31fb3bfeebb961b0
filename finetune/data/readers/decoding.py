"""Text files decoded line by line: UTF-8 (with or without BOM), UTF-16 (BOM), and lines that are not UTF-8
as Windows-1252 with a warning naming the first; anything else is refused with :class:`DataError`."""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from catalog.errors import DataError
from finetune.data.readers.base import SNIFF_BYTES, RawData
from finetune.data.readers.compressed import damaged, open_decompressed, read_head
from finetune.data.report import Problem


def check_head_decodes(path: Path, head: bytes, complete: bool) -> None:
    """Fail before reading when the first 64 KB already cannot be decoded (the usual case of a wrong encoding)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return
    lines = head.split(b"\n")
    tail = b"" if complete else lines.pop()  # cut off mid-line, maybe mid-character
    scratch = RawData(path=path, format="")
    for number, line in enumerate(lines, start=1):
        _decode_line(line, number, scratch)
    if tail and not lines:  # a first line longer than the window: UTF-8 that stops mid-character is fine
        try:
            codecs.getincrementaldecoder("utf-8")().decode(tail, final=False)
        except UnicodeDecodeError:
            _decode_line(tail, 1, scratch)


def _decode_line(line: bytes, number: int, raw: RawData) -> str:
    """One line as text: UTF-8, else Windows-1252 (with a warning for the first such line), else DataError.

    Deciding line by line keeps a UTF-8 file with one pasted Windows line intact, and lets big files stream.
    """
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = line.decode("cp1252")
    except UnicodeDecodeError:
        text = None
    if text is None or _foreign_runs(line):
        raise DataError(f"{raw.path.name} is not UTF-8 (line {number} cannot be decoded) and does not read as "
                        "Windows Western European text either; it may be in a Cyrillic or Asian encoding, or not "
                        "text at all. Save it as UTF-8 (in Excel: Save As > CSV UTF-8).")
    if raw.encoding != "cp1252":
        raw.warnings.append(Problem(number, None, f"The file is not UTF-8 (first non-UTF-8 byte on line {number}); "
                                    "lines that are not UTF-8 were read as cp1252 (Windows Western European).",
                                    "Check accented characters in the preview; save the file as UTF-8 to be "
                                    "sure."))
        raw.encoding = "cp1252"
    return text


def _foreign_runs(line: bytes) -> bool:
    """Non-ASCII bytes mostly in runs of 3+: a Cyrillic or CJK encoding, not Western text read as cp1252."""
    high = sum(b >= 0x80 for b in line)
    if high < 6:
        return False
    in_runs = sum(len(run) for run in re.findall(rb"[\x80-\xff]{3,}", line))
    return in_runs > high / 2


def open_bytes(raw: RawData) -> IO[bytes]:
    """The file's data as a binary stream, decompressed when the file is compressed."""
    return raw.path.open("rb") if raw.compression is None else open_decompressed(raw.path, raw.compression)


def read_lines(raw: RawData) -> Iterator[tuple[int, str]]:
    """Stream ``(line number, line with its ending)`` of a text file, decoding line by line.

    Lines end at ``\n`` only (``\r`` alone for old Mac files): Unicode separators such as U+2028 inside
    a JSON string are text, not line breaks. A compressed file is decompressed as it streams.
    """
    try:
        yield from _lines(raw)
    except (DataError, UnicodeError):
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged archive breaks mid-stream with its library's error
        if raw.compression is None:
            raise
        raise damaged(raw.path, raw.compression, exc) from None


def _lines(raw: RawData) -> Iterator[tuple[int, str]]:
    path = raw.path
    head = read_head(path, raw.compression, SNIFF_BYTES)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            with io.TextIOWrapper(open_bytes(raw), encoding="utf-16", newline="") as text_file:
                for number, line in enumerate(text_file, start=1):
                    yield number, line.lstrip("\ufeff") if number == 1 else line
        except UnicodeError:
            raise DataError(f"{path.name} starts with a UTF-16 byte-order mark but is not valid UTF-16. Save it "
                            "again as UTF-8.") from None
        return
    if b"\n" not in head and b"\r" in head:
        with open_bytes(raw) as fh:
            whole = fh.read()
        chunks: Iterator[bytes] = iter([line + b"\n" for line in whole.split(b"\r")])
    else:
        chunks = open_bytes(raw)
    try:
        for number, data in enumerate(chunks, start=1):
            if number == 1 and data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
            yield number, _decode_line(data, number, raw)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
