"""Text dataset formats: decoding line by line and the CSV/TSV, JSON lines, JSON (incl. SQuAD) and CoNLL readers.

Each reader takes the :class:`~finetune.data.readers.RawData` of an opened file and yields ``(row or line, record)``
while collecting problems and warnings on it; ``finetune.data.readers.open_data`` picks the reader.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from catalog.errors import DataError
from finetune.data.readers import CSV_FIELD_LIMIT, SNIFF_BYTES, Problem, RawData


def check_head_decodes(path: Path, head: bytes, complete: bool) -> None:
    """Fail before reading when the first 64 KB already cannot be decoded (the usual case of a wrong encoding)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return
    lines = head.split(b"\n")
    tail = b"" if complete else lines.pop()  # cut off mid-line, maybe mid-character
    scratch = RawData(path=path, format="")
    for number, line in enumerate(lines, start=1):
        _decode_line(line, number, scratch)
    if tail and not lines:  # a first line longer than the window: UTF-8 that stops mid-character is fine
        try:
            codecs.getincrementaldecoder("utf-8")().decode(tail, final=False)
        except UnicodeDecodeError:
            _decode_line(tail, 1, scratch)


def _decode_line(line: bytes, number: int, raw: RawData) -> str:
    """One line as text: UTF-8, else Windows-1252 (with a warning for the first such line), else DataError.

    Deciding line by line keeps a UTF-8 file with one pasted Windows line intact, and lets big files stream.
    """
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = line.decode("cp1252")
    except UnicodeDecodeError:
        text = None
    if text is None or _foreign_runs(line):
        raise DataError(f"{raw.path.name} is not UTF-8 (line {number} cannot be decoded) and does not read as "
                        "Windows Western European text either; it may be in a Cyrillic or Asian encoding, or not "
                        "text at all. Save it as UTF-8 (in Excel: Save As > CSV UTF-8).")
    if raw.encoding != "cp1252":
        raw.warnings.append(Problem(number, None, f"The file is not UTF-8 (first non-UTF-8 byte on line {number}); "
                                    "lines that are not UTF-8 were read as cp1252 (Windows Western European).",
                                    "Check accented characters in the preview; save the file as UTF-8 to be "
                                    "sure."))
        raw.encoding = "cp1252"
    return text


def _foreign_runs(line: bytes) -> bool:
    """Non-ASCII bytes mostly in runs of 3+: a Cyrillic or CJK encoding, not Western text read as cp1252."""
    high = sum(b >= 0x80 for b in line)
    if high < 6:
        return False
    in_runs = sum(len(run) for run in re.findall(rb"[\x80-\xff]{3,}", line))
    return in_runs > high / 2


def _lines(raw: RawData) -> Iterator[tuple[int, str]]:
    """Stream ``(line number, line with its ending)`` of a text file, decoding line by line.

    Lines end at ``\n`` only (``\r`` alone for old Mac files): Unicode separators such as U+2028 inside
    a JSON string are text, not line breaks.
    """
    path = raw.path
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            with path.open(encoding="utf-16", newline="") as text_file:
                for number, line in enumerate(text_file, start=1):
                    yield number, line.lstrip("\ufeff") if number == 1 else line
        except UnicodeError:
            raise DataError(f"{path.name} starts with a UTF-16 byte-order mark but is not valid UTF-16. Save it "
                            "again as UTF-8.") from None
        return
    if b"\n" not in head and b"\r" in head:
        chunks: Iterator[bytes] = iter([line + b"\n" for line in path.read_bytes().split(b"\r")])
    else:
        chunks = path.open("rb")
    try:
        for number, line in enumerate(chunks, start=1):
            if number == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            yield number, _decode_line(line, number, raw)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()


def delimited_records(raw: RawData) -> Iterator[tuple[int, dict[str, Any]]]:
    """CSV/TSV rows as dicts, numbered from 1 after the header.

    TSV files of public datasets (GLUE, for one) contain unbalanced quote characters that are plain text;
    such files are read without quote processing when that gives every line the header's field count.
    """
    sep = "," if raw.format == "csv" else "\t"
    quoting = csv.QUOTE_NONE if sep == "\t" and _plain_tsv(raw) else csv.QUOTE_MINIMAL
    lines = (line for _, line in _lines(raw))
    skipped = 0
    first = None
    for line in lines:
        if line.strip():
            first = line
            break
        skipped += 1
    if first is None:
        raw.problems.append(Problem(None, None, "The file has no header and no rows.",
                                    "Upload a file whose first line names the columns."))
        return
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.reader(itertools.chain([first], lines), delimiter=sep, quoting=quoting, strict=False)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raw.problems.append(Problem(None, None, f"The header line cannot be read: {exc}.",
                                    "Make the first line a list of column names."))
        return
    if quoting == csv.QUOTE_NONE:
        header = [_unquote(h) for h in header]
    empty = [i + 1 for i, h in enumerate(header) if not h]
    if empty and len(header) > 1:
        raw.warnings.append(Problem(None, None, f"Column(s) {', '.join(map(str, empty))} have no name; they are "
                                    "called column_N.", "Name every column in the header."))
    header = [h or f"column_{i + 1}" for i, h in enumerate(header)]
    if len(set(header)) < len(header):
        seen: Counter[str] = Counter()
        renamed = []
        for name in header:
            seen[name] += 1
            renamed.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
        doubled = sorted(n for n, c in seen.items() if c > 1)
        raw.warnings.append(Problem(None, doubled[0], f"Column name(s) {', '.join(doubled)} appear more than once; "
                                    "the repeats are called NAME_2, NAME_3, ....", "Give every column its own name."))
        header = renamed
    row = 0
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row += 1
            raw.problems.append(Problem(row, None, f"This row (line {reader.line_num + skipped}) cannot be parsed "
                                        f"({exc}).", "Check its quotes: a field with a comma or quote must be in "
                                        "double quotes, with inner quotes doubled."))
            continue
        if not any(v.strip() for v in values):
            continue
        row += 1
        if quoting == csv.QUOTE_NONE:
            values = [_unquote(v) for v in values]
        if len(values) != len(header):
            raw.problems.append(Problem(row, None, f"This row (line {reader.line_num + skipped}) has {len(values)} "
                                        f"fields but the header has {len(header)}.",
                                        f"Give it exactly {len(header)} fields; quote any field that contains "
                                        f"{'a comma' if sep == ',' else 'a tab'}."))
            values = (values + [""] * len(header))[:len(header)]
        yield row, dict(zip(header, values, strict=True))


def _plain_tsv(raw: RawData) -> bool:
    """True when splitting every line at tabs gives the header's field count: quotes are then plain text."""
    width = None
    for _, line in _lines(RawData(path=raw.path, format=raw.format)):
        if not line.strip():
            continue
        count = line.count("\t") + 1
        if width is None:
            width = count
        elif count != width:
            return False
    return True


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('""', '"')
    return value


def jsonl_records(raw: RawData, lines: Iterable[tuple[int, str]] | None = None
                   ) -> Iterator[tuple[int, dict[str, Any]]]:
    """JSON lines; tolerant of blank lines, spaces around braces and a trailing comma."""
    for number, line in lines if lines is not None else _lines(raw):
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
    text = "".join(line for _, line in _lines(raw))
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


def conll_records(raw: RawData) -> Iterator[tuple[int, dict[str, Any]]]:
    """CoNLL-style columns: one token per line, the tag in the last column, blank lines between sentences.

    ``-DOCSTART-`` lines are skipped; ``#`` comment lines (CoNLL-U) are skipped. The record's number
    is the line where its sentence starts.
    """
    tokens: list[str] = []
    tags: list[str] = []
    start = 0
    for number, line in _lines(raw):
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
