"""JSON lines, and JSON documents: a list of records, an object holding one, columns of lists, or SQuAD's
nested ``data/paragraphs/qas`` (one flat record per question)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from finetune.data.readers.base import RawData
from finetune.data.readers.decoding import read_lines
from finetune.data.report import Problem


def jsonl_records(raw: RawData, lines: Iterable[tuple[int, str]] | None = None
                   ) -> Iterator[tuple[int, dict[str, Any]]]:
    """JSON lines; tolerant of blank lines, spaces around braces and a trailing comma."""
    for number, line in lines if lines is not None else read_lines(raw):
        stripped = line.strip().rstrip(",")
        if not stripped:
            continue
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raw.problems.append(Problem(number, None, f"Line {number} is not valid JSON ({exc.msg} at column "
                                        f"{exc.colno}).", "Write one complete JSON object per line."))
            continue
        except RecursionError:
            raw.problems.append(Problem(number, None, f"Line {number} is nested too deeply to read.",
                                        "Flatten the record: one object with text fields and lists."))
            continue
        if not isinstance(value, dict):
            raw.problems.append(Problem(number, None, f"Line {number} holds a JSON {_json_type(value)}, not an "
                                        "object.", 'Write one object per line, like {"text": ..., "label": ...}.'))
            continue
        yield number, value


def _json_type(value: Any) -> str:
    return {dict: "object", list: "list", str: "string", int: "number", float: "number", bool: "true/false",
            type(None): "null"}.get(type(value), type(value).__name__)


def json_records(raw: RawData) -> Iterator[tuple[int, dict[str, Any]]]:
    """A JSON document: a list of records, an object holding one, or SQuAD's nested layout."""
    text = "".join(line for _, line in read_lines(raw))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        lines = [ln for ln in text.split("\n") if ln.strip()]
        if len(lines) > 1 and lines[0].strip().startswith("{"):
            raw.format = "jsonl"  # many ".json" files in the wild are JSON lines
            yield from jsonl_records(raw, enumerate(text.split("\n"), start=1))
            return
        raw.problems.append(Problem(exc.lineno, None, f"The file is not valid JSON ({exc.msg} at line {exc.lineno}, "
                                    f"column {exc.colno}).", "Fix the JSON there, or save the data as JSON lines."))
        return
    except RecursionError:
        raw.problems.append(Problem(None, None, "The JSON is nested too deeply to read.",
                                    "Use a list of flat objects, or JSON lines."))
        return
    del text
    if isinstance(data, dict) and _is_squad(data):
        yield from _flatten_squad(data["data"])
        return
    if isinstance(data, dict):
        lists = [(k, v) for k, v in data.items() if isinstance(v, list) and v and isinstance(v[0], dict)]
        columnar = [k for k, v in data.items() if isinstance(v, list)]
        if lists:
            data = lists[0][1]
        elif columnar and len({len(data[k]) for k in columnar}) == 1 and len(columnar) == len(data):
            n = len(data[columnar[0]])  # {"text": [...], "label": [...]}: one list per column
            data = [{k: data[k][i] for k in columnar} for i in range(n)]
        else:
            raw.problems.append(Problem(None, None, "The JSON object holds no list of records.",
                                        'Use a list of objects, e.g. [{"text": ..., "label": ...}, ...], or JSON '
                                        "lines."))
            return
    if not isinstance(data, list):
        raw.problems.append(Problem(None, None, f"The JSON holds a {_json_type(data)}, not a list of records.",
                                    "Use a list of objects, or JSON lines."))
        return
    for number, value in enumerate(data, start=1):
        if isinstance(value, dict):
            yield number, value
        else:
            raw.problems.append(Problem(number, None, f"Record {number} is a {_json_type(value)}, not an object.",
                                        "Make every record a JSON object."))


def _is_squad(data: dict[str, Any]) -> bool:
    items = data.get("data")
    return isinstance(items, list) and bool(items) and isinstance(items[0], dict) and "paragraphs" in items[0]


def _flatten_squad(articles: list[Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """SQuAD v1/v2 nested JSON -> one flat record per question (numbered in file order)."""
    number = 0
    for article in articles:
        if not isinstance(article, dict):
            continue
        for paragraph in article.get("paragraphs") or []:
            if not isinstance(paragraph, dict):
                continue
            for qa in paragraph.get("qas") or []:
                if not isinstance(qa, dict):
                    continue
                number += 1
                answers = qa.get("answers") or []
                if qa.get("is_impossible"):
                    answers = []
                texts = [a.get("text") for a in answers if isinstance(a, dict)]
                starts = [a.get("answer_start") for a in answers if isinstance(a, dict)]
                yield number, {"id": qa.get("id", str(number)), "title": article.get("title", ""),
                               "context": paragraph.get("context"), "question": qa.get("question"),
                               "answers": {"text": texts, "answer_start": starts}}
