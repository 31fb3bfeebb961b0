"""Values in the shapes public datasets and exports give them, turned into the shapes intake works with.

- lists written as text by a CSV export (``"['EU', 'rejects']"``, numpy's ``"['EU' 'rejects']"``, JSON);
- tag schemes: IO (Few-NERD), BIOES / BILOU, all read as BIO;
- character-span entities (doccano, Label Studio, spaCy: ``[[0, 4, "PER"], ...]``) as tokens and BIO tags;
- conversations: ``{role, content}`` turns with the usual aliases, ShareGPT ``{from, value}``, Gemini
  ``{role, parts}``, alternating strings (LIMA, UltraChat), ``{input, output}`` pairs (Capybara), transcripts
  (``Human: ... Assistant: ...``, ``### Human:``, ChatML) and OpenAssistant message trees;
- question-answering contexts and answers in their many forms (HotpotQA, TriviaQA, DROP, MS MARCO, Natural
  Questions' token spans).

Each converter raises :class:`ShapeError` naming what it expected when a value does not fit, so intake can
report the row, the field and the expected shape.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any


class ShapeError(ValueError):
    """A value whose shape does not fit its role; the message says what was expected."""


# ---------------------------------------------------------------------------------------------- lists as text
_NUMPY_ITEMS = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")


def listish(value: Any) -> list[Any] | None:
    """A list, or a list written as text (JSON, Python or numpy repr); None for anything else."""
    if isinstance(value, list | tuple):
        return list(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not (text.startswith("[") and text.endswith("]")):
        return None
    inner = text[1:-1].strip()
    if not inner:
        return []
    if "," not in inner:  # numpy's repr: ['EU' 'rejects' 'German'] or [3 0 1] (Python would join the strings)
        items = _NUMPY_ITEMS.findall(inner)
        if items:
            return [a or b for a, b in items]
        parts = inner.split()
        return [int(p) for p in parts] if all(p.lstrip("-").isdigit() for p in parts) else None
    for parse in (json.loads, ast.literal_eval):
        try:
            parsed = parse(text)
        except (ValueError, SyntaxError, RecursionError, MemoryError):
            continue
        if isinstance(parsed, list | tuple):
            return list(parsed)
    return None


# ----------------------------------------------------------------------------------------------- tag schemes
def to_bio(tags: Sequence[str]) -> tuple[list[str], str | None]:
    """Tags in BIO; returns the scheme they were in when it was another (``io``, ``bioes``) else None.

    IO tags (``person-actor``, no prefixes) become B- at the start of a run and I- after; BIOES / BILOU
    ``S-``/``U-`` become B- and ``E-``/``L-`` become I-.
    """
    prefixed = [t for t in tags if _prefix(t)]
    if any(_prefix(t) in "ESLU" or t[1] == "_" for t in prefixed):
        return [f"{_BIO_OF[_prefix(t)]}-{t[2:]}" if _prefix(t) else t for t in tags], "bioes"
    plain = [t for t in tags if t != "O" and not t.isdigit()]
    if plain and not prefixed:
        out, previous = [], "O"
        for tag in tags:
            out.append(tag if tag == "O" or tag.isdigit() else ("I-" if tag == previous else "B-") + tag)
            previous = tag
        return out, "io"
    return list(tags), None


_BIO_OF = {"B": "B", "I": "I", "S": "B", "U": "B", "E": "I", "L": "I"}


def _prefix(tag: str) -> str:
    """The scheme prefix of a tag (``B`` of ``B-PER`` or ``B_PER``), or "" for ``O``, a plain type or a number."""
    return tag[0] if len(tag) > 2 and tag[0] in _BIO_OF and tag[1] in "-_" else ""


_WORD = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]")


def is_span_list(value: Any) -> bool:
    """Whether a value is character-span entities: ``[[start, end, type], ...]`` or ``[{start, end, label}]``."""
    items = listish(value) if not isinstance(value, list) else value
    if not items:
        return False
    return all(_span(item) is not None for item in items)


def _span(item: Any) -> tuple[int, int, str] | None:
    if isinstance(item, list | tuple) and len(item) == 3 and all(isinstance(x, int) for x in item[:2]):
        return int(item[0]), int(item[1]), str(item[2])
    if isinstance(item, Mapping):
        start = item.get("start", item.get("start_offset"))
        end = item.get("end", item.get("end_offset"))
        label = item.get("label", item.get("labels", item.get("type", item.get("entity"))))
        if isinstance(label, list) and len(label) == 1:
            label = label[0]
        if isinstance(start, int) and isinstance(end, int) and isinstance(label, str):
            return start, end, label
    return None


def spans_to_bio(text: str, spans: Any) -> tuple[list[str], list[str]]:
    """Tokenize ``text`` (words and punctuation) and tag each token by the character span it falls in.

    Raises:
        ShapeError: When an item is not a span or a span lies outside the text.
    """
    items = listish(spans) if not isinstance(spans, list) else spans
    if items is None:
        raise ShapeError("the entities are not a list of [start, end, type] spans")
    parsed = []
    for number, item in enumerate(items, start=1):
        span = _span(item)
        if span is None:
            raise ShapeError(f"entity {number} is not [start, end, type] or {{start, end, label}}")
        if not 0 <= span[0] < span[1] <= len(text):
            raise ShapeError(f"entity {number} ({span[0]}-{span[1]}) lies outside the text ({len(text)} characters)")
        parsed.append(span)
    tokens, tags = [], []
    for match in _WORD.finditer(text):
        tokens.append(match.group())
        hit = next((s for s in parsed if s[0] <= match.start() < s[1]), None)
        if hit is None:
            tags.append("O")
        else:
            tags.append(("B-" if match.start() == hit[0] or not tags or tags[-1][2:] != hit[2] else "I-") + hit[2])
    return tokens, tags


# ---------------------------------------------------------------------------------------------- conversations
ROLE_NAMES = {"human": "user", "user": "user", "prompter": "user", "gpt": "assistant", "assistant": "assistant",
              "chatgpt": "assistant", "bot": "assistant", "model": "assistant", "ai": "assistant",
              "system": "system", "tool": "tool"}
"""Speaker names found in chat datasets -> the OpenAI role."""
CONTENT_KEYS = ("content", "value", "text", "message", "utterance", "parts")
ROLE_KEYS = ("role", "from", "speaker", "author")


def conversation_style(value: Any) -> str | None:
    """How a value holds a conversation: ``openai``/``sharegpt`` turns, ``strings``, ``pairs``, ``tree`` or None."""
    if isinstance(value, Mapping) and "replies" in value and "text" in value:
        return "tree"
    if not isinstance(value, list) or not value:
        return None
    if all(isinstance(m, str) for m in value) and len(value) >= 2:
        return "strings"
    if not all(isinstance(m, Mapping) for m in value):
        return None
    keys = set(value[0])
    if {"input", "output"} <= keys:
        return "pairs"
    if "from" in keys:
        return "sharegpt"
    if any(k in keys for k in ROLE_KEYS):
        return "openai"
    return None


def turns(value: Any) -> list[dict[str, str]]:
    """A conversation in any of the shapes of :func:`conversation_style` as ``{role, content}`` messages.

    Raises:
        ShapeError: Naming the turn and what it lacks.
    """
    style = conversation_style(value)
    if style == "tree":
        return tree_path(value)
    if style == "strings":
        return [{"role": "user" if i % 2 == 0 else "assistant", "content": text} for i, text in enumerate(value)]
    if style == "pairs":
        out = []
        for pair in value:
            out += [{"role": "user", "content": content_text(pair.get("input"))},
                    {"role": "assistant", "content": content_text(pair.get("output"))}]
        return out
    if not isinstance(value, list) or not all(isinstance(m, Mapping) for m in value):
        raise ShapeError("the conversation is not a list of messages")
    messages = []
    for number, turn in enumerate(value, start=1):
        role_key = next((k for k in ROLE_KEYS if k in turn), None)
        content_key = next((k for k in CONTENT_KEYS if k in turn), None)
        if role_key is None or content_key is None:
            missing = "role ('role' or 'from')" if role_key is None else "content ('content')"
            raise ShapeError(f"message {number} has no {missing} (its keys: {', '.join(map(str, turn)) or 'none'}); "
                             "each message must be {\"role\": ..., \"content\": ...}")
        speaker = str(turn.get(role_key, "")).strip()
        # OpenAI's roles are exact (a 'bot' role is a mistake to report); other shapes name speakers freely.
        mapped = style == "sharegpt" or role_key != "role" or content_key == "parts"
        role = ROLE_NAMES.get(speaker.lower()) if mapped else speaker.lower()
        if role is None and style == "sharegpt":
            raise ShapeError(f"turn {number} comes from '{speaker}', which is not a known role (use human / user, "
                             "gpt / assistant, or system)")
        messages.append({"role": role or speaker.lower(), "content": content_text(turn.get(content_key))})
    return messages


def content_text(value: Any) -> str:
    """Message content: a string, or a list of parts (OpenAI ``{type, text}``, Gemini ``{text}``) joined."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "".join(str(p.get("text") or "") if isinstance(p, Mapping) else str(p) for p in value)
    return value if isinstance(value, str) else str(value)


def tree_path(root: Mapping[str, Any]) -> list[dict[str, str]]:
    """An OpenAssistant message tree as one conversation: from the prompt, the best-ranked reply at each turn."""
    messages: list[dict[str, str]] = []
    node: Mapping[str, Any] | None = root
    while isinstance(node, Mapping):
        role = ROLE_NAMES.get(str(node.get("role", "")).lower(), "user" if not messages else "assistant")
        messages.append({"role": role, "content": content_text(node.get("text"))})
        replies = [r for r in node.get("replies") or [] if isinstance(r, Mapping) and not r.get("deleted")]
        node = min(replies, key=_rank) if replies else None
    return messages


def _rank(reply: Mapping[str, Any]) -> tuple[int, float]:
    rank = reply.get("rank")
    return (0, float(rank)) if isinstance(rank, int | float) else (1, 0.0)


_MARKERS = re.compile(r"(?:(?:^|\n)\s*|###\s*)(Human|User|Assistant|System|Prompter)\s*:\s*|"
                      r"<\|im_start\|>\s*(user|assistant|system)\s*\n|<\|(user|assistant|system)\|>\s*\n?",
                      re.IGNORECASE)


def is_transcript(value: Any) -> bool:
    """Whether a string is a chat transcript with user and assistant markers (HH-RLHF, Guanaco, ChatML)."""
    if not isinstance(value, str):
        return False
    roles = {ROLE_NAMES.get(next(g for g in m.groups() if g).lower()) for m in _MARKERS.finditer(value)}
    return {"user", "assistant"} <= roles


def transcript_turns(text: str) -> list[dict[str, str]]:
    """A transcript string as messages (the text between markers, ChatML's ``<|im_end|>`` dropped).

    Raises:
        ShapeError: When the text has no user and assistant markers.
    """
    if not is_transcript(text):
        raise ShapeError("the text is not a conversation: it needs 'Human:' / 'User:' and 'Assistant:' markers (or "
                         "ChatML's <|im_start|>user ... <|im_start|>assistant)")
    matches = list(_MARKERS.finditer(text))
    messages = []
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        content = text[match.end():end].replace("<|im_end|>", "").replace("</s>", "").strip()
        role = ROLE_NAMES[next(g for g in match.groups() if g).lower()]
        messages.append({"role": role, "content": content})
    return messages


# --------------------------------------------------------------------------------------- question answering
def context_text(value: Any) -> str:
    """A QA context as one text: a string, a list of paragraphs, HotpotQA's ``{title, sentences}``, TriviaQA's
    ``{wiki_context: [...]}`` / ``{search_context: [...]}`` or MS MARCO's ``{passage_text: [...]}``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        if "sentences" in value:
            return "\n".join("".join(s) if isinstance(s, list) else str(s) for s in value["sentences"])
        for key in ("wiki_context", "search_context", "passage_text", "context", "text"):
            if key in value:
                return context_text(value[key])
        return ""
    if isinstance(value, list):
        return "\n".join(context_text(v) for v in value if v is not None)
    return str(value)


def answer_texts(value: Any, context: str = "") -> tuple[list[Any], list[Any]]:
    """Answer texts and starts from the shapes found in the wild (SQuAD dict of lists, list of dicts, strings,
    TriviaQA's ``{value, aliases}`` (the first alias found in the context), DROP's ``{spans}``)."""
    if isinstance(value, Mapping):
        if "spans" in value:
            return list(value["spans"] or []), [None] * len(value["spans"] or [])
        if "value" in value or "aliases" in value:
            options = [value.get("value"), *(value.get("aliases") or [])]
            found = next((o for o in options if isinstance(o, str) and o and o in context), value.get("value"))
            return [found], [None]
        texts, starts = value.get("text"), value.get("answer_start")
        texts = list(texts) if isinstance(texts, list | tuple) else [] if texts is None else [texts]
        starts = list(starts) if isinstance(starts, list | tuple) else [] if starts is None else [starts]
        return texts, starts
    if isinstance(value, list):
        return ([a.get("text", a.get("span_text")) if isinstance(a, Mapping) else a for a in value],
                [a.get("answer_start", a.get("span_start")) if isinstance(a, Mapping) else None for a in value])
    return [], []


def nq_answers(document: str, annotations: Any) -> tuple[str, list[str], list[int]]:
    """Natural Questions (simplified): the document without HTML tags, and the short answers' texts and starts.

    Raises:
        ShapeError: When the annotations are not NQ's list of ``{short_answers: [{start_token, end_token}]}``.
    """
    if not isinstance(annotations, list):
        raise ShapeError("the annotations are not a list of {short_answers: [{start_token, end_token}]}")
    tokens = document.split(" ")
    kept: list[str] = []
    position: dict[int, int] = {}  # token index -> index among the kept (non-HTML) tokens
    for index, token in enumerate(tokens):
        if not (token.startswith("<") and token.endswith(">")):
            position[index] = len(kept)
            kept.append(token)
    starts_of = [0]
    for token in kept:
        starts_of.append(starts_of[-1] + len(token) + 1)
    texts, starts = [], []
    for annotation in annotations:
        for short in (annotation.get("short_answers") or []) if isinstance(annotation, Mapping) else []:
            first, last = short.get("start_token"), short.get("end_token")
            if not isinstance(first, int) or not isinstance(last, int):
                continue
            inside = [position[i] for i in range(first, last) if i in position]
            if inside:
                texts.append(" ".join(kept[inside[0]: inside[-1] + 1]))
                starts.append(starts_of[inside[0]])
    return " ".join(kept), texts, starts
