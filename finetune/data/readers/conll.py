"""CoNLL-style whitespace columns: one token per line, the tag in the last column, blank lines between
sentences; and how to recognise such a file from its first lines."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

from finetune.data.readers.base import RawData
from finetune.data.readers.decoding import read_lines
from finetune.data.report import Problem

_TAG = re.compile(r"^(?:O|[BIESLU][-_][\w.$-]+|[\w.$-]+[-_][BIESLU]|\d+)$")


def looks_like_conll_line(line: str) -> bool:
    """Whether a line reads as a CoNLL token line (a few columns ending in a tag) or a document start."""
    parts = line.split()
    return line.startswith("-DOCSTART-") or (2 <= len(parts) <= 10 and bool(_TAG.match(parts[-1])))


def conll_records(raw: RawData) -> Iterator[tuple[int, dict[str, Any]]]:
    """CoNLL-style columns: one token per line, the tag in the last column, blank lines between sentences.

    ``-DOCSTART-`` lines are skipped; ``#`` comment lines (CoNLL-U) are skipped. The record's number
    is the line where its sentence starts. Two variants are recognised from the first lines: the tag in the
    first column and the token in the last (the MIT Restaurant and Movie corpora), and a leading column of
    token numbers (skipped).
    """
    lines = read_lines(raw)
    head = list(itertools.islice(lines, 400))
    tag_first, numbered = _orientation([ln for _, ln in head])
    tokens: list[str] = []
    tags: list[str] = []
    start = 0
    for number, line in itertools.chain(head, lines):
        stripped = line.strip()
        if stripped.startswith("-DOCSTART-") or stripped.startswith("#"):
            continue
        if not stripped:
            if tokens:
                yield start, {"tokens": tokens, "tags": tags}
            tokens, tags = [], []
            continue
        parts = stripped.split("\t") if "\t" in stripped else stripped.split()
        if numbered and len(parts) > 2:
            parts = parts[1:]
        if len(parts) < 2:
            raw.problems.append(Problem(number, None, f"Line {number} has a token but no tag: '{stripped[:40]}'.",
                                        "Give each token line a tag in its last column (O for none)."))
            continue
        if not tokens:
            start = number
        token, tag = (parts[-1], parts[0]) if tag_first else (parts[0], parts[-1])
        tokens.append(token)
        tags.append(tag.strip())
    if tokens:
        yield start, {"tokens": tokens, "tags": tags}


def _orientation(lines: list[str]) -> tuple[bool, bool]:
    """``(tag in the first column, a leading column of token numbers)`` judged on the first token lines."""
    rows = [ln.strip().split("\t") if "\t" in ln else ln.split() for ln in lines
            if ln.strip() and not ln.lstrip().startswith(("#", "-DOCSTART-"))]
    rows = [r for r in rows if len(r) >= 2]
    if not rows:
        return False, False
    numbered = len(rows[0]) > 2 and all(r[0].isdigit() for r in rows)
    if numbered:
        rows = [r[1:] for r in rows]
    first = sum(bool(_TAG.match(r[0])) and not _TAG.match(r[-1]) for r in rows)
    last = sum(bool(_TAG.match(r[-1])) and not _TAG.match(r[0]) for r in rows)
    return first > last, numbered
