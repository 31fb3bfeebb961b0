"""Dataset intake: every format and layout users bring, and every problem reported at once with its row and fix.

Files are written into the test's tmp folder in the shapes found in the wild (GLUE TSVs, CoNLL-2003 columns,
SQuAD's nested JSON, ``save_to_disk`` folders, ...); the real samples in ``tests/fixtures/real-formats`` (copied from the public samples)
and the bundled examples must load as they are.
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from catalog.errors import DataError
from finetune.data.intake import inspect_data, load_data
from finetune.data.report import MAX_PER_KIND, DatasetReport, Problem

ROOT = Path(__file__).resolve().parents[3]
REAL_FORMATS = Path(__file__).resolve().parents[2] / "fixtures" / "real-formats"
LABELS = ("billing", "refund", "delivery")


# ------------------------------------------------------------------------------------------------ helpers

def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding, newline="")
    return path


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> Path:
    return write(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def tickets(per_label: int = 6, labels: tuple[str, ...] = LABELS) -> list[dict[str, str]]:
    """Distinct short texts, ``per_label`` of each label."""
    return [{"text": f"customer {i} writes about a {label} issue number {i * 7 + len(label)}", "label": label}
            for label in labels for i in range(per_label)]


def csv_text(rows: list[dict[str, Any]], sep: str = ",") -> str:
    header = list(rows[0])
    return "\n".join([sep.join(header)] + [sep.join(str(r[h]) for h in header) for r in rows]) + "\n"


def ner_records(n: int = 8) -> list[dict[str, Any]]:
    return [{"tokens": ["Anna", "Berg", "visited", "Oslo", f"day{i}"], "ner_tags": ["B-PER", "I-PER", "O", "B-LOC", "O"]}
            for i in range(n)]


def squad_flat(n: int = 6) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        context = f"Item {i}: the warehouse in Leeds opens at {i + 7} am on weekdays."
        answer = f"{i + 7} am"
        out.append({"id": f"q{i}", "question": f"When does the warehouse open (item {i})?", "context": context,
                    "answers": {"text": [answer], "answer_start": [context.index(answer)]}})
    return out


def problems_at(report: DatasetReport, row: int | None = None, field: str | None = None) -> list[Problem]:
    return [p for p in report.problems if (row is None or p.row == row) and (field is None or p.field == field)]


def joined(problems: Iterable[Problem]) -> str:
    return "\n".join(str(p) for p in problems)


def assert_loads(path: Path, expected: str, **kwargs: Any) -> DatasetReport:
    report = inspect_data(path, **kwargs)
    assert report.task == expected, joined(report.problems)
    assert report.ok, joined(report.problems)
    data = load_data(path, **kwargs)
    assert data.task == expected and data.records
    return report


# ------------------------------------------------------------------------------------------------ formats

def test_csv_text_label(tmp_path: Path) -> None:
    report = assert_loads(write(tmp_path / "t.csv", csv_text(tickets())), "text-classification")
    assert report.format == "csv" and report.rows == 18
    assert report.roles == {"text": "text", "label": "label"}
    assert report.labels == {"billing": 6, "refund": 6, "delivery": 6}
    as_dict = report.to_dict()
    assert {"ok", "task", "format", "rows", "columns", "labels", "problems", "warnings", "roles", "splits",
            "lengths", "truncated"} <= set(as_dict)
    json.dumps(as_dict)
    assert "text-classification" in report.to_markdown()


def test_tsv(tmp_path: Path) -> None:
    report = assert_loads(write(tmp_path / "t.tsv", csv_text(tickets(), sep="\t")), "text-classification")
    assert report.format == "tsv" and report.rows == 18


def test_json_list_object_and_columnar(tmp_path: Path) -> None:
    rows = tickets()
    assert_loads(write(tmp_path / "list.json", json.dumps(rows)), "text-classification")
    assert_loads(write(tmp_path / "wrapped.json", json.dumps({"version": 1, "data": rows})), "text-classification")
    columnar = {"text": [r["text"] for r in rows], "label": [r["label"] for r in rows]}
    report = assert_loads(write(tmp_path / "columnar.json", json.dumps(columnar)), "text-classification")
    assert report.rows == 18


def test_jsonl_and_spaces_around_braces(tmp_path: Path) -> None:
    report = assert_loads(write_jsonl(tmp_path / "t.jsonl", tickets()), "text-classification")
    assert report.format == "jsonl"
    lines = [f'  {{ "text" : "{r["text"]}" , "label" : "{r["label"]}" }}  ' for r in tickets()]
    report = assert_loads(write(tmp_path / "spaced.jsonl", "\n".join(lines) + "\n\n"), "text-classification")
    assert report.rows == 18


def test_parquet(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = tickets()
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "t.parquet")
    report = assert_loads(tmp_path / "t.parquet", "text-classification")
    assert report.format == "parquet" and report.rows == 18


def test_datasets_folder_dataset_with_classlabel(tmp_path: Path) -> None:
    from datasets import ClassLabel, Dataset, Features, Value

    rows = tickets()
    features = Features({"text": Value("string"), "label": ClassLabel(names=list(LABELS))})
    Dataset.from_dict({"text": [r["text"] for r in rows], "label": [LABELS.index(r["label"]) for r in rows]},
                      features=features).save_to_disk(str(tmp_path / "ds"))
    report = assert_loads(tmp_path / "ds", "text-classification")
    assert report.format == "datasets"
    assert report.labels == {"billing": 6, "refund": 6, "delivery": 6}  # ClassLabel names, not 0/1/2


def test_datasets_folder_dataset_dict_train_test(tmp_path: Path) -> None:
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Sequence, Value

    tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    features = Features({"tokens": Sequence(Value("string")), "ner_tags": Sequence(ClassLabel(names=tags))})

    def part(offset: int, n: int) -> Dataset:
        return Dataset.from_dict({"tokens": [["Anna", "Berg", "visited", "Oslo", f"day{offset + i}"] for i in range(n)],
                                  "ner_tags": [[1, 2, 0, 3, 0]] * n}, features=features)

    DatasetDict({"train": part(0, 8), "test": part(100, 3)}).save_to_disk(str(tmp_path / "dd"))
    report = assert_loads(tmp_path / "dd", "token-classification")
    assert report.splits == {"test": 3, "train": 8}
    assert report.labels == {"PER": 11, "LOC": 11}
    data = load_data(tmp_path / "dd")
    assert data.records[0]["tags"] == ["B-PER", "I-PER", "O", "B-LOC", "O"]
    assert {r["split"] for r in data.records} == {"train", "test"}


def test_folder_of_split_files(tmp_path: Path) -> None:
    folder = tmp_path / "splits"
    folder.mkdir()
    write(folder / "train.csv", csv_text(tickets(6)))
    write(folder / "test.csv", csv_text([{"text": f"a new {lab} case {i}", "label": lab} for lab in LABELS
                                          for i in range(2)]))
    report = assert_loads(folder, "text-classification")
    assert report.splits == {"test": 6, "train": 18}


# ------------------------------------------------------------------------------------------------ layouts

def test_string_and_integer_labels_named_by_labels_txt(tmp_path: Path) -> None:
    rows = [{"text": r["text"], "label": LABELS.index(r["label"])} for r in tickets()]
    plain = tmp_path / "plain"
    plain.mkdir()
    report = assert_loads(write(plain / "t.csv", csv_text(rows)), "text-classification")
    assert set(report.labels) == {"0", "1", "2"}
    named = tmp_path / "named"
    named.mkdir()
    write(named / "labels.txt", "\n".join(LABELS) + "\n")
    report = assert_loads(write(named / "t.csv", csv_text(rows)), "text-classification")
    assert report.labels == {"billing": 6, "refund": 6, "delivery": 6}
    assert load_data(named / "t.csv").label_names == sorted(LABELS)


def test_sentence_pairs(tmp_path: Path) -> None:
    rows = [{"sentence1": f"The firm made {i} cars.", "sentence2": f"{i} cars were made.",
             "label": "entailment" if i % 2 else "neutral"} for i in range(12)]
    report = assert_loads(write_jsonl(tmp_path / "pairs.jsonl", rows), "text-classification")
    assert report.roles == {"text": "sentence1", "text_pair": "sentence2", "label": "label"}
    assert load_data(tmp_path / "pairs.jsonl").records[0]["text_pair"] == "0 cars were made."


def test_ner_jsonl_string_and_integer_tags(tmp_path: Path) -> None:
    report = assert_loads(write_jsonl(tmp_path / "ner.jsonl", ner_records()), "token-classification")
    assert report.roles == {"tokens": "tokens", "tags": "ner_tags"}
    assert report.labels == {"PER": 8, "LOC": 8}

    folder = tmp_path / "ints"
    folder.mkdir()
    write(folder / "labels.txt", "O\nB-PER\nI-PER\nB-LOC\nI-LOC\n")
    rows = [{"words": r["tokens"], "ner": [1, 2, 0, 3, 0]} for r in ner_records()]
    report = assert_loads(write_jsonl(folder / "ner.jsonl", rows), "token-classification")
    assert report.roles == {"tokens": "words", "tags": "ner"}
    data = load_data(folder / "ner.jsonl")
    assert data.records[0]["tags"] == ["B-PER", "I-PER", "O", "B-LOC", "O"]
    assert data.label_names == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]


CONLL_2003 = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O
. . O O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER

BRUSSELS NNP B-NP B-LOC
1996-08-22 CD I-NP O

"""


def test_conll_2003_columns_with_docstart(tmp_path: Path) -> None:
    path = write(tmp_path / "train.txt", CONLL_2003 * 2)
    report = assert_loads(path, "token-classification")
    assert report.format == "conll" and report.rows == 6
    data = load_data(path)
    assert data.records[0]["tokens"] == ["EU", "rejects", "German", "call", "."]
    assert data.records[0]["tags"] == ["B-ORG", "O", "B-MISC", "O", "O"]
    assert data.rows[:3] == [3, 9, 12]  # the line each sentence starts on


def test_conll_tab_separated_with_labels_file_beside(tmp_path: Path) -> None:
    write(tmp_path / "labels.txt", "O\nB-PER\nI-PER\nB-LOC\nI-LOC\n")
    sentences = [[("Anna", "1"), ("Berg", "2"), ("flew", "0"), ("home", "0"), (str(i), "0")] for i in range(6)]
    text = "\n\n".join("\n".join(f"{tok}\t{tag}" for tok, tag in s) for s in sentences) + "\n"
    path = write(tmp_path / "ner.conll", text)
    assert_loads(path, "token-classification")
    assert load_data(path).records[0]["tags"] == ["B-PER", "I-PER", "O", "O", "O"]
    # string tags with a labels file beside are read as they are
    text = "\n\n".join("\n".join(f"{tok} {tag}" for tok, tag in [("Oslo", "B-LOC"), ("is", "O"), (str(i), "O")])
                       for i in range(6))
    path = write(tmp_path / "strings.conll", text)
    assert load_data(path).records[0]["tags"] == ["B-LOC", "O", "O"]


def test_iob1_conll_loads_with_warning_and_becomes_iob2(tmp_path: Path) -> None:
    # original CoNLL-2003 (IOB1): entities open with I-, B- only where two of one type touch
    sentence = "U.N. I-ORG\nofficial O\nEkeus I-PER\nheads O\nfor O\nBaghdad I-LOC\n. O\n"
    path = write(tmp_path / "iob1.conll", "\n".join(sentence.replace("official", f"official{i}") for i in range(6)))
    report = inspect_data(path)
    assert report.ok, joined(report.problems)
    assert "IOB1" in joined(report.warnings)
    data = load_data(path)
    assert data.records[0]["tags"] == ["B-ORG", "O", "B-PER", "O", "O", "B-LOC", "O"]


def test_mostly_iob2_with_one_stray_i_tag_is_a_problem_not_iob1(tmp_path: Path) -> None:
    rows = ner_records(10)
    rows[6] = {"tokens": ["Visit", "New", "York"], "ner_tags": ["O", "I-LOC", "I-LOC"]}
    report = inspect_data(write_jsonl(tmp_path / "ner.jsonl", rows))
    assert not report.ok
    [problem] = problems_at(report, row=7)
    assert problem.field == "ner_tags" and "I-LOC" in problem.message and "B-" in problem.fix
    assert "IOB1" not in joined(report.warnings)


def test_squad_flat_hf_form(tmp_path: Path) -> None:
    report = assert_loads(write_jsonl(tmp_path / "qa.jsonl", squad_flat()), "question-answering")
    assert report.roles["answers"] == "answers"


def _nested_squad(v2: bool) -> dict[str, Any]:
    qas = []
    for i, record in enumerate(squad_flat()):
        answers = [{"text": record["answers"]["text"][0], "answer_start": record["answers"]["answer_start"][0]}]
        qas.append({"id": f"q{i}", "question": record["question"], "answers": answers})
    context = squad_flat()[0]["context"]
    qas = [{**q, "answers": [{"text": "7 am", "answer_start": context.index("7 am")}]} for q in qas]
    if v2:
        qas.append({"id": "impossible", "question": "Who owns the warehouse?", "answers": [], "plausible_answers": [],
                    "is_impossible": True})
    return {"version": "v2.0" if v2 else "1.1",
            "data": [{"title": "Warehouse", "paragraphs": [{"context": context, "qas": qas}]}]}


@pytest.mark.parametrize("v2", [False, True], ids=["v1", "v2"])
def test_squad_nested(tmp_path: Path, v2: bool) -> None:
    path = write(tmp_path / "squad.json", json.dumps(_nested_squad(v2)))
    report = assert_loads(path, "question-answering")
    data = load_data(path)
    assert report.rows == (7 if v2 else 6)
    assert data.records[0]["answers"] == {"text": ["7 am"], "answer_start": [data.records[0]["context"].index("7 am")]}
    if v2:
        assert data.records[-1]["answers"] == {"text": [], "answer_start": []}


def test_summarization(tmp_path: Path) -> None:
    rows = [{"document": f"Report {i}. The server in rack {i} overheated and was restarted after an hour.",
             "summary": f"Rack {i} server overheated; restarted."} for i in range(8)]
    report = assert_loads(write_jsonl(tmp_path / "sum.jsonl", rows), "summarization")
    assert report.roles == {"document": "document", "summary": "summary"}


def test_translation_flat_source_target(tmp_path: Path) -> None:
    rows = [{"source": f"Good morning number {i}", "target": f"Guten Morgen Nummer {i}"} for i in range(8)]
    report = assert_loads(write(tmp_path / "mt.csv", csv_text(rows)), "translation")
    assert report.roles == {"source": "source", "target": "target"}


def test_translation_language_code_columns(tmp_path: Path) -> None:
    rows = [{"en": f"Good morning number {i}", "de": f"Guten Morgen Nummer {i}"} for i in range(8)]
    report = assert_loads(write_jsonl(tmp_path / "mt.jsonl", rows), "translation")
    assert report.languages == ["en", "de"]
    assert load_data(tmp_path / "mt.jsonl").records[0] == {"source": "Good morning number 0",
                                                             "target": "Guten Morgen Nummer 0"}


def test_translation_nested(tmp_path: Path) -> None:
    rows = [{"translation": {"en": f"Thanks, order {i}", "de": f"Danke, Bestellung {i}"}} for i in range(8)]
    report = assert_loads(write_jsonl(tmp_path / "mt.jsonl", rows), "translation")
    assert report.languages == ["en", "de"]
    data = load_data(tmp_path / "mt.jsonl")
    assert (data.source_lang, data.target_lang) == ("en", "de")
    assert data.records[1] == {"source": "Thanks, order 1", "target": "Danke, Bestellung 1"}


def test_chat_openai_messages(tmp_path: Path) -> None:
    rows = [{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": f"Hi {i}"},
                          {"role": "assistant", "content": f"Hello {i}."}]} for i in range(6)]
    report = assert_loads(write_jsonl(tmp_path / "chat.jsonl", rows), "chat")
    assert report.chat_style == "openai"


def test_chat_sharegpt(tmp_path: Path) -> None:
    rows = [{"conversations": [{"from": "human", "value": f"Hi {i}"}, {"from": "gpt", "value": f"Hello {i}."}]}
            for i in range(6)]
    report = assert_loads(write_jsonl(tmp_path / "chat.jsonl", rows), "chat")
    assert report.chat_style == "sharegpt"
    assert load_data(tmp_path / "chat.jsonl").records[0]["messages"] == [
        {"role": "user", "content": "Hi 0"}, {"role": "assistant", "content": "Hello 0."}]


def test_chat_alpaca(tmp_path: Path) -> None:
    rows = [{"instruction": f"Translate item {i}", "input": "" if i % 2 else "Hallo", "output": f"Hello {i}"}
            for i in range(6)]
    report = assert_loads(write_jsonl(tmp_path / "alpaca.jsonl", rows), "chat")
    assert report.chat_style == "alpaca"
    assert load_data(tmp_path / "alpaca.jsonl").records[0]["messages"] == [
        {"role": "user", "content": "Translate item 0\n\nHallo"}, {"role": "assistant", "content": "Hello 0"}]


# ---------------------------------------------------------------------------------- public releases as they are

def test_glue_tsv_with_unbalanced_quotes(tmp_path: Path) -> None:
    # SST-2's train.tsv: quote characters are plain text, some open and never close
    lines = ["sentence\tlabel", '" the film is a mess \t0', "a gorgeous , witty , seductive movie . \t1",
             "it 's \" not the movie you expect\t1", 'the " director " fails \t0'] + \
            [f"plain sentence number {i} \t{i % 2}" for i in range(8)]
    path = write(tmp_path / "train.tsv", "\n".join(lines) + "\n")
    report = assert_loads(path, "text-classification")
    assert report.rows == 12
    data = load_data(path)
    assert data.records[0]["text"] == '" the film is a mess '
    assert data.records[2]["text"] == "it 's \" not the movie you expect"


@pytest.mark.parametrize("name,task", [("mrpc_dev.csv", "text-classification"),
                                       ("conll_sample.jsonl", "token-classification"),
                                       ("squad_v2_sample.json", "question-answering"),
                                       ("xsum_sample.jsonl", "summarization"),
                                       ("wmt16_en_ro_sample.jsonl", "translation")])
def test_real_format_samples_load(name: str, task: str) -> None:
    assert_loads(REAL_FORMATS / name, task)


@pytest.mark.parametrize("name,task", [("support_tickets.csv", "text-classification"),
                                       ("ner_custom_entities.jsonl", "token-classification"),
                                       ("qa_handbook.jsonl", "question-answering"),
                                       ("summarization_incidents.jsonl", "summarization"),
                                       ("translation_en_de_support.jsonl", "translation"),
                                       ("chat_house_style.jsonl", "chat")])
def test_bundled_examples_load(name: str, task: str) -> None:
    report = assert_loads(ROOT / "examples" / name, task)
    assert not report.warnings, joined(report.warnings)


def test_every_example_file_is_covered() -> None:
    files = {p.name for p in (ROOT / "examples").iterdir() if p.suffix in (".csv", ".jsonl")}
    assert files <= {"support_tickets.csv", "ner_custom_entities.jsonl", "qa_handbook.jsonl",
                     "summarization_incidents.jsonl", "translation_en_de_support.jsonl", "chat_house_style.jsonl"}


# ------------------------------------------------------------------------------------------------ overrides

def test_task_override(tmp_path: Path) -> None:
    rows = [{"source": f"Long incident report {i} about a failed disk in rack {i}.", "target": f"Disk {i} failed."}
            for i in range(8)]
    path = write_jsonl(tmp_path / "d.jsonl", rows)
    assert inspect_data(path).task == "translation"
    report = assert_loads(path, "summarization", task="summarization")
    assert report.roles == {"document": "source", "summary": "target"}


def test_forced_task_that_does_not_fit_names_what_is_missing(tmp_path: Path) -> None:
    report = inspect_data(write(tmp_path / "t.csv", csv_text(tickets())), task="question-answering")
    assert not report.ok
    assert "question" in report.problems[0].message and "--column" in report.problems[0].fix


def test_column_override(tmp_path: Path) -> None:
    rows = [{"text": "ignore me", "body": r["text"], "label": r["label"]} for r in tickets()]
    path = write(tmp_path / "t.csv", csv_text(rows))
    report = assert_loads(path, "text-classification", columns={"text": "body"})
    assert report.roles["text"] == "body"
    assert load_data(path, columns={"text": "body"}).records[0]["text"] == rows[0]["body"]


def test_misnamed_column_override_suggests_closest(tmp_path: Path) -> None:
    rows = [{"body": r["text"], "label": r["label"]} for r in tickets()]
    report = inspect_data(write(tmp_path / "t.csv", csv_text(rows)), columns={"text": "bdoy"})
    assert not report.ok
    [problem] = report.problems
    assert problem.field == "bdoy" and "Did you mean 'body'?" in problem.fix


def test_split_column_override(tmp_path: Path) -> None:
    rows = [{**r, "fold": "test" if i % 3 == 0 else "train"} for i, r in enumerate(tickets())]
    report = assert_loads(write(tmp_path / "t.csv", csv_text(rows)), "text-classification", columns={"split": "fold"})
    assert report.roles["split"] == "fold" and report.splits == {"test": 6, "train": 12}


def test_unknown_role_override(tmp_path: Path) -> None:
    report = inspect_data(write(tmp_path / "t.csv", csv_text(tickets())), columns={"txet": "text"})
    assert not report.ok and "not a column role" in report.problems[0].message
    assert "'text'" in report.problems[0].fix


# ---------------------------------------------------------------------------------------------- validation

def test_empty_file_raises(tmp_path: Path) -> None:
    path = write(tmp_path / "empty.csv", "")
    with pytest.raises(DataError, match="empty"):
        inspect_data(path)
    with pytest.raises(DataError, match="empty"):
        load_data(path)


def test_blank_file_is_a_problem(tmp_path: Path) -> None:
    report = inspect_data(write(tmp_path / "blank.csv", "\n \n\n"))
    assert not report.ok and report.problems[0].row is None


def test_header_only(tmp_path: Path) -> None:
    path = write(tmp_path / "h.csv", "text,label\n")
    report = inspect_data(path)
    assert not report.ok and report.rows == 0
    assert report.problems[0].row is None and "no data rows" in report.problems[0].message
    with pytest.raises(DataError, match="no data rows"):
        load_data(path)


def test_missing_and_misnamed_columns_suggest_closest(tmp_path: Path) -> None:
    rows = [{"review": r["text"], "lable": r["label"]} for r in tickets()]
    report = inspect_data(write(tmp_path / "t.csv", csv_text(rows)))
    assert not report.ok and report.task is None
    [problem] = report.problems
    assert problem.field == "lable" and problem.row is None
    assert "'lable'" in problem.fix and "'label'" in problem.fix
    forced = inspect_data(tmp_path / "t.csv", task="text-classification")
    assert not forced.ok and "'label'" in forced.problems[0].fix


def test_broken_json_lines_report_every_line(tmp_path: Path) -> None:
    lines = [json.dumps(r) for r in tickets()]
    lines[2] = '{"text": "unterminated, "label": "refund"}'
    lines[9] = '{"text": "no closing brace", "label": "refund"'
    report = inspect_data(write(tmp_path / "t.jsonl", "\n".join(lines) + "\n"))
    assert not report.ok
    assert [p.row for p in report.problems] == [3, 10]
    assert all(p.field is None and "Line" in p.message and p.fix for p in report.problems)
    assert report.rows == 16
    with pytest.raises(DataError) as caught:
        load_data(tmp_path / "t.jsonl")
    assert "Row 3" in str(caught.value) and "Row 10" in str(caught.value)


def test_json_document_syntax_error_names_line(tmp_path: Path) -> None:
    text = json.dumps(tickets(), indent=1).replace('"refund"', '"refund",', 1)
    report = inspect_data(write(tmp_path / "t.json", text))
    assert not report.ok and report.problems[0].row is not None and "not valid JSON" in report.problems[0].message


def test_cp1252_file_loads_with_warning_naming_the_line(tmp_path: Path) -> None:
    rows = tickets()
    rows[4]["text"] = "caf\u00e9 owner says the \u20ac price is wrong"
    path = write(tmp_path / "t.csv", csv_text(rows), encoding="cp1252")
    report = assert_loads(path, "text-classification")
    assert report.encoding == "cp1252"
    [warning] = [w for w in report.warnings if "UTF-8" in w.message]
    assert warning.row == 6 and "line 6" in warning.message  # file line 6 = header + 5th row
    assert load_data(path).records[4]["text"] == rows[4]["text"]


def test_utf8_file_with_one_cp1252_line_keeps_utf8_text(tmp_path: Path) -> None:
    rows = tickets()
    rows[0]["text"] = "na\u00efve customer from Z\u00fcrich"
    body = csv_text(rows).encode("utf-8").replace(b"issue number 14", b"issue number \x9314\x94", 1)
    path = tmp_path / "mixed.csv"
    path.write_bytes(body)
    data = load_data(path)
    assert data.records[0]["text"] == "na\u00efve customer from Z\u00fcrich"
    assert data.records[1]["text"].endswith("issue number \u201c14\u201d")
    assert any("line 3" in w.message for w in data.report.warnings)


@pytest.mark.parametrize("payload", [b"text,label\n" + bytes(range(0x80, 0x100)) * 40 + b",x\n",
                                     "text,label\n\u3053\u3093\u306b\u3061\u306f,x\n".encode("shift_jis") * 30],
                         ids=["random-high-bytes", "shift-jis"])
def test_undecodable_file_is_a_clear_error(tmp_path: Path, payload: bytes) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(payload)
    with pytest.raises(DataError, match="UTF-8"):
        inspect_data(path)


@pytest.mark.parametrize("name,payload,match", [
    ("sheet.csv", b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100, "Excel"),
    ("sheet.xlsx", b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100, "Excel"),
    ("image.jsonl", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "PNG"),
    ("noise.csv", b"text,label\nab\x00\x00\x01cd,x\n" * 10, "binary"),
    ("noise", bytes(range(256)) * 4, "binary"),
    ("fake.parquet", b"PAR1 not really parquet PAR1", "Parquet"),
])
def test_binary_files_are_refused(tmp_path: Path, name: str, payload: bytes, match: str) -> None:
    path = tmp_path / name
    path.write_bytes(payload)
    with pytest.raises(DataError, match=match):
        inspect_data(path)
    with pytest.raises(DataError):
        load_data(path)


def test_tokens_tags_length_mismatch(tmp_path: Path) -> None:
    rows = ner_records()
    rows[3]["ner_tags"] = rows[3]["ner_tags"][:-1]
    report = inspect_data(write_jsonl(tmp_path / "ner.jsonl", rows))
    [problem] = report.problems
    assert (problem.row, problem.field) == (4, "ner_tags")
    assert "5 tokens but 4 tags" in problem.message and "one tag per token" in problem.fix


def test_broken_first_row_does_not_hide_the_layout(tmp_path: Path) -> None:
    rows = ner_records()
    rows[0] = {"tokens": [], "ner_tags": []}
    report = inspect_data(write_jsonl(tmp_path / "ner.jsonl", rows))
    assert report.task == "token-classification"
    [problem] = report.problems
    assert (problem.row, problem.field) == (1, "tokens") and "no tokens" in problem.message


def test_non_bio_tag(tmp_path: Path) -> None:
    rows = ner_records()
    rows[1]["ner_tags"][0] = "PERSON"
    report = inspect_data(write_jsonl(tmp_path / "ner.jsonl", rows))
    [problem] = report.problems
    assert (problem.row, problem.field) == (2, "ner_tags") and "PERSON" in problem.message


def test_squad_answer_start_off_gives_the_right_offset(tmp_path: Path) -> None:
    rows = squad_flat()
    right = rows[2]["answers"]["answer_start"][0]
    rows[2]["answers"]["answer_start"] = [right + 3]
    report = inspect_data(write_jsonl(tmp_path / "qa.jsonl", rows))
    [problem] = report.problems
    assert (problem.row, problem.field) == (3, "answers")
    assert f"Set answer_start to {right}" in problem.fix


def test_squad_answer_start_fix_names_the_nearest_occurrence(tmp_path: Path) -> None:
    rows = squad_flat()
    context = "Open at 9 am. Closed on Sundays. Staff arrive at 9 am."
    rows[1].update(context=context, answers={"text": ["9 am"], "answer_start": [len(context) - 6]})
    report = inspect_data(write_jsonl(tmp_path / "qa.jsonl", rows))
    [problem] = report.problems
    assert problem.row == 2 and f"Set answer_start to {context.rindex('9 am')}" in problem.fix


def test_squad_answer_not_in_context(tmp_path: Path) -> None:
    rows = squad_flat()
    rows[4]["answers"]["text"] = ["noon"]
    report = inspect_data(write_jsonl(tmp_path / "qa.jsonl", rows))
    [problem] = report.problems
    assert (problem.row, problem.field) == (5, "answers") and "'noon' does not occur" in problem.message


def test_squad_answers_as_plain_values(tmp_path: Path) -> None:
    rows = [{**r, "answers": {"text": r["answers"]["text"][0], "answer_start": r["answers"]["answer_start"][0]}}
            for r in squad_flat()]
    assert_loads(write_jsonl(tmp_path / "qa.jsonl", rows), "question-answering")
    rows = [{"question": r["question"], "context": r["context"], "answer": r["answers"]["text"][0]}
            for r in squad_flat()]
    data = load_data(write_jsonl(tmp_path / "plain.jsonl", rows))
    assert data.records[0]["answers"]["answer_start"] == [data.records[0]["context"].index("7 am")]


def test_duplicates_warn_with_both_rows(tmp_path: Path) -> None:
    rows = tickets()
    rows[10] = dict(rows[2])
    report = inspect_data(write(tmp_path / "t.csv", csv_text(rows)))
    assert report.ok
    [warning] = [w for w in report.warnings if "repeat an earlier row" in w.message]
    assert warning.row == 11 and "11 (= row 3)" in warning.message


def test_train_test_leakage_warns_and_load_drops_the_held_out_copy(tmp_path: Path) -> None:
    rows = [{**r, "split": "train"} for r in tickets()]
    rows += [{"text": f"held-out {lab} question {i}", "label": lab, "split": "test"} for lab in LABELS for i in range(2)]
    rows.append({**rows[0], "split": "test"})
    path = write(tmp_path / "t.csv", csv_text(rows))
    report = inspect_data(path)
    assert report.ok
    [warning] = [w for w in report.warnings if "also appear in train" in w.message]
    assert warning.row == len(rows) and warning.field == "split"
    data = load_data(path)
    assert len(data.records) == len(rows) - 1
    assert sum(r["split"] == "test" for r in data.records) == 6
    assert len(data.rows) == len(data.records) and len(rows) not in data.rows


def test_too_few_examples_per_class_warns(tmp_path: Path) -> None:
    rows = tickets(8, ("billing", "refund")) + tickets(2, ("delivery",))
    report = inspect_data(write(tmp_path / "t.csv", csv_text(rows)))
    assert report.ok
    [warning] = [w for w in report.warnings if "fewer than" in w.message]
    assert warning.field == "label" and "delivery" in warning.message


def test_single_label_is_a_problem(tmp_path: Path) -> None:
    report = inspect_data(write(tmp_path / "t.csv", csv_text(tickets(8, ("billing",)))))
    [problem] = report.problems
    assert problem.field == "label" and "one label" in problem.message


def test_labels_only_in_test_rows(tmp_path: Path) -> None:
    rows = [{**r, "split": "train"} for r in tickets(6, ("billing", "refund"))]
    rows += [{"text": f"where is parcel {i}", "label": "delivery", "split": "test"} for i in range(3)]
    report = inspect_data(write(tmp_path / "t.csv", csv_text(rows)))
    assert not report.ok
    [problem] = [p for p in report.problems if "held-out" in p.message]
    assert problem.field == "label" and "delivery" in problem.message


def test_over_long_rows_warn_and_count(tmp_path: Path) -> None:
    rows = tickets()
    rows[5]["text"] = " ".join(["word"] * 80)
    rows[7]["text"] = " ".join(["other"] * 90)
    report = inspect_data(write(tmp_path / "t.csv", csv_text(rows)), max_length=40)
    assert report.ok and report.truncated == 2 and report.max_length == 40
    assert any("longer than 40" in w.message for w in report.warnings)
    assert report.lengths["max"] >= 80


def test_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "t.csv", csv_text(tickets(50)))
    monkeypatch.setenv("TUNEWISE_MAX_DATA_MB", "0.001")
    with pytest.raises(DataError, match="limit") as caught:
        inspect_data(path)
    assert "TUNEWISE_MAX_DATA_MB" in str(caught.value)
    with pytest.raises(DataError, match="limit"):
        load_data(path)


def test_size_limit_applies_to_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "splits"
    folder.mkdir()
    write(folder / "train.csv", csv_text(tickets(50)))
    write(folder / "test.csv", csv_text(tickets(2)))
    monkeypatch.setenv("TUNEWISE_MAX_DATA_MB", "0.001")
    with pytest.raises(DataError, match="limit"):
        inspect_data(folder)


def _chat(*turns: tuple[str, str]) -> dict[str, Any]:
    return {"messages": [{"role": role, "content": content} for role, content in turns]}


def test_chat_problems(tmp_path: Path) -> None:
    rows = [_chat(("user", f"Hi {i}"), ("assistant", f"Hello {i}")) for i in range(8)]
    rows[1] = _chat(("system", "Be brief."), ("user", "Hi"))
    rows[3] = _chat(("user", "Hi"), ("assistant", "Hello"), ("user", "Thanks"))
    rows[5] = _chat(("user", "Hi"), ("bot", "Hello"))
    report = inspect_data(write_jsonl(tmp_path / "chat.jsonl", rows))
    assert not report.ok
    by_row = {p.row: p for p in report.problems}
    assert "no assistant reply" in by_row[2].message
    assert "ends with a user message" in by_row[4].message
    assert "role 'bot'" in by_row[6].message
    assert all(p.field == "messages" and p.fix for p in report.problems)


def test_sharegpt_unknown_speaker(tmp_path: Path) -> None:
    rows = [{"conversations": [{"from": "human", "value": f"Hi {i}"}, {"from": "gpt", "value": "Hello"}]}
            for i in range(6)]
    rows[2]["conversations"][1]["from"] = "robot"
    report = inspect_data(write_jsonl(tmp_path / "chat.jsonl", rows))
    [problem] = report.problems
    assert (problem.row, problem.field) == (3, "conversations") and "robot" in problem.message


def test_empty_texts(tmp_path: Path) -> None:
    rows = tickets()
    rows[2]["text"] = "   "
    rows[7]["label"] = ""
    report = inspect_data(write(tmp_path / "t.csv", csv_text(rows)))
    assert {(p.row, p.field) for p in report.problems} == {(3, "text"), (8, "label")}
    assert all("empty" in p.message and p.fix for p in report.problems)
    summaries = [{"document": "" if i == 1 else f"Doc {i} text here.", "summary": f"Short {i} summary"}
                 for i in range(6)]
    report = inspect_data(write_jsonl(tmp_path / "s.jsonl", summaries))
    assert [(p.row, p.field) for p in report.problems] == [(2, "document")]


def test_csv_row_with_wrong_field_count(tmp_path: Path) -> None:
    text = csv_text(tickets()).replace("issue number 14,billing", "issue number 14,billing,extra", 1)
    report = inspect_data(write(tmp_path / "t.csv", text))
    [problem] = report.problems
    assert problem.row == 2 and "(line 3) has 3 fields but the header has 2" in problem.message


def test_many_problems_of_one_kind_are_summarised(tmp_path: Path) -> None:
    rows = tickets(20)
    for row in rows[:35]:
        row["text"] = ""
    report = inspect_data(write(tmp_path / "t.csv", csv_text(rows)))
    empty = [p for p in report.problems if p.field == "text"]
    assert len(empty) == MAX_PER_KIND + 1
    assert [p.row for p in empty[:MAX_PER_KIND]] == list(range(1, MAX_PER_KIND + 1))
    assert empty[-1].message == f"... and {35 - MAX_PER_KIND} more rows like the ones above."


def test_every_problem_at_once(tmp_path: Path) -> None:
    rows: list[Any] = [json.dumps(r) for r in ner_records(10)]
    rows[1] = "{broken"
    rows[4] = json.dumps({"tokens": ["a", "b"], "ner_tags": ["O"]})
    rows[7] = json.dumps({"tokens": ["in", "Oslo"], "ner_tags": ["O", "I-LOC"]})
    with pytest.raises(DataError) as caught:
        load_data(write(tmp_path / "ner.jsonl", "\n".join(rows) + "\n"))
    message = str(caught.value)
    for row in ("Row 2:", "Row 5,", "Row 8,"):
        assert row in message
    assert message.count("Fix:") == 3


def test_tiny_dataset(tmp_path: Path) -> None:
    report = inspect_data(write(tmp_path / "t.csv", csv_text(tickets(1, ("a", "b")))))
    assert not report.ok and "too few" in report.problems[0].message


def test_unicode_line_separators_inside_json_lines(tmp_path: Path) -> None:
    rows = tickets()
    rows[3]["text"] = "first part\u2028second part\x85third\x0cfourth"
    report = assert_loads(write_jsonl(tmp_path / "t.jsonl", rows), "text-classification")
    assert report.rows == 18
    assert load_data(tmp_path / "t.jsonl").records[3]["text"] == rows[3]["text"]


def test_quoted_multiline_csv_fields(tmp_path: Path) -> None:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["text", "label"])
    writer.writeheader()
    rows = tickets()
    rows[1]["text"] = 'line one\nline "two", with comma'
    writer.writerows(rows)
    path = write(tmp_path / "t.csv", buffer.getvalue())
    data = load_data(path)
    assert data.records[1]["text"] == rows[1]["text"] and len(data.records) == 18


def test_utf16_and_old_mac_line_endings(tmp_path: Path) -> None:
    text = csv_text(tickets())
    report = assert_loads(write(tmp_path / "u16.csv", text, encoding="utf-16"), "text-classification")
    assert report.encoding == "utf-16" and report.rows == 18
    report = assert_loads(write(tmp_path / "u16", text, encoding="utf-16"), "text-classification")
    assert report.format == "csv"
    report = assert_loads(write(tmp_path / "mac.csv", text.replace("\n", "\r")), "text-classification")
    assert report.rows == 18


def test_long_first_line_of_non_latin_utf8(tmp_path: Path) -> None:
    # the first line is longer than the 64 KB sniffed for the encoding, and is cut there mid-character
    rows = [{"text": "\u041f\u0440\u0438\u0432\u0435\u0442 " * 12_000 + str(i), "label": LABELS[i % 3]}
            for i in range(12)]
    report = assert_loads(write_jsonl(tmp_path / "ru.jsonl", rows), "text-classification")
    assert report.encoding == "utf-8"


def test_csv_field_longer_than_the_csv_module_default(tmp_path: Path) -> None:
    rows = [{"document": f"report {i} " + "word " * 40_000, "summary": f"summary {i} in short"} for i in range(5)]
    report = assert_loads(write(tmp_path / "long.csv", csv_text(rows)), "summarization", max_length=10**6)
    assert report.rows == 5


def test_repeated_column_names_are_renamed_with_a_warning(tmp_path: Path) -> None:
    text = "text,label,label\n" + "".join(f"{r['text']},{r['label']},x\n" for r in tickets())
    report = assert_loads(write(tmp_path / "t.csv", text), "text-classification")
    assert report.columns == ["text", "label", "label_2"]
    assert any(w.field == "label" and "more than once" in w.message for w in report.warnings)


def test_split_files_number_rows_on_and_name_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "splits"
    folder.mkdir()
    write(folder / "test.csv", csv_text(tickets(2)))
    write(folder / "train.csv", csv_text(tickets(6)).replace("issue number 14,billing", "issue number 14,,x", 1))
    report = inspect_data(folder)
    assert [p.row for p in report.problems] == [6 + 2, 6 + 2]  # test.csv holds rows 1-6; then train.csv's
    assert "(train.csv row 2)" in report.problems[0].message and report.problems[1].field == "label"


def test_unknown_task_name(tmp_path: Path) -> None:
    report = inspect_data(write(tmp_path / "t.csv", csv_text(tickets())), task="text-clasification")
    assert not report.ok and "Did you mean 'text-classification'?" in report.problems[0].fix


def test_chat_content_parts(tmp_path: Path) -> None:
    rows = [{"messages": [{"role": "user", "content": [{"type": "text", "text": f"Hi {i}"}]},
                          {"role": "assistant", "content": "Hello."}]} for i in range(6)]
    assert_loads(write_jsonl(tmp_path / "chat.jsonl", rows), "chat")
    assert load_data(tmp_path / "chat.jsonl").records[2]["messages"][0] == {"role": "user", "content": "Hi 2"}


# ---------------------------------------------------------------------------------------------- streaming

def test_large_jsonl_is_streamed(tmp_path: Path) -> None:
    """200k lines are inspected row by row: memory stays far below the file's size (no records kept)."""
    import numpy  # noqa: F401 - imported before measuring, so its import is not counted

    n = 200_000
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"ticket-{i:08d}", "channel": "email", "text": f"message {i} from a customer "
                                 f"about an order that has not arrived yet, sent on day {i % 365} of the year "
                                 f"{2000 + i % 25}", "label": LABELS[i % 3]}) + "\n")
    size = path.stat().st_size

    def words(texts: list[str], **_: Any) -> dict[str, list[list[str]]]:
        return {"input_ids": [t.split() for t in texts]}

    tracemalloc.start()
    try:
        report = inspect_data(path, tokenizer=words)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.ok, joined(report.problems)
    assert report.rows == n and report.labels == {"billing": 66_667, "refund": 66_667, "delivery": 66_666}
    assert report.lengths["max"] == 21
    assert peak < size / 3, f"peak {peak / 2**20:.1f} MB for a {size / 2**20:.1f} MB file"


def test_format_override_reads_a_misnamed_file(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text("text\tlabel\n" + "".join(f"row {i}, with a comma\t{'ab'[i % 2]}\n" for i in range(12)),
                    encoding="utf-8")
    report = inspect_data(path, fmt="tsv")
    assert report.ok and report.format == "tsv" and report.rows == 12
    with pytest.raises(DataError, match="Unknown format 'xlsx'"):
        inspect_data(path, fmt="xlsx")
