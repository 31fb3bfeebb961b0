"""Parallel text files (OPUS / Moses / WMT style): ``corpus.en`` and ``corpus.de`` hold the same sentences, one
per line, in two languages.

Given one of the two files, its sibling is the file with the same name and another language suffix; the record
of line *n* is ``{"translation": {"en": line n of corpus.en, "de": line n of corpus.de}}``, the given file's
language first (it is the source). In a folder, pairs are found by name (``train.de-en.de`` + ``train.de-en.en``;
a ``xx-yy`` part of the name says which language is the source) and each pair's split comes from its name.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from catalog.errors import DataError
from finetune.data.readers.base import SPLIT_FILE_STEMS, Opened, RawData, check_size
from finetune.data.readers.decoding import read_lines
from finetune.data.report import Problem

_LANG = re.compile(r"^[a-z]{2,3}(?:[_-][A-Za-z]{2,4})?$")


def language_suffix(path: Path) -> str | None:
    """The language code a parallel file's suffix gives (``en`` for ``corpus.en``), or None."""
    suffix = path.suffix[1:]
    return suffix.lower() if _LANG.match(suffix) and suffix.lower() not in ("txt", "csv", "tsv", "xml") else None


def sibling(path: Path) -> Path | None:
    """The other file of a parallel pair: same name, another language suffix (None when there is not exactly one)."""
    if language_suffix(path) is None:
        return None
    others = [p for p in path.parent.glob(f"{glob_escape(path.stem)}.*")
              if p != path and p.is_file() and language_suffix(p) is not None]
    return others[0] if len(others) == 1 else None


def glob_escape(text: str) -> str:
    """``text`` with glob wildcards escaped."""
    return re.sub(r"([*?\[\]])", r"[\1]", text)


def _source_first(first: Path, second: Path) -> tuple[Path, Path]:
    """Order a pair so the source language comes first: by a ``xx-yy`` part of the name, else as given."""
    a, b = language_suffix(first), language_suffix(second)
    match = re.search(r"(?:^|[._])([a-z]{2,3})-([a-z]{2,3})(?:$|[._])", first.stem.lower())
    if match and {match.group(1), match.group(2)} == {a, b} and match.group(1) == b:
        return second, first
    return first, second


def parallel_records(source: Path, target: Path, split: str | None = None
                     ) -> tuple[RawData, Iterator[tuple[int, dict[str, Any]]]]:
    """Records of one parallel pair, numbered by line; a line count mismatch is a problem naming both files."""
    raw = RawData(path=source, format="parallel")
    src_lang, tgt_lang = language_suffix(source), language_suffix(target)
    target_raw = RawData(path=target, format="parallel")

    def records() -> Iterator[tuple[int, dict[str, Any]]]:
        number = 0
        for left, right in itertools.zip_longest(read_lines(raw), read_lines(target_raw)):
            if left is None or right is None:
                raw.problems.append(_mismatch(source, target, number))
                break
            number = left[0]
            record: dict[str, Any] = {"translation": {src_lang: left[1].rstrip("\r\n"),
                                                      tgt_lang: right[1].rstrip("\r\n")}}
            yield number, ({**record, "split": split} if split else record)
        raw.warnings += target_raw.warnings
        raw.encoding = target_raw.encoding if target_raw.encoding == "cp1252" else raw.encoding

    return raw, records()


def _mismatch(source: Path, target: Path, lines: int) -> Problem:
    return Problem(lines + 1, None, f"{source.name} and {target.name} have different numbers of lines (they agree "
                   f"up to line {lines}).", "Parallel files need one sentence per line in both, in the same order.")


def open_parallel(path: Path) -> Opened | None:
    """The pair a parallel file belongs to, read as translation records; None when ``path`` has no sibling."""
    other = sibling(path)
    if other is None:
        return None
    check_size(path, path.stat().st_size + other.stat().st_size)
    return parallel_records(path, other)


def open_parallel_folder(path: Path) -> Opened | None:
    """A folder of parallel pairs (one pair per split), or None when it holds none.

    Raises:
        DataError: When the files name more than two languages (which pair to train is then unclear).
    """
    files = sorted(p for p in path.iterdir() if p.is_file() and language_suffix(p) is not None)
    by_stem: dict[str, list[Path]] = {}
    for file in files:
        by_stem.setdefault(file.stem, []).append(file)
    pairs = [group for group in by_stem.values() if len(group) == 2]
    if not pairs:
        return None
    languages = {language_suffix(p) for group in pairs for p in group}
    if len(languages) > 2:
        raise DataError(f"The folder {path.name} holds parallel files in {len(languages)} languages "
                        f"({', '.join(sorted(map(str, languages)))}); put the two files of one language pair in a "
                        "folder of their own, or give one file (its sibling is found by name).")
    opened = []
    for group in pairs:
        first, second = _source_first(*sorted(group, key=lambda p: p.name))
        split = SPLIT_FILE_STEMS.get(first.stem.split(".")[0].lower())
        opened.append(parallel_records(first, second, split if len(pairs) > 1 else None))
    raw = RawData(path=path, format="parallel")

    def records() -> Iterator[tuple[int, dict[str, Any]]]:
        offset = 0
        for part, rows in opened:
            last = 0
            for number, record in rows:
                last = number
                yield offset + number, record
            raw.problems += part.problems
            raw.warnings += part.warnings
            offset += last

    return raw, records()
