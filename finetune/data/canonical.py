"""The canonical record of each task, built from one raw row of a file whose layout is known.

Canonical records, per task (what every later stage reads):

- text-classification: ``{text, label}`` (``text_pair`` for sentence pairs)
- token-classification: ``{tokens, tags}`` (lists of equal length, BIO tags)
- question-answering: ``{id, question, context, answers: {text: [...], answer_start: [...]}}``
- summarization: ``{document, summary}``; translation: ``{source, target}``
- chat: ``{messages: [{role, content}, ...]}`` (alpaca, ShareGPT, transcript, ... rows are converted here, the
  conversation shapes by ``finetune.data.shapes``)

and ``split`` when the file says which part a row belongs to. One builder per task, in ``RECORD_BUILDERS``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from catalog.errors import DataError
from finetune.data.layouts import Layout
from finetune.data.report import Problem
from finetune.data.shapes import (
    ShapeError,
    answer_texts,
    content_text,
    context_text,
    listish,
    nq_answers,
    spans_to_bio,
    to_bio,
    transcript_turns,
    turns,
)

SPLIT_VALUES = {"train": "train", "training": "train", "test": "test", "validation": "validation",
                "valid": "validation", "val": "validation", "dev": "validation", "eval": "validation",
                "evaluation": "validation", "heldout": "test", "held-out": "test"}
RecordBuilder = Callable[[Layout, Mapping[str, Any], int, Sequence[str] | None, list[Problem]],
                         dict[str, Any] | None]
"""``(layout, raw record, row, label names, problems) -> canonical record, or None when unusable``."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN from a missing Parquet / pandas cell
        return ""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(value)  # a text given as a list of sentences or utterances
    return value if isinstance(value, str) else str(value)


NO_LABEL = ("-", "none", "null", "nan")
"""Label values that mean "no label" (SNLI's "-" where annotators disagreed; JSON null): such rows are left out
with a warning, while an empty cell is a problem to fix (see ``finetune.data.intake``)."""


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
    value = record.get(roles["label"])
    listed = listish(value) if not isinstance(value, str) or value.strip().startswith("[") else None
    if listed is not None:  # a list of labels: one is a label, several are multi-label (refused), none is no label
        if len(listed) > 1:
            problems.append(Problem(row, roles["label"], f"Several labels for one text ({', '.join(map(str, listed[:5]))}"
                                    "): this is multi-label classification, which tunewise does not train (a "
                                    "single-label model cannot learn texts that carry several labels).",
                                    "Keep one label per text (its main one), or train one yes/no classifier per "
                                    "label."))
        value = listed[0] if listed else ""
    no_label = value is None or (isinstance(value, int | float) and not isinstance(value, bool) and value == -1
                                 and bool(label_names))  # datasets' ClassLabel: -1 is "no label" (test splits)
    label = "" if no_label else _name_label(value, label_names)
    no_label = no_label or label.lower() in NO_LABEL
    out: dict[str, Any] = {"text": _text(record.get(roles["text"])), "label": "" if no_label else label}
    if no_label:
        out["no_label"] = True
    if "text_pair" in roles:
        out["text_pair"] = _text(record.get(roles["text_pair"]))
    return out


def _ner(layout: Layout, record: Mapping[str, Any], row: int, label_names: Sequence[str] | None,
         problems: list[Problem]) -> dict[str, Any] | None:
    roles = layout.roles
    tokens_value, tags_value = record.get(roles["tokens"]), record.get(roles["tags"])
    if layout.tag_style == "spans":
        try:
            words, bio = spans_to_bio(_text(tokens_value), tags_value)
        except ShapeError as exc:
            problems.append(Problem(row, roles["tags"], f"The entities do not fit the text: {exc}.",
                                    'Give each entity as [start, end, "TYPE"] character offsets into the text.'))
            return None
        return {"tokens": words, "tags": bio}
    tokens: list[Any] | None = listish(tokens_value)
    tags: list[Any] | None = listish(tags_value)
    if tokens is None and tags is None and isinstance(tokens_value, str) and isinstance(tags_value, str):
        tokens, tags = tokens_value.split(), tags_value.split()  # space-separated columns of a table
    if tokens is None or tags is None:
        field_name, value = (roles["tokens"], tokens_value) if tokens is None else (roles["tags"], tags_value)
        what = "tokens" if tokens is None else "tags"
        shown = f"one string ('{_short(_text(value))}')" if isinstance(value, str) else f"a {type(value).__name__}"
        example = '["Anna", "lives", "in", "Oslo"]' if what == "tokens" else '["B-PER", "O", "O", "B-LOC"]'
        other = tags if what == "tokens" else tokens
        count = f" ({len(other)} here, one per {'tag' if what == 'tokens' else 'token'})" if other else ""
        problems.append(Problem(row, field_name, f"The {what} are {shown}, not a list.",
                                f"Give the {what} as a list{count}, e.g. {example}."))
        return None
    tags = [_name_label(t, label_names) for t in tags]
    tags, scheme = to_bio(tags)
    if scheme:
        layout.notes.add(scheme)
    return {"tokens": [_text(t) for t in tokens], "tags": tags}


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _qa(layout: Layout, record: Mapping[str, Any], row: int, label_names: Sequence[str] | None,
        problems: list[Problem]) -> dict[str, Any]:
    roles = layout.roles
    context = context_text(record.get(roles["context"]))
    if layout.qa_style == "nq":
        try:
            context, texts, starts = nq_answers(context, record.get(roles["answers"]))
        except ShapeError as exc:
            problems.append(Problem(row, roles["answers"], f"The answers are not Natural Questions annotations: {exc}.",
                                    "Give annotations as [{short_answers: [{start_token, end_token}]}]."))
            texts, starts = [], []
        answers: dict[str, list[Any]] = {"text": texts, "answer_start": list(starts)}
    else:
        answers = _answers(record, roles, row, context, problems)
    return {"id": _text(record.get(roles.get("id", ""), row)) or str(row),
            "question": _text(record.get(roles["question"])), "context": context, "answers": answers}


def _summarization(layout: Layout, record: Mapping[str, Any], row: int, label_names: Sequence[str] | None,
                   problems: list[Problem]) -> dict[str, Any]:
    roles = layout.roles
    return {"document": _text(record.get(roles["document"])), "summary": _text(record.get(roles["summary"]))}


def _answers(record: Mapping[str, Any], roles: Mapping[str, str], row: int, context: str,
             problems: list[Problem]) -> dict[str, list[Any]]:
    """SQuAD answers from the shapes found in the wild (see ``finetune.data.shapes.answer_texts``)."""
    raw = record.get(roles["answers"]) if "answers" in roles else None
    if isinstance(raw, str) and raw.strip()[:1] in ("{", "["):  # a CSV export of a dict or list column
        raw = _parsed(raw)
    if isinstance(raw, str) and roles["answers"].lower() == "answer_token_ranges":
        return _token_ranges(raw, context)
    texts: list[Any]
    starts: list[Any]
    if isinstance(raw, Mapping | list):
        texts, starts = answer_texts(raw, context)
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


def _parsed(text: str) -> Any:
    """A dict or list written as JSON or Python text, else the text as it is."""
    import ast

    for parse in (json.loads, ast.literal_eval):
        try:
            return parse(text)
        except (ValueError, SyntaxError, RecursionError, MemoryError):
            continue
    return text


def _token_ranges(ranges: str, context: str) -> dict[str, list[Any]]:
    """NewsQA's ``answer_token_ranges`` ("7:9,12:13": token spans of the whitespace-split story) as answers."""
    tokens = context.split()
    texts: list[Any] = []
    for part in ranges.split(","):
        first, _, last = part.partition(":")
        if first.strip().isdigit() and last.strip().isdigit():
            texts.append(" ".join(tokens[int(first):int(last)]))
    return {"text": texts, "answer_start": [None] * len(texts)}


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
            if layout.chat_style == "transcript" or (isinstance(value, str) and not value.lstrip().startswith("[")):
                return transcript_turns(_text(value))
            if isinstance(value, str):
                value = json.loads(value)
            return turns(value)
        system = _text(record.get(roles["system"])) if "system" in roles else None
        return chat_from_alpaca(_text(record.get(roles["instruction"])),
                                _text(record.get(roles["input"])) if "input" in roles else "",
                                content_text(record.get(roles["output"])), system=system or None)
    except (DataError, ShapeError, ValueError) as exc:
        problems.append(Problem(row, roles.get("messages") or roles.get("instruction"),
                                str(exc).rstrip(".")[:1].upper() + str(exc).rstrip(".")[1:] + ".",
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


# ----------------------------------------------------------------------------------------------- NER tags
def ner_tag_names(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """The tag set of NER records: ``O`` first, then a B-/I- pair per entity type, types sorted.

    Both tags of a pair are listed even when one never occurs, so ``B-X`` always has an ``I-X``.
    """
    types = {tag[2:] if tag[:2] in ("B-", "I-") else tag for r in records for tag in r["tags"] if tag != "O"}
    return ["O"] + [f"{prefix}-{t}" for t in sorted(types) for prefix in ("B", "I")]
