"""Dataset loading, column inference and validation, and confinement of paths to the workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from catalog.errors import DataError, PathError
from finetune.data.classification_split import split_classification
from finetune.data.intake import inspect_data, load_data
from finetune.data.readers import preview_records
from finetune.workspace import EXAMPLES_DIR, confine

MRPC = Path(__file__).resolve().parents[2] / "fixtures" / "real-formats" / "mrpc_dev.csv"

RECORDS = [
    {"text": "I was charged twice for my subscription", "label": "billing"},
    {"text": "Where is my parcel, it is a week late", "label": "delivery"},
    {"text": "Please send my money back for the broken kettle", "label": "refund"},
    {"text": "My invoice shows the wrong VAT number", "label": "billing"},
    {"text": "The courier left the box at the wrong house", "label": "delivery"},
    {"text": "I returned the shoes, when do I get a refund?", "label": "refund"},
]


def _write(path: Path, kind: str, records: list[dict[str, str]]) -> Path:
    df = pd.DataFrame.from_records(records)
    if kind == "csv":
        df.to_csv(path, index=False)
    elif kind == "tsv":
        df.to_csv(path, index=False, sep="\t")
    elif kind == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    elif kind == "json":
        path.write_text(json.dumps(records), encoding="utf-8")
    elif kind == "parquet":
        df.to_parquet(path)
    return path


@pytest.mark.parametrize("kind", ["csv", "tsv", "jsonl", "json", "parquet"])
def test_every_supported_format_loads_the_same_table(tmp_path: Path, kind: str) -> None:
    path = _write(tmp_path / f"tickets.{kind}", kind, RECORDS)
    df = preview_records(path)
    assert list(df.columns) == ["text", "label"]
    assert df.to_dict("records") == RECORDS
    report = inspect_data(path, task="text-classification")
    assert (report.roles.get("text"), report.roles.get("label")) == ("text", "label")
    assert report.labels == {"billing": 2, "delivery": 2, "refund": 2}
    assert report.ok, report.errors


def test_json_object_holding_a_list_of_records(tmp_path: Path) -> None:
    path = tmp_path / "wrapped.json"
    path.write_text(json.dumps({"version": 1, "data": RECORDS}), encoding="utf-8")
    assert preview_records(path).to_dict("records") == RECORDS


def test_columns_are_inferred_from_common_names(tmp_path: Path) -> None:
    records = [{"id": str(i), "message": r["text"], "intent": r["label"]} for i, r in enumerate(RECORDS)]
    path = _write(tmp_path / "chat.csv", "csv", records)
    report = inspect_data(path, task="text-classification")
    assert (report.roles.get("text"), report.roles.get("label"), report.roles.get("split")) == ("message", "intent",
                                                                                               None)
    assert report.ok, report.errors


def test_text_column_falls_back_to_the_longest_values(tmp_path: Path) -> None:
    records = [{"code": f"T{i}", "ticket_body": r["text"], "label": r["label"]} for i, r in enumerate(RECORDS)]
    report = inspect_data(_write(tmp_path / "odd.csv", "csv", records), task="text-classification")
    assert report.roles.get("text") == "ticket_body"


def test_misnamed_explicit_column_suggests_the_close_name(tmp_path: Path) -> None:
    records = [{"message": r["text"], "intent": r["label"]} for r in RECORDS]
    path = _write(tmp_path / "chat.csv", "csv", records)
    report = inspect_data(path, task="text-classification", columns={"text": "mesage", "label": "intnt"})
    assert not report.ok
    joined = "\n".join(report.errors)
    assert "'mesage'" in joined and "Did you mean 'message'?" in joined
    assert "'intnt'" in joined and "Did you mean 'intent'?" in joined
    with pytest.raises(DataError, match="Did you mean 'message'"):
        load_data(path, task="text-classification", columns={"text": "mesage"})


def test_explicit_column_with_nothing_close_lists_the_columns(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", "csv", RECORDS)
    report = inspect_data(path, task="text-classification", columns={"label": "zzzz"})
    assert any("Columns are: text, label" in e for e in report.errors)


def test_no_label_column_is_an_error_naming_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "nolabel.csv"
    path.write_text("text\nhello there\nbye now\n", encoding="utf-8")
    report = inspect_data(path, task="text-classification")
    assert not report.ok
    assert any("needs a text column and a label column" in e and "columns are text" in e for e in report.errors)


def test_empty_file_is_a_clear_data_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(DataError, match="empty.csv is empty"):
        inspect_data(path, task="text-classification")


def test_header_only_file_reports_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("text,label\n", encoding="utf-8")
    report = inspect_data(path, task="text-classification")
    assert report.rows == 0
    assert report.errors == ["The file has a header but no data rows. Fix: Add examples, one per row (or line)."]
    with pytest.raises(DataError, match="header but no data rows"):
        load_data(path, task="text-classification")


@pytest.mark.parametrize("name", ["upload.csv", "upload.jsonl", "upload.tsv"])
def test_binary_file_is_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(range(256)))
    with pytest.raises(DataError, match="ZIP archive or an Excel"):
        inspect_data(path, task="text-classification")
    path.write_bytes(b"text,label\n" + bytes(range(256)) * 4)
    with pytest.raises(DataError, match="looks like a binary file"):
        inspect_data(path, task="text-classification")


def test_corrupt_parquet_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"this is not parquet at all")
    with pytest.raises(DataError, match="not a readable Parquet file"):
        inspect_data(path, task="text-classification")


def test_malformed_json_lines_are_reported_by_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok", "label": "a"}\n{not json\n', encoding="utf-8")
    report = inspect_data(path, task="text-classification")
    assert any(e.startswith("Row 2: Line 2 is not valid JSON") for e in report.errors)
    with pytest.raises(DataError, match="Line 2 is not valid JSON"):
        load_data(path, task="text-classification")


@pytest.mark.parametrize("suffix", [".dat", ".txt", ""])
def test_unknown_suffix_is_read_by_its_content(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"tickets{suffix}"
    path.write_text("text,label\nmy card was charged twice,billing\nwhere is the parcel,delivery\n", encoding="utf-8")
    assert preview_records(path).to_dict("records")[1] == {"text": "where is the parcel", "label": "delivery"}


def test_unrecognisable_content_names_the_supported_formats(tmp_path: Path) -> None:
    path = tmp_path / "notes.dat"
    path.write_text("just some prose\nwithout any structure\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        inspect_data(path, task="text-classification")
    assert "cannot tell the format" in str(info.value)
    assert ".csv" in str(info.value) and ".parquet" in str(info.value)


def test_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        inspect_data(tmp_path / "absent.csv", task="text-classification")


def test_empty_texts_and_missing_labels_are_all_reported_with_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "holes.csv"
    path.write_text(
        "text,label\n"
        "charged twice,billing\n"      # row 1
        ",billing\n"                   # row 2: empty text
        "parcel is late,\n"            # row 3: missing label
        "   ,refund\n"                 # row 4: blank text
        "money back please,refund\n"   # row 5
        "where is my box,  \n"         # row 6: blank label
        "late again,delivery\n",       # row 7
        encoding="utf-8",
    )
    report = inspect_data(path, task="text-classification")
    assert not report.ok
    empty = [(p.row, p.field) for p in report.problems if "is empty" in p.message]
    assert sorted(empty) == [(2, "text"), (3, "label"), (4, "text"), (6, "label")]
    with pytest.raises(DataError) as info:
        load_data(path, task="text-classification")
    for row in (2, 3, 4, 6):
        assert f"Row {row}, field" in str(info.value)


def test_long_lists_of_bad_rows_are_shortened(tmp_path: Path) -> None:
    lines = ["text,label"] + [f"text {i},{'' if i % 2 else 'a'}" for i in range(1, 61)] + ["x,b"]
    path = tmp_path / "many.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = inspect_data(path, task="text-classification")
    missing = [e for e in report.errors if "The label is empty" in e]
    assert len(missing) == 20 and missing[0].startswith("Row 1, field 'label'") and missing[1].startswith("Row 3,")
    assert any(e.startswith("Field 'label': ... and 10 more rows") for e in report.errors)


def test_a_single_label_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "one.csv", "csv", [{"text": r["text"], "label": "billing"} for r in RECORDS])
    report = inspect_data(path, task="text-classification")
    assert any("Only one label" in e for e in report.errors)
    with pytest.raises(DataError, match="at least two classes"):
        load_data(path, task="text-classification")


def _split_rows() -> list[dict[str, str]]:
    rows = []
    for label in ("billing", "refund", "delivery"):
        rows += [{"text": f"{label} question number {i}", "label": label, "split": "train"} for i in range(6)]
        rows += [{"text": f"{label} held out case {i}", "label": label, "split": "test"} for i in range(2)]
    return rows


def test_split_column_is_honoured(tmp_path: Path) -> None:
    path = _write(tmp_path / "split.csv", "csv", _split_rows())
    loaded = load_data(path, task="text-classification")
    data = split_classification(loaded)
    assert loaded.report.roles.get("split") == "split"
    assert len(data.train_texts) == 18 and len(data.eval_texts) == 6
    assert all("held out" in t for t in data.eval_texts)
    assert all("question number" in t for t in data.train_texts)
    assert data.labels == ["billing", "delivery", "refund"]


def test_explicit_split_column_with_other_names(tmp_path: Path) -> None:
    rows = [{"body": r["text"], "category": r["label"], "partition": "training" if r["split"] == "train"
             else "validation"} for r in _split_rows()]
    data = split_classification(load_data(_write(tmp_path / "p.csv", "csv", rows), task="text-classification",
                                          columns={"split": "partition"}))
    assert (len(data.train_texts), len(data.eval_texts)) == (18, 6)


def test_bad_split_values_and_test_only_labels_are_errors(tmp_path: Path) -> None:
    rows = _split_rows()
    rows[0]["split"] = "later"
    rows.append({"text": "a brand new problem", "label": "privacy", "split": "test"})
    report = inspect_data(_write(tmp_path / "s.csv", "csv", rows), task="text-classification")
    assert any("Unknown split value 'later' in rows 1." in e for e in report.errors)
    assert any("Labels only in the held-out rows" in e and "privacy" in e for e in report.errors)


def test_no_split_gives_a_stratified_held_out_part(tmp_path: Path) -> None:
    rows = [{"text": f"{lab} text {i}", "label": lab} for lab in ("a", "b") for i in range(10)]
    data = split_classification(load_data(_write(tmp_path / "ns.csv", "csv", rows), task="text-classification"),
                                eval_fraction=0.2, seed=1)
    assert sorted(data.eval_labels) == ["a", "a", "b", "b"]
    assert len(data.train_texts) == 16
    assert not set(data.train_texts) & set(data.eval_texts)


def test_eval_rows_duplicating_train_rows_are_dropped_with_a_warning(tmp_path: Path) -> None:
    rows = _split_rows()
    rows[6]["text"] = rows[0]["text"].upper()  # row 7: a test row that repeats train row 1
    rows[7]["text"] = rows[1]["text"]          # row 8: a test row that repeats train row 2
    loaded = load_data(_write(tmp_path / "leak.csv", "csv", rows), task="text-classification")
    data = split_classification(loaded)
    assert len(data.eval_texts) == 4
    assert rows[1]["text"] not in data.eval_texts
    leak = next(str(w) for w in loaded.report.warnings if "held-out rows also appear in train" in w.message)
    assert leak.startswith("Row 7, field 'split': 2 held-out rows") and "rows 7, 8" in leak


def test_cp1252_csv_loads(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    text = "text,label\nCafé crème – “great” service,feedback\nnaïve résumé of my €12 charge,billing\n"
    path.write_bytes(text.encode("cp1252"))
    df = preview_records(path)
    assert df["text"].tolist() == ["Café crème – “great” service", "naïve résumé of my €12 charge"]
    report = inspect_data(path, task="text-classification")
    assert any("read as cp1252" in str(w) and str(w).startswith("Row 2:") for w in report.warnings)


def test_utf8_bom_is_stripped_from_the_header(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("text,label\nhello,a\nbye,b\n".encode("utf-8-sig"))
    assert list(preview_records(path).columns) == ["text", "label"]


def test_values_are_strings_and_missing_cells_empty(tmp_path: Path) -> None:
    path = tmp_path / "na.csv"
    path.write_text("text,label\nNA,1\nnull,2\n", encoding="utf-8")
    assert preview_records(path).to_dict("records") == [{"text": "NA", "label": "1"}, {"text": "null", "label": "2"}]


def test_real_mrpc_file_keeps_embedded_quotes() -> None:
    df = preview_records(MRPC)
    assert list(df.columns) == ["label", "sentence1", "sentence2"]
    assert len(df) == 6
    assert set(df["label"]) == {"equivalent", "not_equivalent"}
    assert df.iloc[0]["sentence2"].startswith('" The foodservice pie business')
    assert 'he was " 100 percent behind George Bush "' in df.iloc[1]["sentence2"]
    assert all(df[c].str.len().gt(10).all() for c in ("sentence1", "sentence2"))


# -- confine -----------------------------------------------------------------------------------------


def test_confine_accepts_the_bundled_example(workspace: Path) -> None:
    expected = (EXAMPLES_DIR / "support_tickets.csv").resolve()
    assert confine("examples/support_tickets.csv") == expected
    assert confine("support_tickets.csv") == expected


def test_confine_accepts_files_inside_the_workspace(workspace: Path) -> None:
    (workspace / "uploads").mkdir()
    target = workspace / "uploads" / "mine.csv"
    target.write_text("text,label\n", encoding="utf-8")
    assert confine("uploads/mine.csv") == target.resolve()
    assert confine(str(target)) == target.resolve()
    assert confine("uploads/../uploads/mine.csv") == target.resolve()


@pytest.mark.parametrize("path", ["../secret.csv", "../../etc/passwd", "uploads/../../outside.csv",
                                  "examples/../../pyproject.toml"])
def test_confine_rejects_relative_escapes(workspace: Path, path: str) -> None:
    (workspace.parent / "secret.csv").write_text("text,label\n", encoding="utf-8")
    with pytest.raises(PathError):
        confine(path)


def test_confine_rejects_absolute_paths_outside(workspace: Path) -> None:
    outside = workspace.parent / "outside.csv"
    outside.write_text("text,label\n", encoding="utf-8")
    with pytest.raises(PathError, match="outside the workspace"):
        confine(str(outside))
    with pytest.raises(PathError, match="outside the workspace"):
        confine("/etc/passwd")


def test_confine_rejects_symlinks_that_leave_the_workspace(workspace: Path) -> None:
    outside = workspace.parent / "target.csv"
    outside.write_text("text,label\n", encoding="utf-8")
    (workspace / "link.csv").symlink_to(outside)
    with pytest.raises(PathError):
        confine("link.csv")


@pytest.mark.parametrize("path", ["", "   ", "data\x00.csv"])
def test_confine_rejects_empty_and_nul_paths(workspace: Path, path: str) -> None:
    with pytest.raises(PathError):
        confine(path)


def test_confine_reports_missing_files(workspace: Path) -> None:
    with pytest.raises(PathError, match="was not found"):
        confine("nowhere.csv")
    assert confine("later.csv", must_exist=False) == (workspace / "later.csv").resolve()


def test_confine_can_refuse_the_examples(workspace: Path) -> None:
    with pytest.raises(PathError):
        confine("examples/support_tickets.csv", allow_examples=False)


def test_workspace_example_subset_loads(tickets_csv: Path) -> None:
    data = split_classification(load_data(confine("data.csv"), task="text-classification"))
    assert len(data.train_texts) == 60 and len(data.eval_texts) == 21
    assert data.labels == ["billing", "delivery", "refund"]
