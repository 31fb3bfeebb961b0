"""Datasets whose examples span several rows, regrouped into one record per example before detection.

- **Token per row** (Kaggle's GMB ``ner_dataset.csv``: ``Sentence #, Word, POS, Tag``, the sentence named on its
  first row only; or a sentence id on every row): rows of one sentence become ``{tokens, tags}``.
- **Questions per row** (CoQA: ``story``, ``questions: [{input_text}]``, ``answers: [{span_text, input_text}]``):
  one record per question, its answer the span of the story (the conversation's earlier turns are not kept).
- **Message per row** (OpenAssistant ``oasst1``/``oasst2`` as the Hugging Face rows: ``message_id, parent_id,
  text, role, rank, message_tree_id``): the rows of one message tree become one conversation, following the
  best-ranked reply at each turn (``finetune.data.shapes.tree_path``).

Rows are grouped as they stream (a tree's or a sentence's rows must be together, as these files have them); a
record is numbered by its first row.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from finetune.data.columns import SENTENCE_ID, SPLIT
from finetune.data.shapes import tree_path

Items = Iterator[tuple[int, dict[str, Any]]]
WORD = ("word", "token", "words", "tokens")
TAG = ("tag", "ner", "ner_tag", "label", "bio", "iob")


def regroup(head: Sequence[tuple[int, dict[str, Any]]], rest: Iterable[tuple[int, dict[str, Any]]]
            ) -> tuple[str | None, Items]:
    """Regroup a multi-row layout, or pass the rows through.

    Args:
        head: The first rows (enough to recognise the layout).
        rest: The rows after them.

    Returns:
        ``(kind, records)``: ``kind`` is ``token-rows``, ``message-rows`` or None (rows passed through as they are).
    """
    rows = [r for _, r in head]
    items = itertools.chain(head, rest)
    columns = _token_columns(rows)
    if columns is not None:
        return "token-rows", _sentences(items, *columns)
    if rows and all({"message_id", "parent_id", "text", "role"} <= set(r) for r in rows):
        return "message-rows", _trees(items)
    if rows and all({"story", "questions", "answers"} <= set(r) and isinstance(r["questions"], list) for r in rows):
        return "question-lists", _questions(items)
    return None, items


def _pick(names: Iterable[str], choices: Sequence[str]) -> str | None:
    lowered = {n.lower(): n for n in names}
    return next((lowered[c] for c in choices if c in lowered), None)


def _token_columns(rows: Sequence[Mapping[str, Any]]) -> tuple[str, str, str] | None:
    """``(word, tag, sentence)`` columns when rows hold one token each, else None."""
    if len(rows) < 2:
        return None
    names = list(dict.fromkeys(k for r in rows for k in r))
    word, tag, sentence = _pick(names, WORD), _pick(names, TAG), _pick(names, SENTENCE_ID)
    if not (word and tag and sentence) or len({word, tag, sentence}) < 3:
        return None
    words = [r.get(word) for r in rows]
    tags = [str(r.get(tag, "")) for r in rows]
    single = sum(isinstance(w, str) and len(w.split()) == 1 for w in words) >= 0.9 * len(rows)
    tag_like = sum(t == "O" or t[:2] in ("B-", "I-") for t in tags) >= 0.9 * len(rows)
    return (word, tag, sentence) if single and tag_like else None


def _sentences(items: Items, word: str, tag: str, sentence: str) -> Items:
    current: dict[str, Any] | None = None
    start = 0
    key: Any = None
    for number, row in items:
        marker = row.get(sentence)
        new = marker not in (None, "") and marker != key
        if new or current is None:
            if current is not None and current["tokens"]:
                yield start, current
            key, start = marker, number
            current = {"tokens": [], "tags": []}
            split = _pick(row, SPLIT)
            if split:
                current["split"] = row[split]
        current["tokens"].append(str(row.get(word, "")))
        current["tags"].append(str(row.get(tag, "")).strip())
    if current is not None and current["tokens"]:
        yield start, current


def _trees(items: Items) -> Items:
    tree: list[tuple[int, dict[str, Any]]] = []
    tree_id: Any = None
    for number, row in items:
        row_tree = row.get("message_tree_id")
        starts = row_tree != tree_id if row_tree is not None else row.get("parent_id") in (None, "")
        if starts and tree:
            yield from _conversation(tree)
            tree = []
        tree_id = row_tree
        tree.append((number, row))
    if tree:
        yield from _conversation(tree)


def _conversation(rows: list[tuple[int, dict[str, Any]]]) -> Items:
    nodes = {str(r["message_id"]): {**r, "replies": []} for _, r in rows}
    roots = []
    for _, row in rows:
        node = nodes[str(row["message_id"])]
        parent = nodes.get(str(row.get("parent_id")))
        if parent is None:
            roots.append(node)
        else:
            parent["replies"].append(node)
    for root in roots:
        messages = tree_path(root)
        if len(messages) >= 2:
            yield rows[0][0], {"messages": messages}


def _questions(items: Items) -> Items:
    for number, row in items:
        answers = row.get("answers") or []
        for index, question in enumerate(row.get("questions") or []):
            answer = answers[index] if index < len(answers) and isinstance(answers[index], Mapping) else {}
            text = question.get("input_text") if isinstance(question, Mapping) else question
            yield number, {"id": f"{number}-{index + 1}", "question": text, "context": row.get("story"),
                           "answers": [answer.get("span_text") or answer.get("input_text") or ""]}
