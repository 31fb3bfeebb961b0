"""CSV and TSV files: a header row, then one record per row (numbered from 1 after the header).

Spreadsheets export "CSV" with other separators than the comma (a semicolon where the comma is the decimal mark,
a tab, a pipe), sometimes with Excel's ``sep=;`` first line: the separator is read from that line, else from
the first lines (the candidate that splits them into the same number of fields, two or more, wins; the comma
on a tie).
"""

from __future__ import annotations

import csv
import itertools
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from finetune.data.columns import ALIASES, language_of
from finetune.data.readers.base import CSV_FIELD_LIMIT, RawData
from finetune.data.readers.decoding import read_lines
from finetune.data.report import Problem


def delimited_records(raw: RawData) -> Iterator[tuple[int, dict[str, Any]]]:
    """CSV/TSV rows as dicts, numbered from 1 after the header.

    TSV files of public datasets (GLUE, for one) contain unbalanced quote characters that are plain text;
    such files are read without quote processing when that gives every line the header's field count.
    """
    sep = raw.delimiter = raw.delimiter or sniff_delimiter(raw)
    quoting: Literal[0, 1, 2, 3] = csv.QUOTE_NONE if sep == "\t" and _plain_tsv(raw) else csv.QUOTE_MINIMAL
    lines = (line for _, line in read_lines(raw))
    skipped = 0
    first = None
    for line in lines:
        if line.strip() and not _EXCEL_SEP.match(line):
            first = line
            break
        skipped += 1
    if first is None:
        raw.problems.append(Problem(None, None, "The file has no header and no rows.",
                                    "Give a file whose first line names the columns."))
        return
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.reader(itertools.chain([first], lines), delimiter=sep, quoting=quoting, strict=False)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raw.problems.append(Problem(None, None, f"The header line cannot be read: {exc}.",
                                    "Make the first line a list of column names."))
        return
    if quoting == csv.QUOTE_NONE:
        header = [_unquote(h) for h in header]
    headerless = looks_like_data(header)
    if headerless:  # OPUS / Tatoeba / news-commentary TSVs, AG News CSVs: no header, the first line is data
        values, header = header, headerless_names(raw.path, len(header))
        raw.warnings.append(Problem(None, None, f"The first line reads like data, not column names, so the file is "
                                    f"read as having no header: its columns are {', '.join(header)}.",
                                    "Add a first line naming the columns if these names do not fit."))
        yield 1, dict(zip(header, values, strict=True))
    empty = [i + 1 for i, h in enumerate(header) if not h]
    if empty and len(header) > 1:
        raw.warnings.append(Problem(None, None, f"Column(s) {', '.join(map(str, empty))} have no name; they are "
                                    "called column_N.", "Name every column in the header."))
    header = [h or f"column_{i + 1}" for i, h in enumerate(header)]
    if len(set(header)) < len(header):
        seen: Counter[str] = Counter()
        renamed = []
        for name in header:
            seen[name] += 1
            renamed.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
        doubled = sorted(n for n, c in seen.items() if c > 1)
        raw.warnings.append(Problem(None, doubled[0], f"Column name(s) {', '.join(doubled)} appear more than once; "
                                    "the repeats are called NAME_2, NAME_3, ....", "Give every column its own name."))
        header = renamed
    row = 1 if headerless else 0
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row += 1
            raw.problems.append(Problem(row, None, f"This row (line {reader.line_num + skipped}) cannot be parsed "
                                        f"({exc}).", "Check its quotes: a field with a comma or quote must be in "
                                        "double quotes, with inner quotes doubled."))
            continue
        if not any(v.strip() for v in values):
            continue
        row += 1
        if quoting == csv.QUOTE_NONE:
            values = [_unquote(v) for v in values]
        if len(values) != len(header):
            raw.problems.append(Problem(row, None, f"This row (line {reader.line_num + skipped}) has {len(values)} "
                                        f"fields but the header has {len(header)}.",
                                        f"Give it exactly {len(header)} fields; quote any field that contains "
                                        f"{_SEP_NAMES.get(sep, repr(sep))}."))
            values = (values + [""] * len(header))[:len(header)]
        yield row, dict(zip(header, values, strict=True))


_EXCEL_SEP = re.compile(r"^\s*sep=(.)\s*$")
_PAIR = re.compile(r"(?:^|[._-])([a-z]{2,3})[-_]([a-z]{2,3})(?:$|[._-])")


def looks_like_data(header: list[str]) -> bool:
    """Whether a header row is really data: most cells are numbers or sentences, none a conventional column name."""
    def datalike(cell: str) -> bool:
        text = cell.strip()
        return not text or (text.lstrip("-").replace(".", "", 1).isdigit() or len(text) > 40
                               or (" " in text and text[-1] in ".?!\"'»)"))

    if len(header) < 2 or any(cell.strip().lower() in ALIASES for cell in header):
        return False
    return sum(datalike(cell) for cell in header) * 2 > len(header)


def headerless_names(path: Path, width: int) -> list[str]:
    """Names for the columns of a file without a header: language codes when the file name gives a pair
    (``news-commentary-v16.de-en.tsv``; Tatoeba's ``deu.txt`` is English then German), else column_1, ...."""
    stem = path.name.lower()
    for suffix in (path.suffix.lower(), Path(path.stem).suffix.lower()):
        stem = stem.removesuffix(suffix)
    match = _PAIR.search(stem)
    pair = [language_of(match.group(1)), language_of(match.group(2))] if match else []
    if not (pair and all(pair)) and language_of(stem) and language_of(stem) != "en" and width >= 2:
        pair = ["en", language_of(stem)]  # manythings.org's Tatoeba files: English first
    names = [code for code in pair if code] if len(set(pair)) == 2 and all(pair) else []
    return (names + [f"column_{i + 1}" for i in range(len(names), width)])[:width]
_CANDIDATES = (",", ";", "\t", "|")
_SEP_NAMES = {",": "a comma", ";": "a semicolon", "\t": "a tab", "|": "a pipe"}


def sniff_delimiter(raw: RawData, lines_read: int = 30) -> str:
    """The field separator of a delimited file: a tab for ``.tsv``, else Excel's ``sep=`` line or the first lines.

    Args:
        raw: The opened file.
        lines_read: How many non-empty lines to judge on.
    """
    if raw.format == "tsv":
        return "\t"
    lines: list[str] = []
    for _, line in read_lines(RawData(path=raw.path, format=raw.format, compression=raw.compression)):
        if not line.strip():
            continue
        if not lines and (excel := _EXCEL_SEP.match(line)):
            return excel.group(1)
        lines.append(line)
        if len(lines) >= lines_read:
            break
    best, best_share = ",", 0.0
    for sep in _CANDIDATES:  # comma first: it wins every tie
        try:
            counts = [len(fields) for fields in csv.reader(lines, delimiter=sep, strict=False)]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        share = sum(c == counts[0] for c in counts) / len(counts)
        if share > best_share:
            best, best_share = sep, share
    return best


def _plain_tsv(raw: RawData) -> bool:
    """True when splitting every line at tabs gives the header's field count: quotes are then plain text."""
    width = None
    for _, line in read_lines(RawData(path=raw.path, format=raw.format, compression=raw.compression)):
        if not line.strip() or _EXCEL_SEP.match(line):
            continue
        count = line.count("\t") + 1
        if width is None:
            width = count
        elif count != width:
            return False
    return True


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('""', '"')
    return value
