"""Which task a dataset is for, which column plays which role, and the canonical record of each row.

Detection looks at column names and at the shape of the first records' values (a list of
``{"role", "content"}`` dicts is a conversation, two equally long lists are tokens and tags, a nested
``{"en": ..., "de": ...}`` is a translation pair). The user can override the task and any role
(``--task``, ``--column role=name``); a named column that does not exist is reported with the closest
existing name. The canonical records are those of ``finetune.tasks.features.TASK_COLUMNS``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from finetune.data.readers import Problem

TEXT = ("text", "sentence", "sentence1", "premise", "question1", "text_a", "message", "content", "body", "query",
        "utterance", "review", "input", "ticket", "comment", "tweet", "document")
TEXT_PAIR = ("text_pair", "sentence2", "hypothesis", "question2", "text_b")
LABEL = ("label", "labels", "intent", "category", "class", "target", "topic", "tag", "sentiment", "gold_label", "y")
TOKENS = ("tokens", "words", "token", "word", "sentence_tokens")
TAGS = ("ner_tags", "ner", "tags", "labels", "label", "ner_labels", "tag", "entities_bio")
QUESTION = ("question", "query", "q")
CONTEXT = ("context", "passage", "paragraph", "document", "text", "article")
ANSWERS = ("answers", "answer", "answer_text", "answer_texts", "gold_answer")
ANSWER_START = ("answer_start", "answer_starts", "start", "answer_char_start")
QA_ID = ("id", "qid", "question_id", "uid")
DOCUMENT = ("document", "article", "text", "dialogue", "content", "body", "source", "input", "story", "report")
SUMMARY = ("summary", "highlights", "abstract", "headline", "summary_text", "tldr", "target", "output")
SOURCE = ("source", "src", "source_text", "source_sentence")
TARGET = ("target", "tgt", "target_text", "target_sentence", "reference")
MESSAGES = ("messages", "conversations", "conversation", "dialog", "dialogue_turns", "turns", "chat")
INSTRUCTION = ("instruction", "prompt", "instructions")
ALPACA_INPUT = ("input", "context")
OUTPUT = ("output", "response", "completion", "answer", "chosen")
SYSTEM = ("system", "system_prompt")
SPLIT = ("split", "set", "subset", "fold", "partition")
LANGUAGE_CODES = {"en", "de", "fr", "es", "it", "pt", "nl", "ro", "ru", "zh", "ja", "ko", "ar", "cs", "pl", "tr",
                  "fi", "sv", "da", "no", "nb", "el", "hu", "uk", "hi", "bn", "vi", "th", "id", "he", "et", "lv",
                  "lt", "bg", "hr", "sk", "sl", "sr", "ca", "eu", "gl", "is", "ga", "cy", "mt", "sw", "yo", "zu",
                  "af", "fa", "ur", "ta", "te", "ms", "tl", "kk", "uz", "ne", "si", "km", "my", "am", "ha", "ig"}
SPLIT_VALUES = {"train": "train", "training": "train", "test": "test", "validation": "validation",
                "valid": "validation", "val": "validation", "dev": "validation", "eval": "validation",
                "evaluation": "validation", "heldout": "test", "held-out": "test"}
ROLES: dict[str, tuple[str, ...]] = {
    "text-classification": ("text", "text_pair", "label"),
    "token-classification": ("tokens", "tags"),
    "question-answering": ("question", "context", "answers", "answer_start", "id"),
    "summarization": ("document", "summary"),
    "translation": ("translation", "source", "target"),
    "chat": ("messages", "instruction", "input", "output", "system"),
}
"""Roles a user may map to a column, per task (``--column role=name``)."""
DETECTION_ORDER = ("chat", "question-answering", "token-classification", "translation", "summarization",
                   "text-classification")
"""Most specific layouts first: a conversation column or a tokens/tags pair is never a text/label table."""


@dataclass
class Layout:
    """The detected (or chosen) task and the column of each role."""

    task: str | None
    roles: dict[str, str] = field(default_factory=dict)
    split_column: str | None = None
    chat_style: str | None = None
    """``openai`` (role/content), ``sharegpt`` (from/value), ``alpaca`` or ``prompt-completion``."""
    source_lang: str | None = None
    target_lang: str | None = None
    problems: list[Problem] = field(default_factory=list)


def _pick(columns: Sequence[str], names: Sequence[str], taken: Sequence[str] = ()) -> str | None:
    lowered = {c.lower(): c for c in columns if c not in taken}
    return next((lowered[n] for n in names if n in lowered), None)


def _is_messages(value: Any) -> str | None:
    if isinstance(value, list) and value and all(isinstance(m, Mapping) for m in value):
        keys = set(value[0])
        if {"role", "content"} <= keys:
            return "openai"
        if {"from", "value"} <= keys:
            return "sharegpt"
    return None


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def _is_tag_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str | int) and not isinstance(v, bool)
                                                           for v in value)


def detect_layout(sample: Sequence[Mapping[str, Any]], *, task: str | None = None,
                  columns: Mapping[str, str] | None = None) -> Layout:
    """Work out the task and the role of each column from the first records.

    Args:
        sample: The first records of the file (a few dozen are enough).
        task: Force this task instead of inferring it.
        columns: Role -> column overrides, e.g. ``{"text": "body"}``.

    Returns:
        The layout; ``task`` is None (with a problem saying why) when nothing fits.
    """
    names: list[str] = list(dict.fromkeys(str(k) for record in sample[:50] for k in record))
    overrides = {str(role): str(column) for role, column in (columns or {}).items()}
    problems: list[Problem] = []
    if task is not None and task not in ROLES:
        close = difflib.get_close_matches(str(task), list(ROLES), n=1, cutoff=0.5)
        return Layout(task=None, problems=[Problem(None, None, f"Unknown task '{task}'.",
                                                   (f"Did you mean '{close[0]}'? " if close else "")
                                                   + f"Tasks are: {', '.join(ROLES)}.")])
    for role, column in overrides.items():
        if column not in names:
            close = difflib.get_close_matches(column, names, n=1, cutoff=0.5)
            problems.append(Problem(None, column, f"The {role} column '{column}' is not in the file.",
                                    f"Did you mean '{close[0]}'?" if close else f"Columns are: {', '.join(names)}."))
    known_roles = sorted({r for rs in ROLES.values() for r in rs} | {"split"})
    for role in overrides:
        if role not in known_roles:
            close = difflib.get_close_matches(role, known_roles, n=1, cutoff=0.5)
            problems.append(Problem(None, None, f"'{role}' is not a column role.",
                                    (f"Did you mean '{close[0]}'? " if close else "")
                                    + f"Roles are: {', '.join(known_roles)}."))
    if problems:
        return Layout(task=task, problems=problems)
    split = overrides.get("split") or _pick(names, SPLIT)
    candidates = (task,) if task else DETECTION_ORDER
    for candidate in candidates:
        layout = _try_layout(candidate, names, sample, overrides, forced=task is not None)
        if layout is not None:
            layout.split_column = split
            return layout
    if task:
        return Layout(task=task, split_column=split, problems=[_missing_roles(task, names)])
    hint, column = _rename_hint(names)
    return Layout(task=None, split_column=split, problems=[Problem(
        None, column, f"Cannot tell what task this data is for from its columns ({', '.join(names) or 'none'}).",
        hint + "Name the columns like text/label (classification), tokens/ner_tags (NER), question/context/answers "
        "(QA), document/summary, translation or source/target, or messages (chat) — or pass --task and --column.")])


ALIASES: dict[str, str] = {}
"""Conventional column name -> its role, for "did you mean" hints on misspelt columns."""
for _role, _names in (("text", TEXT), ("text_pair", TEXT_PAIR), ("label", LABEL), ("tokens", TOKENS),
                      ("tags", TAGS), ("question", QUESTION), ("context", CONTEXT), ("answers", ANSWERS),
                      ("answer_start", ANSWER_START), ("document", DOCUMENT), ("summary", SUMMARY),
                      ("source", SOURCE), ("target", TARGET), ("messages", MESSAGES), ("instruction", INSTRUCTION),
                      ("output", OUTPUT), ("translation", ("translation",))):
    for _name in _names:
        ALIASES.setdefault(_name, _role)


def _rename_hint(names: Sequence[str]) -> tuple[str, str | None]:
    """A fix for the first column whose name is a near miss of a conventional one ('lable' -> 'label')."""
    for name in names:
        if len(name) < 3 or name.lower() in ALIASES:
            continue
        close = difflib.get_close_matches(name.lower(), list(ALIASES), n=1, cutoff=0.8)
        if close:
            return (f"Did you mean '{close[0]}' for the column '{name}'? Rename it, or map it with --column "
                    f"{ALIASES[close[0]]}={name}. "), name
    return "", None


def _label_like(sample: Sequence[Mapping[str, Any]], column: str) -> bool:
    """Values that repeat a lot, or are one or two words, are labels, not texts to generate."""
    values = [v for v in (r.get(column) for r in sample) if v is not None]
    if not values or not all(isinstance(v, str) for v in values):
        return bool(values)
    distinct = len(set(values)) / len(values)
    return (distinct <= 0.5 and len(values) >= 4) or all(len(v.split()) <= 2 for v in values)


def _try_layout(task: str, names: list[str], sample: Sequence[Mapping[str, Any]], overrides: Mapping[str, str],
                forced: bool) -> Layout | None:
    first = _representative(sample, names)

    def col(role: str, choices: Sequence[str], taken: Sequence[str] = ()) -> str | None:
        return overrides.get(role) or _pick(names, choices, taken)

    if task == "chat":
        messages = overrides.get("messages") or next((n for n in names if _is_messages(first.get(n))), None) \
            or (_pick(names, MESSAGES) if forced else None)
        if messages:
            return Layout(task, {"messages": messages}, chat_style=_is_messages(first.get(messages)) or "openai")
        instruction, output = col("instruction", INSTRUCTION), col("output", OUTPUT)
        if instruction and output and instruction != output:
            roles = {"instruction": instruction, "output": output}
            if (inp := col("input", ALPACA_INPUT, (instruction, output))) is not None:
                roles["input"] = inp
            if (system := col("system", SYSTEM)) is not None:
                roles["system"] = system
            style = "alpaca" if instruction.lower().startswith("instruction") else "prompt-completion"
            return Layout(task, roles, chat_style=style)
        return None
    if task == "question-answering":
        question, context = col("question", QUESTION), col("context", CONTEXT)
        answers = col("answers", ANSWERS)
        if question and context and (answers or forced):
            roles = {"question": question, "context": context}
            roles.update({k: v for k, v in (("answers", answers), ("answer_start", col("answer_start", ANSWER_START)),
                                            ("id", col("id", QA_ID))) if v})
            return Layout(task, roles)
        return None
    if task == "token-classification":
        tokens = overrides.get("tokens") or next((n for n in _ordered(names, TOKENS) if _is_str_list(first.get(n))),
                                                 None)
        tags = overrides.get("tags") or next((n for n in _ordered(names, TAGS)
                                              if n != tokens and _is_tag_list(first.get(n))), None)
        if tokens and tags:
            return Layout(task, {"tokens": tokens, "tags": tags})
        return None
    if task == "translation":
        nested = overrides.get("translation") or next(
            (n for n in names if isinstance(first.get(n), Mapping) and len(first[n]) >= 2
             and all(isinstance(v, str) for v in first[n].values())), None)
        if nested:
            langs = [str(k) for k in first.get(nested, {})] if isinstance(first.get(nested), Mapping) else []
            return Layout(task, {"translation": nested}, source_lang=langs[0] if langs else None,
                          target_lang=langs[1] if len(langs) > 1 else None)
        codes = [n for n in names if n.lower() in LANGUAGE_CODES]
        source, target = col("source", SOURCE), col("target", TARGET)
        if source and target and source != target:
            return Layout(task, {"source": source, "target": target})
        if len(codes) == 2:
            return Layout(task, {"source": codes[0], "target": codes[1]}, source_lang=codes[0].lower(),
                          target_lang=codes[1].lower())
        return None
    if task == "summarization":
        summary = col("summary", SUMMARY)
        document = col("document", DOCUMENT, (summary,) if summary else ())
        if document and summary and document != summary and (forced or not _label_like(sample, summary)):
            return Layout(task, {"document": document, "summary": summary})
        return None
    if task == "text-classification":
        label = col("label", LABEL)
        if label and not forced and isinstance(first.get(label), list | Mapping):
            return None
        text = col("text", TEXT, (label,) if label else ())
        if text is None and label is not None:
            others = [n for n in names if n != label and isinstance(first.get(n), str)]
            text = max(others, key=lambda n: len(str(first.get(n, ""))), default=None)
        if text and label and text != label:
            roles = {"text": text, "label": label}
            if (pair := col("text_pair", TEXT_PAIR, (text, label))) is not None:
                roles["text_pair"] = pair
            return Layout(task, roles)
        return None
    return None


def _representative(sample: Sequence[Mapping[str, Any]], names: Sequence[str]) -> dict[str, Any]:
    """Per column, its first non-empty value in the sample: one broken first row must not hide the layout."""
    out: dict[str, Any] = {}
    for name in names:
        values = (r.get(name) for r in sample)
        out[name] = next((v for v in values if v not in (None, "", [], {})), sample[0].get(name) if sample else None)
    return out


def _ordered(names: list[str], preferred: Sequence[str]) -> list[str]:
    """Column names, the conventional ones first."""
    lowered = [n.lower() for n in names]
    first = [names[lowered.index(p)] for p in preferred if p in lowered]
    return first + [n for n in names if n not in first]


def _missing_roles(task: str, names: list[str]) -> Problem:
    wanted = {"text-classification": "a text column and a label column",
              "token-classification": "a column of token lists and a column of tag lists of the same length",
              "question-answering": "question, context and answers columns",
              "summarization": "a document column and a summary column",
              "translation": "a translation column of {lang: text} pairs, or source and target columns",
              "chat": "a messages column (role/content), a ShareGPT conversations column, or instruction/output"}[task]
    hint, column = _rename_hint(names)
    return Problem(None, column, f"This file does not look like {task} data: it needs {wanted}, but its columns "
                   f"are {', '.join(names) or 'none'}.", hint + "Rename the columns or map them with --column "
                   f"role=name (roles: {', '.join(ROLES[task])}).")


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
    """Turn one raw record into the task's canonical record (see ``finetune.tasks.features.TASK_COLUMNS``).

    Args:
        layout: The detected layout (with a task).
        record: The raw record.
        row: Its row/line number, for problems.
        label_names: Names of integer labels or tags.

    Returns:
        ``(canonical record or None when unusable, problems found while converting)``.
    """
    roles, task = layout.roles, layout.task
    problems: list[Problem] = []
    out: dict[str, Any]
    if task == "text-classification":
        out = {"text": _text(record.get(roles["text"])), "label": _name_label(record.get(roles["label"]), label_names)}
        if "text_pair" in roles:
            out["text_pair"] = _text(record.get(roles["text_pair"]))
    elif task == "token-classification":
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
            return None, problems
        out = {"tokens": [_text(t) for t in tokens], "tags": [_name_label(t, label_names) for t in tags]}
    elif task == "question-answering":
        out = {"id": _text(record.get(roles.get("id", ""), row)) or str(row),
               "question": _text(record.get(roles["question"])), "context": _text(record.get(roles["context"])),
               "answers": _answers(record, roles, row, problems)}
    elif task == "summarization":
        out = {"document": _text(record.get(roles["document"])), "summary": _text(record.get(roles["summary"]))}
    elif task == "translation":
        out = _translation(layout, record, row, problems)
    elif task == "chat":
        messages = _messages(layout, record, row, problems)
        if messages is None:
            return None, problems
        out = {"messages": messages}
    else:
        return None, problems
    if layout.split_column and layout.split_column in record:
        value = _text(record.get(layout.split_column)).strip().lower()
        if value:
            out["split"] = SPLIT_VALUES.get(value, value)
    elif "split" in record and layout.split_column is None:
        out["split"] = SPLIT_VALUES.get(_text(record["split"]).lower(), _text(record["split"]).lower())
    return out, problems


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


def _translation(layout: Layout, record: Mapping[str, Any], row: int, problems: list[Problem]) -> dict[str, Any]:
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


def _messages(layout: Layout, record: Mapping[str, Any], row: int,
              problems: list[Problem]) -> list[dict[str, str]] | None:
    from catalog.errors import DataError
    from finetune.tasks.chat_format import chat_from_alpaca, chat_from_sharegpt

    roles = layout.roles
    try:
        if "messages" in roles:
            value = record.get(roles["messages"])
            if isinstance(value, str):
                import json

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
