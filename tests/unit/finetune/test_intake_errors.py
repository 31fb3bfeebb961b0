"""Intake's errors and warnings where the task is recognisable but a value has the wrong shape, labels are missing
or several, a target copies its input, or a compressed or parallel file is unusable."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import pytest

from catalog.errors import DataError
from finetune.data.intake import inspect_data, load_data


def jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def problems(report) -> str:  # noqa: ANN001 - a DatasetReport
    return "\n".join(str(p) for p in report.problems)


def test_ner_tags_as_one_string_name_the_row_the_field_and_the_shape(tmp_path: Path) -> None:
    rows = [{"tokens": ["Anna", "rides", f"n{i}"], "ner_tags": ["B-PER", "O", "O"]} for i in range(6)]
    rows[2]["ner_tags"] = "B-PER O O"
    report = inspect_data(jsonl(tmp_path / "ner.jsonl", rows))
    assert report.task == "token-classification" and not report.ok
    [problem] = report.problems
    assert (problem.row, problem.field) == (3, "ner_tags") and "one string ('B-PER O O'), not a list" in problem.message
    assert "3 here, one per token" in problem.fix
    rows = [{"tokens": f"Anna rides n{i}", "ner_tags": "B-PER O O"} for i in range(6)]  # both strings: a table
    assert inspect_data(jsonl(tmp_path / "table.jsonl", rows)).ok


def test_chat_turns_without_content_name_the_message_and_its_keys(tmp_path: Path) -> None:
    rows = [{"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]}
            for i in range(6)]
    rows[4]["messages"][1] = {"role": "assistant", "contnet": "typo"}
    report = inspect_data(jsonl(tmp_path / "chat.jsonl", rows))
    assert report.task == "chat" and not report.ok
    [problem] = report.problems
    assert (problem.row, problem.field) == (5, "messages")
    assert "Message 2 has no content" in problem.message and "its keys: role, contnet" in problem.message


def test_multi_label_rows_are_refused_by_row_with_what_to_do(tmp_path: Path) -> None:
    rows = [{"text": f"text {i}", "labels": [i % 2]} for i in range(10)]
    assert load_data(jsonl(tmp_path / "single.jsonl", rows)).records[0]["label"] == "0"  # one label in a list
    rows[3]["labels"] = [0, 1]
    report = inspect_data(jsonl(tmp_path / "multi.jsonl", rows))
    [problem] = report.problems
    assert problem.row == 4 and "multi-label classification, which tunewise does not train" in problem.message
    assert "one yes/no classifier per label" in problem.fix


def test_most_rows_without_a_label_warn_and_only_labelled_rows_train(tmp_path: Path) -> None:
    (tmp_path / "labels.txt").write_text("neg\npos\n", encoding="utf-8")
    rows = [{"sentence": f"review number {i}", "label": -1 if i > 3 else i % 2} for i in range(10)]
    report = inspect_data(jsonl(tmp_path / "test.jsonl", rows))
    assert report.ok, problems(report)
    assert any("Most rows have no label: 6 of 10" in w.message for w in report.warnings)
    assert len(load_data(tmp_path / "test.jsonl").records) == 4
    none = [{"sentence": f"review number {i}", "label": -1} for i in range(6)]
    assert "No row has a label" in problems(inspect_data(jsonl(tmp_path / "none.jsonl", none)))


def test_generative_targets_that_copy_their_input_warn(tmp_path: Path) -> None:
    rows = [{"messages": [{"role": "user", "content": f"say {i}"}, {"role": "assistant", "content": f"say {i}"}]}
            for i in range(6)]
    report = inspect_data(jsonl(tmp_path / "echo.jsonl", rows))
    assert report.ok and any("the assistant's reply is the same text as the user's message" in w.message
                             for w in report.warnings)


def test_unusable_archives_and_parallel_files_say_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as archive:
        archive.writestr("train.csv", "text,label\na,b\n")
        archive.writestr("test.csv", "text,label\na,b\n")
    with pytest.raises(DataError, match="holds 2 files .*a zip is read when it holds one data file"):
        inspect_data(tmp_path / "two.zip")
    (tmp_path / "big.jsonl.gz").write_bytes(gzip.compress(b'{"text": "x", "label": "y"}\n' * 50_000))
    monkeypatch.setenv("TUNEWISE_MAX_DATA_MB", "0.5")
    with pytest.raises(DataError, match="expands to more than the 0.5 MB limit"):
        inspect_data(tmp_path / "big.jsonl.gz")
    (tmp_path / "broken.jsonl.gz").write_bytes(gzip.compress(b'{"text": "x"}\n' * 10)[:-12])
    with pytest.raises(DataError, match="cannot be decompressed"):
        inspect_data(tmp_path / "broken.jsonl.gz")
    (tmp_path / "c.en").write_text("one\ntwo\nthree\nfour\nfive\n", encoding="utf-8")
    (tmp_path / "c.de").write_text("eins\nzwei\ndrei\nvier\n", encoding="utf-8")
    report = inspect_data(tmp_path / "c.en")
    assert report.task == "translation" and "different numbers of lines" in problems(report)
