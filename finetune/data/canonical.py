"""The canonical record of each task, built from one raw row of a file whose layout is known.

Canonical records, per task (what every later stage reads):

- text-classification: ``{text, label}`` (``text_pair`` for sentence pairs)
- token-classification: ``{tokens, tags}`` (lists of equal length, BIO tags)
- question-answering: ``{id, question, context, answers: {text: [...], answer_start: [...]}}``
- summarization: ``{document, summary}``; translation: ``{source, target}``
- chat: ``{messages: [{role, content}, ...]}`` (alpaca and ShareGPT rows are converted here)

and ``split`` when the file says which part a row belongs to. One builder per task, in ``RECORD_BUILDERS``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from catalog.errors import DataError
from finetune.data.layouts import Layout
from finetune.data.report import Problem

SPLIT_VALUES = {"train": "train", "training": "train", "test": "test", "validation": "validation",
                "valid": "validation", "val": "validation", "dev": "validation", "eval": "validation",
                "evaluation": "validation", "heldout": "test", "held-out": "test"}
SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
                  "chatgpt": "assistant", "system": "system"}

RecordBuilder = Callable[[Layout, Mapping[str, Any], int, Sequence[str] | None, list[Problem]],
                         dict[str, Any] | None]
"""``(layout, raw record, row, label names, problems) -> canonical record, or None when unusable``."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN from a missing Parquet / pandas cell
        return ""
    return value if isinstance(value, str) else str(value)


def _name_label(value: Any, names: Sequence[str] | None) -> str:
    """A label as text: integers are looked up in ``names`` when given (ClassLabel / labels file)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float) and not (isinstance(value, float) and value != value):
        number = int(value) if float(value).is_integer() else None
        if names and number is not None and 0 <= number < len(names):
            return names[number]
        return str(number if number is not None else value)
    if isinstance(value, str) and names and value.strip().lstrip("-").isdigit():
        number = int(value.strip())
        if 0 <= number < len(names):
            return names[number]
    return _text(value).strip()


def canonical_record(layout: Layout, record: Mapping[str, Any], row: int, *,
                     label_names: Sequence[str] | None = None) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Turn one raw record into the task's canonical record (see the module's docstring).

    Args:
        layout: The detected layout (with a task).
        record: The raw record.
        row: Its row/line number, for problems.
        label_names: Names of integer labels or tags.

    Returns:
        ``(canonical record or None when unusable, problems found while converting)``.
    """
    problems: list[Problem] = []
    build = RECORD_BUILDERS.get(layout.task or "")
    out = build(layout, record, row, label_names, problems) if build else None
    if out is None:
        return None, problems
    if layout.split_column and layout.split_column in record:
        value = _text(record.get(layout.split_column)).strip().lower()
        if value:
            out["split"] = SPLIT_VALUES.get(value, value)
    elif "split" in record and layout.split_column is None:
        out["split"] = SPLIT_VALUES.get(_text(record["split"]).lower(), _text(record["split"]).lower())
    return out, problems


# ---------------------------------------------------------------------------------------------- per task
def _classification(layout: Layout, record: Mapping[str, Any], row: int, label_names: Sequence[str] | None,
                    problems: list[Problem]) -> dict[str, Any]:
    roles = layout.roles
    out = {"text": _text(record.get(roles["text"])), "label": _name_label(record.get(roles["label"]), label_names)}
    if "text_pair" in roles:
        out["text_pair"] = _text(record.get(roles["text_pair"]))
    return out


def _ner(layout: Layout, record: Mapping[str, Any], row: int, label_names: Sequence[str] | None,
         problems: list[Problem]) -> dict[str, Any] | None:
    roles = layout.roles
    tokens, tags = record.get(roles["tokens"]), record.get(roles["tags"])
    if isinstance(tokens, str):
        tokens = tokens.split()
    if isinstance(tags, str):
        tags = tags.split()
    if not isinstance(tokens, list) or not isinstance(tags, list):
        problems.append(Problem(row, roles["tokens"] if not isinstance(tokens, list) else roles["tags"],
                                "Tokens and tags must both be lists.",
                                'Write them as JSON lists, e.g. "tokens": ["Anna", "lives"], "ner_tags": '
                                '["B-PER", "O"].'))
        return None
    return {"tokens": [_text(t) for t in tokens], "tags": [_name_label(t, label_names) for t in tags]}


def _qa(layout: Layout, record: Mapping[str, Any], row: int, label_names: Sequence[str] | None,
        problems: list[Problem]) -> dict[str, Any]:
    roles = layout.roles
    return {"id": _text(record.get(roles.get("id", ""), row)) or str(row),
            "question": _text(record.get(roles["question"])), "context": _text(record.get(roles["context"])),
            "answers": _answers(record, roles, row, problems)}


def _summarization(layout: Layout, record: Mapping[str, Any], row: int, label_names: Sequence[str] | None,
                   problems: list[Problem]) -> dict[str, Any]:
    roles = layout.roles
    return {"document": _text(record.get(roles["document"])), "summary": _text(record.get(roles["summary"]))}


def _answers(record: Mapping[str, Any], roles: Mapping[str, str], row: int,
             problems: list[Problem]) -> dict[str, list[Any]]:
    """SQuAD answers from the shapes found in the wild: HF dict of lists, list of dicts, or a plain string."""
    raw = record.get(roles["answers"]) if "answers" in roles else None
    texts: list[Any]
    starts: list[Any]
    if isinstance(raw, Mapping):
        texts, starts = _as_list(raw.get("text")), _as_list(raw.get("answer_start"))
    elif isinstance(raw, list):
        texts = [a.get("text") if isinstance(a, Mapping) else a for a in raw]
        starts = [a.get("answer_start") if isinstance(a, Mapping) else None for a in raw]
    elif raw is None or (isinstance(raw, str) and not raw.strip()):
        texts, starts = [], []
    else:
        texts, starts = [_text(raw)], [record.get(roles["answer_start"]) if "answer_start" in roles else None]
    if len(starts) != len(texts):
        problems.append(Problem(row, roles.get("answers"), f"{len(texts)} answer texts but {len(starts)} "
                                "answer_start values.", "Give one answer_start per answer text."))
        starts = (starts + [None] * len(texts))[:len(texts)]
    clean_starts: list[int | None] = []
    for start in starts:
        try:
            clean_starts.append(None if start is None or start == "" else int(start))
        except (TypeError, ValueError):
            clean_starts.append(None)
    return {"text": [_text(t) for t in texts], "answer_start": clean_starts}


def _as_list(value: Any) -> list[Any]:
    """``{"text": "Paris", "answer_start": 5}`` is one answer; lists are many."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _translation(layout: Layout, record: Mapping[str, Any], row: int, label_names: Sequence[str] | None,
                 problems: list[Problem]) -> dict[str, Any]:
    roles = layout.roles
    if "translation" in roles:
        pair = record.get(roles["translation"])
        if not isinstance(pair, Mapping):
            problems.append(Problem(row, roles["translation"], "The translation field is not an object of "
                                    "language -> text.", 'Write it as {"en": "...", "de": "..."}.'))
            return {"source": "", "target": ""}
        src, tgt = layout.source_lang, layout.target_lang
        missing = [lang for lang in (src, tgt) if lang not in pair]
        if missing:
            problems.append(Problem(row, roles["translation"], f"The pair has no '{missing[0]}' text (it has "
                                    f"{', '.join(map(str, pair))}).", f"Give every pair both {src} and {tgt}."))
        return {"source": _text(pair.get(src)), "target": _text(pair.get(tgt))}
    return {"source": _text(record.get(roles["source"])), "target": _text(record.get(roles["target"]))}


def _content(value: Any) -> str:
    """Message content: a string, or OpenAI's list of parts (``[{"type": "text", "text": ...}]``) joined."""
    if isinstance(value, list):
        return "".join(_text(p.get("text")) if isinstance(p, Mapping) else _text(p) for p in value)
    return _text(value)


def _chat(layout: Layout, record: Mapping[str, Any], row: int, label_names: Sequence[str] | None,
          problems: list[Problem]) -> dict[str, Any] | None:
    messages = _messages(layout, record, row, problems)
    return None if messages is None else {"messages": messages}


def _messages(layout: Layout, record: Mapping[str, Any], row: int,
              problems: list[Problem]) -> list[dict[str, str]] | None:
    roles = layout.roles
    try:
        if "messages" in roles:
            value = record.get(roles["messages"])
            if isinstance(value, str):
                value = json.loads(value)
            if not isinstance(value, list) or not all(isinstance(m, Mapping) for m in value):
                raise DataError("The conversation is not a list of messages.")
            if value and {"from", "value"} <= set(value[0]):
                return chat_from_sharegpt([{**turn, "value": _content(turn.get("value"))} for turn in value])
            return [{"role": _text(m.get("role")).strip().lower(), "content": _content(m.get("content"))}
                    for m in value]
        system = _text(record.get(roles["system"])) if "system" in roles else None
        return chat_from_alpaca(_text(record.get(roles["instruction"])),
                                _text(record.get(roles["input"])) if "input" in roles else "",
                                _text(record.get(roles["output"])), system=system or None)
    except (DataError, ValueError) as exc:
        problems.append(Problem(row, roles.get("messages") or roles.get("instruction"), str(exc).rstrip("."),
                                "Write each message as {\"role\": \"user\"|\"assistant\"|\"system\", \"content\": "
                                "\"...\"}."))
        return None


RECORD_BUILDERS: dict[str, RecordBuilder] = {
    "text-classification": _classification, "token-classification": _ner, "question-answering": _qa,
    "summarization": _summarization, "translation": _translation, "chat": _chat,
}
"""Task -> the builder of its canonical record."""


# ---------------------------------------------------------------------------------------- conversations
def chat_from_alpaca(instruction: str, input: str, output: str, system: str | None = None) -> list[dict[str, str]]:
    """Convert an alpaca row to OpenAI messages: the input follows the instruction after a blank line.

    Args:
        instruction: What the user asks.
        input: Extra context for the instruction; may be empty.
        output: The answer the model should learn.
        system: An optional system prompt.

    Returns:
        ``[system?, user, assistant]`` messages.
    """
    user = f"{instruction.strip()}\n\n{input.strip()}" if input and input.strip() else instruction.strip()
    messages = [{"role": "system", "content": system}] if system else []
    return [*messages, {"role": "user", "content": user}, {"role": "assistant", "content": output}]


def chat_from_sharegpt(conversations: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Convert ShareGPT turns (``{"from", "value"}``) to OpenAI messages.

    Args:
        conversations: Turns whose ``from`` is human / user, gpt / assistant / chatgpt, or system.

    Returns:
        ``{"role", "content"}`` messages in the same order.

    Raises:
        DataError: Naming a ``from`` value that is none of those.
    """
    messages = []
    for number, turn in enumerate(conversations, start=1):
        speaker = str(turn.get("from", "")).strip()
        role = SHAREGPT_ROLES.get(speaker.lower())
        if role is None:
            raise DataError(f"Turn {number} of a ShareGPT conversation comes from '{speaker}', which is not a known "
                            "role. Use human / user, gpt / assistant, or system.")
        messages.append({"role": role, "content": str(turn.get("value", ""))})
    return messages


# ----------------------------------------------------------------------------------------------- NER tags
def ner_tag_names(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """The tag set of NER records: ``O`` first, then a B-/I- pair per entity type, types sorted.

    Both tags of a pair are listed even when one never occurs, so ``B-X`` always has an ``I-X``.
    """
    types = {tag[2:] if tag[:2] in ("B-", "I-") else tag for r in records for tag in r["tags"] if tag != "O"}
    return ["O"] + [f"{prefix}-{t}" for t in sorted(types) for prefix in ("B", "I")]
