"""Property-based tests: whatever a user uploads, intake answers with a report or a ``DataError``, never a traceback.

Random bytes, random text, random CSV/TSV tables and random JSON values are written with every suffix intake
knows; ``inspect_data`` must return a :class:`DatasetReport` whose ``to_dict()`` is JSON and whose
``to_markdown()`` is text, or raise a ``TunewiseError`` (``DataError``) with a message for the user.
Set ``TUNEWISE_FUZZ_EXAMPLES`` (default 150 per test) to search longer.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from catalog.errors import TunewiseError
from finetune.data.intake import inspect_data, load_data
from finetune.data.layouts import ROLES
from finetune.data.report import DatasetReport

FUZZ = settings(max_examples=int(os.environ.get("TUNEWISE_FUZZ_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])
SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".parquet", ".conll", ".txt", "")
COLUMN_NAMES = ("text", "label", "sentence1", "sentence2", "tokens", "words", "ner_tags", "ner", "question",
                "context", "answers", "answer_start", "id", "document", "summary", "source", "target", "en", "de",
                "translation", "messages", "conversations", "instruction", "input", "output", "split", "role",
                "content", "from", "value", "data", "paragraphs", "qas", "is_impossible")
TRICKY = st.sampled_from(['"', "'", ",", "\t", "\n", "\r\n", "\r", " ", "", "\\", "{", "}", "[", "]", "\u2028",
                          "\x85", "\ufeff", "é", "€", "中文", "-DOCSTART-", "B-PER", "I-LOC", "O", "train", "test",
                          "user", "assistant", "0", "1", "-1", "NaN"])
CELL = st.lists(st.one_of(TRICKY, st.text(max_size=8)), max_size=5).map("".join)
JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False)
                    | CELL | st.sampled_from(COLUMN_NAMES),
                    lambda children: st.lists(children, max_size=4)
                    | st.dictionaries(st.sampled_from(COLUMN_NAMES) | st.text(max_size=6), children, max_size=4),
                    max_leaves=20)
RECORD = st.dictionaries(st.sampled_from(COLUMN_NAMES), JSON, min_size=1, max_size=5)


def check(path: Path, **kwargs: Any) -> DatasetReport | None:
    """The property: a report (JSON-able dict, text markdown) or a user-facing error, nothing else."""
    try:
        report = inspect_data(path, **kwargs)
    except TunewiseError as exc:
        assert str(exc).strip()
        event("refused")
        return None
    assert isinstance(report, DatasetReport)
    event(f"{report.task or 'no task'}, {'ok' if report.ok else 'problems'}")
    as_dict = report.to_dict()
    json.dumps(as_dict, allow_nan=False)
    assert set(as_dict) >= {"ok", "task", "format", "rows", "columns", "labels", "problems", "warnings"}
    assert isinstance(report.to_markdown(), str)
    for problem in report.problems + report.warnings:
        assert problem.message and problem.fix
    if report.ok:  # what inspect accepts, load must load
        data = load_data(path, **kwargs)
        assert data.task == report.task
    else:
        with pytest.raises(TunewiseError):
            load_data(path, **kwargs)
    return report


def write_and_check(name: str, payload: bytes | str, **kwargs: Any) -> DatasetReport | None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        if isinstance(payload, str):
            path.write_text(payload, encoding="utf-8", newline="")
        else:
            path.write_bytes(payload)
        return check(path, **kwargs)


@FUZZ
@given(prefix=st.sampled_from([b"", b"PAR1", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"PK\x03\x04", b"\x89PNG",
                               b"text,label\n", b"[", b"{", b"-DOCSTART- O\n\n"]),
       data=st.binary(max_size=600), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes(prefix: bytes, data: bytes, suffix: str) -> None:
    write_and_check("data" + suffix, prefix + data)


@FUZZ
@given(text=st.text(max_size=400), suffix=st.sampled_from(SUFFIXES), encoding=st.sampled_from(["utf-8", "cp1252",
                                                                                                "utf-16"]))
def test_random_text(text: str, suffix: str, encoding: str) -> None:
    write_and_check("data" + suffix, text.encode(encoding, errors="replace"))


@FUZZ
@given(header=st.lists(st.sampled_from(COLUMN_NAMES) | CELL, min_size=1, max_size=5),
       rows=st.lists(st.lists(CELL, max_size=6), max_size=12),
       sep=st.sampled_from([",", "\t"]), quoted=st.booleans(), task=st.sampled_from([None, *ROLES]))
def test_random_tables(header: list[str], rows: list[list[str]], sep: str, quoted: bool, task: str | None) -> None:
    if quoted:  # what a spreadsheet writes
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=sep)
        writer.writerow(header)
        writer.writerows(rows)
        text = buffer.getvalue()
    else:  # what a hand-rolled script writes
        text = "\n".join(sep.join(cells) for cells in [header, *rows])
    write_and_check("data" + (".csv" if sep == "," else ".tsv"), text, task=task)


@FUZZ
@given(value=JSON, suffix=st.sampled_from([".json", ".jsonl", ""]))
def test_random_json_values(value: Any, suffix: str) -> None:
    write_and_check("data" + suffix, json.dumps(value))
    lines = value if isinstance(value, list) else [value]
    write_and_check("lines.jsonl", "\n".join(json.dumps(v) for v in lines))


@FUZZ
@given(records=st.lists(RECORD, min_size=1, max_size=8), suffix=st.sampled_from([".json", ".jsonl"]),
       task=st.sampled_from([None, *ROLES]))
def test_random_records(records: list[dict[str, Any]], suffix: str, task: str | None) -> None:
    text = json.dumps(records) if suffix == ".json" else "\n".join(json.dumps(r) for r in records)
    write_and_check("data" + suffix, text, task=task)


@FUZZ
@given(records=st.lists(RECORD, min_size=1, max_size=6), task=st.sampled_from([None, "x", *ROLES]),
       columns=st.dictionaries(st.sampled_from([r for roles in ROLES.values() for r in roles] + ["split", "nope"]),
                               st.sampled_from(COLUMN_NAMES), max_size=3))
def test_random_overrides(records: list[dict[str, Any]], task: str | None, columns: dict[str, str]) -> None:
    write_and_check("data.jsonl", "\n".join(json.dumps(r) for r in records), task=task, columns=columns)


ROW = st.fixed_dictionaries({"text": CELL, "label": st.sampled_from(["a", "b", "c", "", 0, 1])},
                            optional={"split": st.sampled_from(["train", "test", "validation", "dev", "x"])})


@FUZZ
@given(rows=st.lists(ROW, min_size=1, max_size=40), fmt=st.sampled_from(["parquet", "datasets"]))
def test_random_tables_in_binary_formats(rows: list[dict[str, Any]], fmt: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{**r, "label": str(r["label"])} for r in rows]
    keys = sorted({k for r in rows for k in r})
    table = pa.Table.from_pylist([{k: r.get(k) for k in keys} for r in rows])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data"
        if fmt == "parquet":
            path = path.with_suffix(".parquet")
            pq.write_table(table, path)
        else:
            from datasets import Dataset

            Dataset(table).save_to_disk(str(path))
        check(path)


TOKEN = st.text(st.characters(blacklist_categories=("Z", "C")), min_size=1, max_size=6)


@FUZZ
@given(sentences=st.lists(st.lists(st.tuples(TOKEN, st.sampled_from(["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "1",
                                                                       "X"])), min_size=1, max_size=6),
                          min_size=1, max_size=8),
       docstart=st.booleans(), sep=st.sampled_from([" ", "\t"]))
def test_random_conll(sentences: list[list[tuple[str, str]]], docstart: bool, sep: str) -> None:
    blocks = ["\n".join(f"{token}{sep}{tag}" for token, tag in sentence) for sentence in sentences]
    text = ("-DOCSTART- -X- O\n\n" if docstart else "") + "\n\n".join(blocks) + "\n"
    write_and_check("data.conll", text)


WORDS = st.lists(st.sampled_from(["anna", "oslo", "refund", "parcel", "late", "café", "中文", "the", "B-PER", '"']),
                 min_size=1, max_size=6)
TAG = st.sampled_from(["O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC"])


@st.composite
def damaged_dataset(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]]]:
    """A valid dataset of a random task (4-24 rows, maybe with splits), then a few fields overwritten at random."""
    task = draw(st.sampled_from(list(ROLES)))
    splits = draw(st.sampled_from([None, ["train", "test"], ["train", "validation", "dev", "eval"]]))
    records: list[dict[str, Any]] = []
    for i in range(draw(st.integers(4, 24))):
        words = [*draw(WORDS), str(i % draw(st.sampled_from([3, 100])))]  # % 3: some duplicates
        text = " ".join(words)
        if task == "text-classification":
            record: dict[str, Any] = {"text": text, "label": draw(st.sampled_from(["a", "b", "c", 0, 1]))}
        elif task == "token-classification":
            record = {"tokens": words, "ner_tags": [draw(TAG) for _ in words]}
        elif task == "question-answering":
            answer = draw(st.sampled_from(words))
            record = {"question": f"which {i}?", "context": text,
                      "answers": {"text": [answer], "answer_start": [text.index(answer)]}}
        elif task == "summarization":
            record = {"document": text + " and more", "summary": f"{words[0]} {words[-1]} summary"}
        elif task == "translation":
            record = {"translation": {"en": text, "de": text.upper()}}
        else:
            record = {"messages": [{"role": "user", "content": text}, {"role": "assistant", "content": words[0]}]}
        if splits:
            record["split"] = draw(st.sampled_from(splits))
        records.append(record)
    for _ in range(draw(st.integers(0, 3))):
        victim = records[draw(st.integers(0, len(records) - 1))]
        victim[draw(st.sampled_from(sorted(victim)))] = draw(JSON)
    return task, records


@FUZZ
@given(dataset=damaged_dataset(), suffix=st.sampled_from([".json", ".jsonl"]), force=st.booleans())
def test_damaged_valid_datasets(dataset: tuple[str, list[dict[str, Any]]], suffix: str, force: bool) -> None:
    task, records = dataset
    text = json.dumps(records) if suffix == ".json" else "\n".join(json.dumps(r) for r in records)
    report = write_and_check("data" + suffix, text, task=task if force else None)
    assert report is not None
