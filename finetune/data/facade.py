"""Datasets for training: the public entry points over ``finetune.data.intake``.

``inspect_data`` / ``load_data`` (re-exported here) handle all six tasks and every format in
``finetune.data.readers``. The classification helpers below give the text-classification engine its data
split into train and held-out parts; they go through the same intake, so every format and check
applies to them too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog.errors import DataError
from finetune.data.intake import DatasetReport, LoadedData, inspect_data, load_data
from finetune.data.readers import Problem, open_data

__all__ = ["ClassificationData", "DatasetReport", "LoadedData", "Problem", "ValidationReport", "inspect_classification",
           "inspect_data", "load_classification", "load_data", "normalize_text", "preview_records"]


@dataclass
class ValidationReport:
    """A text-classification view of a :class:`DatasetReport`: columns, label counts and split sizes."""

    rows: int = 0
    columns: list[str] = field(default_factory=list)
    text_column: str | None = None
    label_column: str | None = None
    split_column: str | None = None
    label_counts: dict[str, int] = field(default_factory=dict)
    train_rows: int = 0
    eval_rows: int = 0
    avg_words: float = 0.0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    full: DatasetReport | None = None

    @property
    def ok(self) -> bool:
        """True when nothing blocks training."""
        return not self.errors

    def to_markdown(self) -> str:
        """Render the report for a chat message or the Data tab."""
        split = f"train {self.train_rows} / held-out {self.eval_rows}"
        return (self.full.to_markdown() + "\n" + split) if self.full else split


@dataclass
class ClassificationData:
    """A text-classification dataset split into train and held-out parts."""

    train_texts: list[str]
    train_labels: list[str]
    eval_texts: list[str]
    eval_labels: list[str]
    labels: list[str]
    report: ValidationReport
    splits: dict[str, list[int]] = field(default_factory=dict)
    """Record indices of each part (``finetune.tasks.features.save_splits`` writes them into the job folder)."""
    seed: int = 42


def _columns(text_column: str | None, label_column: str | None, split_column: str | None) -> dict[str, str]:
    return {k: v for k, v in (("text", text_column), ("label", label_column), ("split", split_column)) if v}


def _view(report: DatasetReport, eval_fraction: float) -> ValidationReport:
    view = ValidationReport(rows=report.rows, columns=report.columns, text_column=report.roles.get("text"),
                            label_column=report.roles.get("label"), split_column=report.roles.get("split"),
                            label_counts=dict(report.labels), errors=report.errors,
                            warnings=[str(w) for w in report.warnings], full=report)
    if report.task != "text-classification" and report.task is not None and not report.problems:
        view.errors = [f"This is {report.task} data, not text classification (label per text)."]
    if report.splits:
        view.train_rows = report.splits.get("train", 0)
        view.eval_rows = report.splits.get("test", 0) + report.splits.get("validation", 0)
    else:
        view.eval_rows = sum(round(n * eval_fraction) for n in report.labels.values() if n >= 5)
        view.train_rows = report.rows - view.eval_rows
    view.avg_words = report.lengths.get("mean", 0.0) / (1.0 if report.lengths.get("approximate") else 1.3)
    return view


def inspect_classification(path: str | Path, *, text_column: str | None = None, label_column: str | None = None,
                           split_column: str | None = None, eval_fraction: float = 0.2) -> ValidationReport:
    """Validate a text-classification file without raising on data problems.

    Args:
        path: The dataset file.
        text_column: Override the inferred text column.
        label_column: Override the inferred label column.
        split_column: Override the inferred split column.
        eval_fraction: Held-out share when the file has no split column.

    Returns:
        A report whose ``errors`` block training and whose ``warnings`` do not.

    Raises:
        DataError: Only when the file cannot be read at all.
    """
    report = inspect_data(path, task="text-classification",
                          columns=_columns(text_column, label_column, split_column))
    return _view(report, eval_fraction)


def load_classification(path: str | Path, *, text_column: str | None = None, label_column: str | None = None,
                        split_column: str | None = None, eval_fraction: float = 0.2,
                        seed: int = 42) -> ClassificationData:
    """Load a text-classification file, validate it, and split it into train and held-out parts.

    Args:
        path: The dataset file.
        text_column: Override the inferred text column.
        label_column: Override the inferred label column.
        split_column: Override the inferred split column (values train/test).
        eval_fraction: Held-out share when the file has no split column (stratified by label).
        seed: Seed of that split.

    Returns:
        The split data with its validation report.

    Raises:
        DataError: Listing every problem with row numbers and the fix.
    """
    from finetune.tasks.features import split_records

    loaded = load_data(path, task="text-classification", columns=_columns(text_column, label_column, split_column))
    splits = split_records(loaded.records, task="text-classification", eval_fraction=eval_fraction, seed=seed)
    train = splits["train"]
    held = sorted(splits.get("validation", []) + splits.get("test", []))
    if not held:
        raise DataError(f"{Path(path).name}: no rows could be held out for evaluation. Add more examples per label "
                        "(5 or more each) or mark some rows 'test' in a split column.")
    records = loaded.records
    view = _view(loaded.report, eval_fraction)
    view.train_rows, view.eval_rows = len(train), len(held)
    return ClassificationData(
        train_texts=[records[i]["text"].strip() for i in train],
        train_labels=[records[i]["label"] for i in train],
        eval_texts=[records[i]["text"].strip() for i in held],
        eval_labels=[records[i]["label"] for i in held],
        labels=sorted({records[i]["label"] for i in train}),
        report=view,
        splits=splits,
        seed=seed,
    )


def normalize_text(text: str) -> str:
    """Case- and whitespace-insensitive key for duplicate and leakage checks."""
    return " ".join(text.lower().split())


def preview_records(path: str | Path, limit: int = 20) -> Any:
    """The first raw records of any supported file as a pandas DataFrame (lists and dicts as JSON text).

    Raises:
        DataError: When the file cannot be read at all.
    """
    import json

    import pandas as pd

    _, stream = open_data(path)
    rows = []
    for _, record in stream:
        rows.append({k: v if isinstance(v, str | int | float | bool) or v is None
                     else json.dumps(v, ensure_ascii=False)[:300] for k, v in record.items()})
        if len(rows) >= limit:
            break
    return pd.DataFrame(rows)
