"""Which task a dataset is for and which column plays which role.

Detection looks at column names (``finetune.data.columns``: the names public datasets use) and at the shape of the
first records' values (a list of ``{"role", "content"}`` dicts is a conversation, two lists are tokens and tags,
``[[start, end, type]]`` spans over a text are entities, a nested ``{"en": ..., "de": ...}`` is a translation
pair, a "Human: ... Assistant: ..." text is a transcript), one detector per task in ``DETECTORS``, tried most
specific first. Where the names make the task clear but a value has the wrong shape (NER tags as one string, a chat
turn without content), the layout is still detected and each row's problem names the field and the expected
shape. Multi-label data (a list of several labels per text, or one 0/1 column per label) is refused with the rows
and what to do: tunewise trains single-label classifiers. The user can override the task and any role (``--task``, ``--column role=name``); a named column that
does not exist is reported with the closest existing name. ``finetune.data.canonical`` then builds each row's
canonical record from the layout.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from finetune.data.columns import (
    ALPACA_INPUT,
    ANSWER_START,
    ANSWERS,
    CONTEXT,
    DOCUMENT,
    INSTRUCTION,
    LABEL,
    LABEL_TEXT,
    MESSAGES,
    OUTPUT,
    QA_ID,
    QUESTION,
    SOURCE,
    SOURCE_LANG,
    SPANS,
    SPLIT,
    SUMMARY,
    SYSTEM,
    TAGS,
    TARGET,
    TARGET_LANG,
    TEXT,
    TEXT_PAIR,
    TOKENS,
    language_of,
    no_header_hint,
    rename_hint,
)
from finetune.data.report import Problem
from finetune.data.shapes import conversation_style, is_span_list, is_transcript, listish

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
    """The detected (or chosen) task, the column of each role, and how the values are shaped."""

    task: str | None
    roles: dict[str, str] = field(default_factory=dict)
    split_column: str | None = None
    chat_style: str | None = None
    """``openai`` (role/content), ``sharegpt`` (from/value), ``strings`` (alternating turns), ``pairs``
    (input/output), ``tree`` (an OpenAssistant message tree), ``transcript`` (Human: / Assistant: text),
    ``alpaca`` or ``prompt-completion``."""
    tag_style: str | None = None
    """``spans`` when NER entities are character spans over a text (doccano, Label Studio)."""
    qa_style: str | None = None
    """``nq`` for Natural Questions' token-span annotations over an HTML document."""
    source_lang: str | None = None
    target_lang: str | None = None
    problems: list[Problem] = field(default_factory=list)
    notes: set[str] = field(default_factory=set)
    """What converting the rows found (``io`` / ``bioes`` tag schemes read as BIO), for a warning."""


def _pick(columns: Sequence[str], names: Sequence[str], taken: Sequence[str] = ()) -> str | None:
    lowered = {c.lower(): c for c in columns if c not in taken}
    return next((lowered[n] for n in names if n in lowered), None)


def _is_str_list(value: Any) -> bool:
    items = listish(value)
    return bool(items) and all(isinstance(v, str) for v in items or [])


def _is_tag_list(value: Any) -> bool:
    items = listish(value)
    return bool(items) and all(isinstance(v, str | int) and not isinstance(v, bool) for v in items or [])


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
            layout.split_column = split if split not in layout.roles.values() else None
            return layout
    if task:
        return Layout(task=task, split_column=split, problems=[_missing_roles(task, names)])
    rename, misnamed = rename_hint(names)
    hint = no_header_hint(names) or rename
    return Layout(task=None, split_column=split, problems=[Problem(
        None, misnamed, f"Cannot tell what task this data is for from its columns ({', '.join(names) or 'none'}).",
        hint + "Name the columns like text/label (classification), tokens/ner_tags (NER), question/context/answers "
        "(QA), document/summary, translation or source/target, or messages (chat) — or pass --task and --column.")])


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

    def col(self, role: str, choices: Sequence[str], taken: Sequence[str | None] = ()) -> str | None:
        """The column of a role: the user's override, else the first conventional name present."""
        return self.overrides.get(role) or _pick(self.names, choices, [t for t in taken if t])


def _try_layout(task: str, names: list[str], sample: Sequence[Mapping[str, Any]], overrides: Mapping[str, str],
                forced: bool) -> Layout | None:
    detector = DETECTORS.get(task)
    return detector(_Found(names, sample, _representative(sample, names), overrides, forced)) if detector else None


# ---------------------------------------------------------------------------------------------- per task
def _chat(f: _Found) -> Layout | None:
    named = f.overrides.get("messages") or _pick(f.names, MESSAGES)
    shaped = next((n for n in f.names if conversation_style(f.first.get(n)) in ("openai", "sharegpt", "pairs",
                                                                                 "tree")), None)
    messages = f.overrides.get("messages") or shaped or \
        (named if named and (f.forced or conversation_style(f.first.get(named)) or
                             isinstance(f.first.get(named), list)) else None)
    if messages:
        style = conversation_style(f.first.get(messages))
        if style is None and is_transcript(f.first.get(messages)):
            style = "transcript"
        return Layout("chat", {"messages": messages}, chat_style=style or "openai")
    context = _pick(f.names, CONTEXT)
    instruction = f.col("instruction", INSTRUCTION if context is None else ("instruction", "prompt", "instructions",
                                                                            "inputs"))
    output = f.col("output", OUTPUT, (instruction,))
    if instruction and output and instruction != output:
        roles = {"instruction": instruction, "output": output}
        if (inp := f.col("input", ALPACA_INPUT, (instruction, output))) is not None:
            roles["input"] = inp
        if (system := f.col("system", SYSTEM)) is not None:
            roles["system"] = system
        style = "alpaca" if instruction.lower().startswith("instruction") else "prompt-completion"
        return Layout("chat", roles, chat_style=style)
    transcript = next((n for n in f.names if is_transcript(f.first.get(n))), None)
    if transcript:
        return Layout("chat", {"messages": transcript}, chat_style="transcript")
    return None


def _qa(f: _Found) -> Layout | None:
    question, context = f.col("question", QUESTION), f.col("context", CONTEXT)
    answers = f.col("answers", ANSWERS)
    if question and context and (answers or f.forced):
        roles = {"question": question, "context": context}
        roles.update({k: v for k, v in (("answers", answers), ("answer_start", f.col("answer_start", ANSWER_START)),
                                        ("id", f.col("id", QA_ID))) if v})
        style = "nq" if answers and answers.lower() == "annotations" else None
        return Layout("question-answering", roles, qa_style=style)
    return None


def _ner(f: _Found) -> Layout | None:
    tokens = f.overrides.get("tokens") or next((n for n in _ordered(f.names, TOKENS)
                                                if _is_str_list(f.first.get(n))), None)
    tags = f.overrides.get("tags") or next((n for n in _ordered(f.names, TAGS)
                                            if n != tokens and _is_tag_list(f.first.get(n))), None)
    if tokens and tags:
        return Layout("token-classification", {"tokens": tokens, "tags": tags})
    # Named like tokens and NER tags but shaped otherwise (one string of tags, say): NER, with the shape reported
    # row by row, rather than "cannot tell what task this is".
    named_tokens, named_tags = _pick(f.names, TOKENS), _pick(f.names, ("ner_tags", "ner", "tags", "ner_labels"))
    if (tokens or named_tokens) and named_tags and (tokens or _is_str_list(f.first.get(named_tags))
                                                    or isinstance(f.first.get(named_tokens or ""), str)):
        return Layout("token-classification", {"tokens": tokens or str(named_tokens), "tags": named_tags})
    spans = next((n for n in _ordered(f.names, SPANS) if is_span_list(f.first.get(n))), None)
    text = f.col("tokens", TEXT, (spans,)) if spans else None
    if spans and text and isinstance(f.first.get(text), str):
        return Layout("token-classification", {"tokens": text, "tags": spans}, tag_style="spans")
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
    source, target = f.col("source", SOURCE), f.col("target", TARGET)
    if source and target and source != target and isinstance(first.get(source), str):
        named = [_first_value(f, _pick(f.names, choices)) for choices in (SOURCE_LANG, TARGET_LANG)]
        return Layout("translation", {"source": source, "target": target}, source_lang=named[0],
                      target_lang=named[1])
    codes = [(n, code) for n in f.names if n.lower() != "id" and (code := language_of(n))
             and isinstance(first.get(n), str)]
    if len(codes) == 2 and codes[0][1] != codes[1][1]:
        return Layout("translation", {"source": codes[0][0], "target": codes[1][0]}, source_lang=codes[0][1],
                      target_lang=codes[1][1])
    return None


def _first_value(f: _Found, column: str | None) -> str | None:
    value = f.first.get(column) if column else None
    return language_of(value) or value.lower() if isinstance(value, str) and value.strip() else None


def _summarization(f: _Found) -> Layout | None:
    summary = f.col("summary", SUMMARY)
    document = f.col("document", DOCUMENT, (summary,))
    if document and summary and document != summary and (f.forced or not _label_like(f.sample, summary)):
        return Layout("summarization", {"document": document, "summary": summary})
    return None


def _classification(f: _Found) -> Layout | None:
    first = f.first
    label = f.col("label", LABEL) or _label_named(f)
    if label and not f.forced and (isinstance(first.get(label), Mapping) or
                                   (listish(first.get(label)) is not None and not _scalar_list(first.get(label)))):
        return None
    names = _pick(f.names, LABEL_TEXT)
    if label and names and not f.overrides.get("label") and isinstance(first.get(names), str) \
            and not isinstance(first.get(label), str):
        label = names  # SetFit's label_text beside the integer label: the name is what people read
    text = f.col("text", TEXT, (label, names))
    if text is None and label is not None:
        others = [n for n in f.names if n not in (label, names) and isinstance(first.get(n), str)]
        text = max(others, key=lambda n: len(str(first.get(n, ""))), default=None)
    if text and label and text != label:
        roles = {"text": text, "label": label}
        if (pair := f.col("text_pair", TEXT_PAIR, (text, label, names))) is not None:
            roles["text_pair"] = pair
        return Layout("text-classification", roles)
    if text and not label:
        return _multi_hot(f, text) or _unlabelled(f, text)
    return None


def _unlabelled(f: _Found, text: str) -> Layout | None:
    """Texts under a conventional name and no label column at all: say so (GLUE's test files withhold labels)."""
    if f.forced or f.col("text", TEXT) != text or len(f.names) > 4 or rename_hint(f.names)[0]:
        return None  # a misspelt label column gets its "did you mean" instead
    return Layout("text-classification", {"text": text}, problems=[Problem(
        None, None, f"The file has a text column ('{text}') but no label column, so there is nothing to learn from "
        "(test splits such as GLUE's withhold their labels).", "Use the labelled train or dev file, or name the label "
        "column with --column label=NAME.")])


def _scalar_list(value: Any) -> bool:
    items = listish(value)
    return items is not None and all(isinstance(v, str | int) and not isinstance(v, bool) for v in items)


def _label_named(f: _Found) -> str | None:
    """A column whose name says it is a label (``fine_label``, ``label-fine``) when no conventional name is there."""
    return next((n for n in f.names if ("label" in n.lower() or n.lower().endswith("_class"))
                 and n.lower() not in LABEL_TEXT and _label_like(f.sample, n)), None)


def _multi_hot(f: _Found, text: str) -> Layout | None:
    """A text and one 0/1 column per label (Jigsaw toxic comments, GoEmotions' raw CSV): multi-label, refused."""
    flags = [n for n in f.names if n != text and all(str(r.get(n, "")).strip() in ("0", "1", "0.0", "1.0")
                                                      for r in f.sample)]
    if len(flags) < 2:
        return None
    rows = [i + 1 for i, r in enumerate(f.sample) if sum(str(r.get(n, "")).strip() in ("1", "1.0") for n in flags) > 1]
    where = f"rows {', '.join(map(str, rows[:10]))} (of the first {len(f.sample)}) set more than one" if rows \
        else "each row may set several"
    return Layout("text-classification", {"text": text}, problems=[Problem(
        rows[0] if rows else None, flags[0], f"This is multi-label data: one 0/1 column per label "
        f"({', '.join(flags[:8])}{', ...' if len(flags) > 8 else ''}) and {where}. tunewise trains single-label "
        "classifiers (one label per text), and a single-label model cannot learn texts that carry several labels.",
        f"Train one yes/no classifier per label: --column label={flags[0]} (then the next), or make one 'label' "
        "column holding each text's main label.")])


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
    hint, column = rename_hint(names)
    return Problem(None, column, f"This file does not look like {task} data: it needs {WANTED[task]}, but its "
                   f"columns are {', '.join(names) or 'none'}.", hint + "Rename the columns or map them with "
                   f"--column role=name (roles: {', '.join(ROLES[task])}).")
