"""CSV and TSV files: a header row, then one record per row (numbered from 1 after the header)."""

from __future__ import annotations

import csv
import itertools
from collections import Counter
from collections.abc import Iterator
from typing import Any

from finetune.data.readers.base import CSV_FIELD_LIMIT, RawData
from finetune.data.readers.decoding import read_lines
from finetune.data.report import Problem


def delimited_records(raw: RawData) -> Iterator[tuple[int, dict[str, Any]]]:
    """CSV/TSV rows as dicts, numbered from 1 after the header.

    TSV files of public datasets (GLUE, for one) contain unbalanced quote characters that are plain text;
    such files are read without quote processing when that gives every line the header's field count.
    """
    sep = "," if raw.format == "csv" else "\t"
    quoting = csv.QUOTE_NONE if sep == "\t" and _plain_tsv(raw) else csv.QUOTE_MINIMAL
    lines = (line for _, line in read_lines(raw))
    skipped = 0
    first = None
    for line in lines:
        if line.strip():
            first = line
            break
        skipped += 1
    if first is None:
        raw.problems.append(Problem(None, None, "The file has no header and no rows.",
                                    "Upload a file whose first line names the columns."))
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
    row = 0
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
                                        f"{'a comma' if sep == ',' else 'a tab'}."))
            values = (values + [""] * len(header))[:len(header)]
        yield row, dict(zip(header, values, strict=True))


def _plain_tsv(raw: RawData) -> bool:
    """True when splitting every line at tabs gives the header's field count: quotes are then plain text."""
    width = None
    for _, line in read_lines(RawData(path=raw.path, format=raw.format)):
        if not line.strip():
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
