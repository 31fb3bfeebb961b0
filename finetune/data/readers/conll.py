"""CoNLL-style whitespace columns: one token per line, the tag in the last column, blank lines between
sentences; and how to recognise such a file from its first lines."""

from __future__ import annotations

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
    is the line where its sentence starts.
    """
    tokens: list[str] = []
    tags: list[str] = []
    start = 0
    for number, line in read_lines(raw):
        stripped = line.strip()
        if stripped.startswith("-DOCSTART-") or stripped.startswith("#"):
            continue
        if not stripped:
            if tokens:
                yield start, {"tokens": tokens, "tags": tags}
            tokens, tags = [], []
            continue
        parts = stripped.split("\t") if "\t" in stripped else stripped.split()
        if len(parts) < 2:
            raw.problems.append(Problem(number, None, f"Line {number} has a token but no tag: '{stripped[:40]}'.",
                                        "Give each token line a tag in its last column (O for none)."))
            continue
        if not tokens:
            start = number
        tokens.append(parts[0])
        tags.append(parts[-1].strip())
    if tokens:
        yield start, {"tokens": tokens, "tags": tags}
