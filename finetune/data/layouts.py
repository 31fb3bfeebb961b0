"""Which task a dataset is for and which column plays which role.

Detection looks at column names and at the shape of the first records' values (a list of
``{"role", "content"}`` dicts is a conversation, two equally long lists are tokens and tags, a nested
``{"en": ..., "de": ...}`` is a translation pair), one detector per task in ``DETECTORS``, tried most specific
first. The user can override the task and any role (``--task``, ``--column role=name``); a named column that
does not exist is reported with the closest existing name. ``finetune.data.canonical`` then builds each row's
canonical record from the layout.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from finetune.data.report import Problem

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
WANTED: dict[str, str] = {
    "text-classification": "a text column and a label column",
    "token-classification": "a column of token lists and a column of tag lists of the same length",
    "question-answering": "question, context and answers columns",
    "summarization": "a document column and a summary column",
    "translation": "a translation column of {lang: text} pairs, or source and target columns",
    "chat": "a messages column (role/content), a ShareGPT conversations column, or instruction/output",
}
"""What each task needs, for the problem when a file does not fit the task asked for."""


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


@dataclass
class _Found:
    """What a detector looks at: the column names, the sample, each column's first value, the overrides."""

    names: list[str]
    sample: Sequence[Mapping[str, Any]]
    first: dict[str, Any]
    overrides: Mapping[str, str]
    forced: bool
    """The user named the task: accept a layout that detection alone would not trust."""

    def col(self, role: str, choices: Sequence[str], taken: Sequence[str] = ()) -> str | None:
        """The column of a role: the user's override, else the first conventional name present."""
        return self.overrides.get(role) or _pick(self.names, choices, taken)


def _try_layout(task: str, names: list[str], sample: Sequence[Mapping[str, Any]], overrides: Mapping[str, str],
                forced: bool) -> Layout | None:
    detector = DETECTORS.get(task)
    return detector(_Found(names, sample, _representative(sample, names), overrides, forced)) if detector else None


# ---------------------------------------------------------------------------------------------- per task
def _chat(f: _Found) -> Layout | None:
    messages = f.overrides.get("messages") or next((n for n in f.names if _is_messages(f.first.get(n))), None) \
        or (_pick(f.names, MESSAGES) if f.forced else None)
    if messages:
        return Layout("chat", {"messages": messages}, chat_style=_is_messages(f.first.get(messages)) or "openai")
    instruction, output = f.col("instruction", INSTRUCTION), f.col("output", OUTPUT)
    if instruction and output and instruction != output:
        roles = {"instruction": instruction, "output": output}
        if (inp := f.col("input", ALPACA_INPUT, (instruction, output))) is not None:
            roles["input"] = inp
        if (system := f.col("system", SYSTEM)) is not None:
            roles["system"] = system
        style = "alpaca" if instruction.lower().startswith("instruction") else "prompt-completion"
        return Layout("chat", roles, chat_style=style)
    return None


def _qa(f: _Found) -> Layout | None:
    question, context = f.col("question", QUESTION), f.col("context", CONTEXT)
    answers = f.col("answers", ANSWERS)
    if question and context and (answers or f.forced):
        roles = {"question": question, "context": context}
        roles.update({k: v for k, v in (("answers", answers), ("answer_start", f.col("answer_start", ANSWER_START)),
                                        ("id", f.col("id", QA_ID))) if v})
        return Layout("question-answering", roles)
    return None


def _ner(f: _Found) -> Layout | None:
    tokens = f.overrides.get("tokens") or next((n for n in _ordered(f.names, TOKENS)
                                                if _is_str_list(f.first.get(n))), None)
    tags = f.overrides.get("tags") or next((n for n in _ordered(f.names, TAGS)
                                            if n != tokens and _is_tag_list(f.first.get(n))), None)
    if tokens and tags:
        return Layout("token-classification", {"tokens": tokens, "tags": tags})
    return None


def _translation(f: _Found) -> Layout | None:
    first = f.first
    nested = f.overrides.get("translation") or next(
        (n for n in f.names if isinstance(first.get(n), Mapping) and len(first[n]) >= 2
         and all(isinstance(v, str) for v in first[n].values())), None)
    if nested:
        langs = [str(k) for k in first.get(nested, {})] if isinstance(first.get(nested), Mapping) else []
        return Layout("translation", {"translation": nested}, source_lang=langs[0] if langs else None,
                      target_lang=langs[1] if len(langs) > 1 else None)
    codes = [n for n in f.names if n.lower() in LANGUAGE_CODES]
    source, target = f.col("source", SOURCE), f.col("target", TARGET)
    if source and target and source != target:
        return Layout("translation", {"source": source, "target": target})
    if len(codes) == 2:
        return Layout("translation", {"source": codes[0], "target": codes[1]}, source_lang=codes[0].lower(),
                      target_lang=codes[1].lower())
    return None


def _summarization(f: _Found) -> Layout | None:
    summary = f.col("summary", SUMMARY)
    document = f.col("document", DOCUMENT, (summary,) if summary else ())
    if document and summary and document != summary and (f.forced or not _label_like(f.sample, summary)):
        return Layout("summarization", {"document": document, "summary": summary})
    return None


def _classification(f: _Found) -> Layout | None:
    first = f.first
    label = f.col("label", LABEL)
    if label and not f.forced and isinstance(first.get(label), list | Mapping):
        return None
    text = f.col("text", TEXT, (label,) if label else ())
    if text is None and label is not None:
        others = [n for n in f.names if n != label and isinstance(first.get(n), str)]
        text = max(others, key=lambda n: len(str(first.get(n, ""))), default=None)
    if text and label and text != label:
        roles = {"text": text, "label": label}
        if (pair := f.col("text_pair", TEXT_PAIR, (text, label))) is not None:
            roles["text_pair"] = pair
        return Layout("text-classification", roles)
    return None


DETECTORS: dict[str, Callable[[_Found], Layout | None]] = {
    "chat": _chat, "question-answering": _qa, "token-classification": _ner, "translation": _translation,
    "summarization": _summarization, "text-classification": _classification,
}
"""Task -> its detector: the layout when the columns fit the task, else None."""


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
    hint, column = _rename_hint(names)
    return Problem(None, column, f"This file does not look like {task} data: it needs {WANTED[task]}, but its "
                   f"columns are {', '.join(names) or 'none'}.", hint + "Rename the columns or map them with "
                   f"--column role=name (roles: {', '.join(ROLES[task])}).")
