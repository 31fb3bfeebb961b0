"""Checks of one dataset row: a canonical record of its task, checked as it streams past.

Each task's check (:data:`ROW_CHECKS`) looks at one record (empty fields, tokens vs tags and the BIO
scheme, answers vs contexts, chat turns) and returns ``(kind, problem)`` pairs; ``finetune.data.intake``
collects them (listing each kind up to :data:`~finetune.data.report.MAX_PER_KIND` rows).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from finetune.data.report import Problem

CHAT_ROLES = ("system", "user", "assistant", "tool")

RowCheck = Callable[[dict[str, Any], int, Mapping[str, str]], list[tuple[str, Problem]]]


def _empty(value: str, row: int, field_name: str | None, what: str) -> list[tuple[str, Problem]]:
    if value.strip():
        return []
    return [(f"empty-{what}", Problem(row, field_name, f"The {what} is empty.", f"Fill in the {what} or delete the "
                                      "row."))]


def _check_classification(rec: dict[str, Any], row: int, roles: Mapping[str, str]) -> list[tuple[str, Problem]]:
    out = _empty(rec["text"], row, roles.get("text"), "text") + _empty(rec["label"], row, roles.get("label"), "label")
    if "text_pair" in rec:
        out += _empty(rec["text_pair"], row, roles.get("text_pair"), "second text")
    return out


def _check_ner(rec: dict[str, Any], row: int, roles: Mapping[str, str]) -> list[tuple[str, Problem]]:
    tokens, tags = rec["tokens"], rec["tags"]
    if not tokens:
        return [("empty-tokens", Problem(row, roles.get("tokens"), "The sentence has no tokens.",
                                         "Delete the row or add its tokens."))]
    if len(tokens) != len(tags):
        return [("length", Problem(row, roles.get("tags"), f"{len(tokens)} tokens but {len(tags)} tags.",
                                   "Give exactly one tag per token (O for tokens outside any entity)."))]
    out = []
    empty = [i + 1 for i, t in enumerate(tokens) if not t.strip()]
    if empty:
        out.append(("empty-token", Problem(row, roles.get("tokens"), f"Token {empty[0]} is empty.",
                                           "Remove empty tokens together with their tags.")))
    for i, tag in enumerate(tags):
        if tag != "O" and not bio_tag(tag):
            out.append(("scheme", Problem(row, roles.get("tags"), f"Tag '{tag}' at token {i + 1} is not BIO "
                                          "(B-TYPE, I-TYPE or O).", "Use B-/I- prefixes, e.g. B-PER, I-PER, and O.")))
            return out
    return out


def bio_tag(tag: str) -> bool:
    """Whether a tag reads as BIO (``B-TYPE`` / ``I-TYPE``) or is a numeric tag id."""
    return len(tag) > 2 and tag[:2] in ("B-", "I-") or tag.isdigit()


def _check_qa(rec: dict[str, Any], row: int, roles: Mapping[str, str]) -> list[tuple[str, Problem]]:
    out = _empty(rec["question"], row, roles.get("question"), "question")
    out += _empty(rec["context"], row, roles.get("context"), "context")
    context = rec["context"]
    field_name = roles.get("answers")
    for text, start in zip(rec["answers"]["text"], rec["answers"]["answer_start"], strict=True):
        if not text.strip():
            out.append(("empty-answer", Problem(row, field_name, "An answer text is empty.",
                                                "Give the answer span, or an empty answers list for a question "
                                                "that cannot be answered.")))
            continue
        if start is not None and context[start:start + len(text)] == text:
            continue
        found = _nearest(context, text, start)
        if found < 0:
            out.append(("answer-missing", Problem(row, field_name, f"The answer '{_short(text)}' does not occur in "
                                                  "the context.", "Copy the answer exactly from the context (same "
                                                  "spelling and case), or mark the question unanswerable.")))
        elif start is None:
            rec["answers"]["answer_start"][rec["answers"]["text"].index(text)] = found
        else:
            out.append(("answer-start", Problem(row, roles.get("answer_start") or field_name,
                                                f"answer_start {start} does not point at the answer "
                                                f"'{_short(text)}' (the context there reads "
                                                f"'{_short(context[start:start + len(text)])}').",
                                                f"Set answer_start to {found}, where the answer occurs.")))
    return out


def _nearest(context: str, text: str, start: int | None) -> int:
    """Where ``text`` occurs in ``context``: the occurrence nearest ``start`` (the first when no start), or -1."""
    found, best = context.find(text), -1
    while found >= 0:
        if start is None:
            return found
        if best < 0 or abs(found - start) < abs(best - start):
            best = found
        found = context.find(text, found + 1)
    return best


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _check_summarization(rec: dict[str, Any], row: int, roles: Mapping[str, str]) -> list[tuple[str, Problem]]:
    return _empty(rec["document"], row, roles.get("document"), "document") + \
        _empty(rec["summary"], row, roles.get("summary"), "summary")


def _check_translation(rec: dict[str, Any], row: int, roles: Mapping[str, str]) -> list[tuple[str, Problem]]:
    where = roles.get("translation")
    return _empty(rec["source"], row, roles.get("source", where), "source text") + \
        _empty(rec["target"], row, roles.get("target", where), "target text")


def _check_chat(rec: dict[str, Any], row: int, roles: Mapping[str, str]) -> list[tuple[str, Problem]]:
    where = roles.get("messages") or roles.get("instruction")
    messages = rec["messages"]
    out: list[tuple[str, Problem]] = []
    if not messages:
        return [("empty-chat", Problem(row, where, "The conversation has no messages.", "Delete the row."))]
    for i, message in enumerate(messages, start=1):
        if message["role"] not in CHAT_ROLES:
            out.append(("role", Problem(row, where, f"Message {i} has role '{message['role']}'.",
                                        "Use system, user or assistant.")))
        elif not message["content"].strip():
            out.append(("empty-message", Problem(row, where, f"Message {i} ({message['role']}) is empty.",
                                                 "Write its content or drop the message.")))
    if not any(m["role"] == "assistant" for m in messages):
        out.append(("no-assistant", Problem(row, where, "The conversation has no assistant reply to learn from.",
                                            "End it with the assistant's answer.")))
    elif messages[-1]["role"] != "assistant":
        out.append(("last-turn", Problem(row, where, f"The conversation ends with a {messages[-1]['role']} message, "
                                         "which nothing answers.", "End it with the assistant's reply.")))
    return out


ROW_CHECKS: dict[str, RowCheck] = {
    "text-classification": _check_classification, "token-classification": _check_ner, "question-answering": _check_qa,
    "summarization": _check_summarization, "translation": _check_translation, "chat": _check_chat,
}
