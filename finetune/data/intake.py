"""Dataset intake for all six tasks: read, detect, convert, validate, and report every problem at once.

    report = inspect_data("ner.conll")            # never raises on bad data; report.problems says why
    data = load_data("ner.conll")                 # the canonical records, or DataError listing problems
    report, data = inspect_and_load("ner.conll")  # both in one pass; data is None when report.ok is false

A problem blocks training (empty file, missing column, broken line, tokens/tags of different length,
invalid BIO, an answer that is not where ``answer_start`` says, too few examples, ...); a warning does
not (duplicates, leakage between train and test rows — those rows leave the test side —, rare labels,
rows longer than the model's limit, a non-UTF-8 file read as cp1252). Each names its row and the fix.
Rows are numbered as the user sees them: data rows from 1 after a CSV header, file lines for JSON lines
and CoNLL (the line a sentence starts on), records for a JSON list or a Parquet / datasets table.
"""

from __future__ import annotations

import itertools
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog.errors import DataError
from finetune.config.run import TASK_MAX_LENGTH
from finetune.data.canonical import canonical_record, ner_tag_names
from finetune.data.file_checks import FileStats, to_iob2
from finetune.data.layouts import detect_layout
from finetune.data.readers import open_data
from finetune.data.readers.base import RawData
from finetune.data.regroup import regroup
from finetune.data.report import MAX_PER_KIND, DatasetReport, Problem
from finetune.data.row_checks import ROW_CHECKS

log = logging.getLogger(__name__)

SAMPLE_ROWS = 50
"""Rows read before the task and the column roles are detected."""


@dataclass
class LoadedData:
    """A validated dataset as canonical records, with the report and the label vocabulary."""

    task: str
    records: list[dict[str, Any]]
    rows: list[int]
    """The row/line number of each record, for messages."""
    report: DatasetReport
    label_names: list[str] = field(default_factory=list)
    """Sorted class labels (classification) or BIO tags with "O" first (NER)."""
    source_lang: str | None = None
    target_lang: str | None = None


class _Collector:
    """Problems of one kind: listed row by row up to a limit, then counted."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str | None], list[Problem]] = defaultdict(list)
        self.counts: Counter[tuple[str, str | None]] = Counter()

    def add(self, kind: str, problem: Problem) -> None:
        key = (kind, problem.field)
        self.counts[key] += 1
        if len(self.items[key]) < MAX_PER_KIND:
            self.items[key].append(problem)

    def extend(self, problems: Iterable[Problem], kind: str = "other") -> None:
        for problem in problems:
            self.add(kind + problem.message[:30], problem)

    def result(self) -> list[Problem]:
        out: list[Problem] = []
        for key, listed in self.items.items():
            out += listed
            more = self.counts[key] - len(listed)
            if more > 0:
                out.append(Problem(None, key[1], f"... and {more} more rows like the ones above.", listed[-1].fix))
        return out


def inspect_data(path: str | Path, *, task: str | None = None, columns: Mapping[str, str] | None = None,
                 max_length: int | None = None, tokenizer: Any = None, fmt: str | None = None) -> DatasetReport:
    """Validate a dataset file or folder without raising on data problems.

    Args:
        path: The file or ``save_to_disk`` folder (confined to the workspace by the caller).
        task: Force a task instead of inferring it.
        columns: Role -> column overrides.
        max_length: Token limit to count truncated rows against (default per task).
        tokenizer: Tokenizer to count lengths with (default: the packaged MiniLM's, else words).
        fmt: Read the file as this format instead of guessing (csv, tsv, json, jsonl, parquet, conll).

    Returns:
        The report; ``report.ok`` says whether it can be trained on.

    Raises:
        DataError: Only when the file cannot be read at all (missing, empty, binary, too big).
    """
    return _intake(path, task=task, columns=columns, max_length=max_length, tokenizer=tokenizer, keep=False,
                   fmt=fmt)[0]


def load_data(path: str | Path, *, task: str | None = None, columns: Mapping[str, str] | None = None,
              max_length: int | None = None, tokenizer: Any = None, fmt: str | None = None) -> LoadedData:
    """Load, convert and validate a dataset; raise if anything blocks training.

    Args:
        path: The file or folder.
        task: Force a task instead of inferring it.
        columns: Role -> column overrides.
        max_length: Token limit for the truncation warning.
        tokenizer: Tokenizer for length statistics.
        fmt: Read the file as this format instead of guessing.

    Returns:
        The canonical records (leaked test rows already moved out of the test side) and the report.

    Raises:
        DataError: Listing every problem with its row and fix.
    """
    report, loaded = inspect_and_load(path, task=task, columns=columns, max_length=max_length, tokenizer=tokenizer,
                                      fmt=fmt)
    if loaded is None:
        listed = "\n".join(f"- {p}" for p in report.problems) or "- no task could be detected"
        raise DataError(f"{Path(path).name} cannot be used yet:\n{listed}")
    return loaded


def inspect_and_load(path: str | Path, *, task: str | None = None, columns: Mapping[str, str] | None = None,
                     max_length: int | None = None, tokenizer: Any = None,
                     fmt: str | None = None) -> tuple[DatasetReport, LoadedData | None]:
    """Validate a dataset and keep its canonical records, in one pass over the file.

    For callers that need the report even when the data cannot be trained on, and the records when it can,
    without reading and validating the file twice.

    Args:
        path: The file or folder (confined to the workspace by the caller).
        task: Force a task instead of inferring it.
        columns: Role -> column overrides.
        max_length: Token limit for the truncation warning.
        tokenizer: Tokenizer for length statistics.
        fmt: Read the file as this format instead of guessing.

    Returns:
        ``(report, loaded)``: ``loaded`` is None exactly when ``report.ok`` is false.

    Raises:
        DataError: Only when the file cannot be read at all (missing, empty, binary, too big).
    """
    return _intake(path, task=task, columns=columns, max_length=max_length, tokenizer=tokenizer, keep=True, fmt=fmt)


def _intake(path: str | Path, *, task: str | None, columns: Mapping[str, str] | None, max_length: int | None,
            tokenizer: Any, keep: bool, fmt: str | None = None) -> tuple[DatasetReport, LoadedData | None]:
    raw, rows_in = open_data(path, fmt)
    report = DatasetReport(path=str(path), format=raw.format, compression=raw.compression)
    _, stream = regroup(list(itertools.islice(rows_in, SAMPLE_ROWS)), rows_in)
    sample = list(itertools.islice(stream, SAMPLE_ROWS))
    report.columns = list(dict.fromkeys(k for _, r in sample for k in r))
    if not sample:
        _finish_raw(report, raw)
        if not report.problems:
            report.problems.append(Problem(None, None, "The file has a header but no data rows.",
                                           "Add examples, one per row (or line)."))
        return report, None
    layout = detect_layout([r for _, r in sample], task=task, columns=columns)
    report.task, report.roles, report.chat_style = layout.task, layout.roles, layout.chat_style
    report.languages = [lang for lang in (layout.source_lang, layout.target_lang) if lang]
    if layout.problems or layout.task is None:
        _finish_raw(report, raw)
        report.problems += layout.problems
        return report, None
    if layout.split_column:
        report.roles = {**report.roles, "split": layout.split_column}
    label_names = raw.label_names
    collector = _Collector()
    unlabelled: list[tuple[int, Problem]] = []
    no_gold: list[int] = []
    records: list[dict[str, Any]] = []
    rows: list[int] = []
    check = ROW_CHECKS[layout.task]
    report.max_length = max_length or TASK_MAX_LENGTH[layout.task]  # the run config's default for the task
    stats = FileStats(layout.task, tokenizer)

    for row, record in itertools.chain(sample, stream):
        report.rows += 1
        canon, problems = canonical_record(layout, record, row, label_names=label_names)
        collector.extend(problems, "convert")
        if canon is None:
            continue
        if canon.pop("no_label", False):  # '-', null, -1: rows the dataset itself leaves unlabelled
            no_gold.append(row)
            continue
        for kind, problem in check(canon, row, layout.roles):
            if kind == "empty-label":  # many of them: an unlabelled (test) file, judged at the end
                unlabelled.append((row, problem))
            else:
                collector.add(kind, problem)
        if layout.task == "text-classification" and not canon["label"]:
            continue  # counted above; never trained or scored on
        stats.add(canon, row)
        if keep:
            records.append(canon)
            rows.append(row)
    _finish_raw(report, raw)
    _unlabelled(report, unlabelled, no_gold, collector)
    report.problems += collector.result()
    report.warnings += [_SCHEME_NOTES[note] for note in sorted(layout.notes) if note in _SCHEME_NOTES]
    stats.finish(report)
    if not keep or not report.ok:
        return report, None
    if stats.leaked_rows:  # already in train: dropping the held-out copy keeps the scores honest
        kept = [i for i, row in enumerate(rows) if row not in stats.leaked_rows]
        records, rows = [records[i] for i in kept], [rows[i] for i in kept]
    if stats.iob1:
        for record in records:
            record["tags"] = to_iob2(record["tags"])
    names = sorted(report.labels) if layout.task == "text-classification" else []
    if layout.task == "token-classification":
        names = ner_tag_names(records)
    return report, LoadedData(task=layout.task, records=records, rows=rows, report=report, label_names=names,
                              source_lang=layout.source_lang, target_lang=layout.target_lang)


_SCHEME_NOTES = {
    "io": Problem(None, None, "The tags have no B-/I- prefixes (the IO scheme, as in Few-NERD); each run of one type "
                  "was read as one entity (B- then I-).", "Nothing to do, unless two entities of one type touch: "
                  "then give the second a B- tag."),
    "bioes": Problem(None, None, "The tags use the BIOES / BILOU scheme (S-, E-, U-, L-) or B_ prefixes; they were "
                     "read as BIO.", "Nothing to do."),
}


def _unlabelled(report: DatasetReport, unlabelled: list[tuple[int, Problem]], no_gold: list[int],
                collector: _Collector) -> None:
    """Rows without a label. Empty cells are problems when few (a slip); rows the dataset marks unlabelled ('-',
    null, -1) are left out with a warning; when most rows have no label (a test file) one warning says so."""
    missing = sorted([r for r, _ in unlabelled] + no_gold)
    if not missing:
        return
    field_name = report.roles.get("label")
    if len(missing) * 2 <= report.rows:
        for _, problem in unlabelled:
            collector.add("empty-label", problem)
        if no_gold:
            listed = ", ".join(map(str, no_gold[:10])) + (" ..." if len(no_gold) > 10 else "")
            report.warnings.append(Problem(no_gold[0], field_name, f"{len(no_gold)} rows have no gold label ('-', "
                                           f"null or -1: rows {listed}); they are left out.", "Nothing to do."))
        return
    listed = ", ".join(map(str, missing[:10])) + (" ..." if len(missing) > 10 else "")
    report.warnings.append(Problem(missing[0], field_name, f"Most rows have no label: {len(missing)} of {report.rows} "
                                   f"(rows {listed}). This looks like an unlabelled or test file; only the labelled "
                                   "rows train and score.",
                                   "Label them, or use the file's labelled split (train / dev) for training."))
    if len(missing) == report.rows:
        report.problems.append(Problem(None, field_name, "No row has a label, so there is nothing to learn from.",
                                       "Use a file whose label column is filled in."))


def _finish_raw(report: DatasetReport, raw: RawData) -> None:
    report.format, report.encoding = raw.format, raw.encoding
    report.problems = raw.problems + report.problems
    report.warnings = raw.warnings + report.warnings
