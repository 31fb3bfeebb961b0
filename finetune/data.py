"""Dataset loading and validation.

Reads CSV / TSV / JSON / JSON lines / Parquet into a table, infers which columns hold the text,
the label and a fixed split, and validates everything at once: every problem is reported with its
row number and the fix, in one ``DataError``. Rows are numbered from 1, not counting a header.
"""

from __future__ import annotations

import difflib
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finetune.errors import DataError

log = logging.getLogger(__name__)

TEXT_NAMES = ("text", "sentence", "message", "content", "body", "query", "utterance", "review", "input", "ticket")
LABEL_NAMES = ("label", "labels", "intent", "category", "class", "target", "topic", "tag")
SPLIT_NAMES = ("split", "set", "subset", "fold")
TRAIN_VALUES = {"train", "training"}
EVAL_VALUES = {"test", "eval", "evaluation", "validation", "valid", "dev", "heldout", "held-out"}
SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".txt": "tsv", ".json": "json", ".jsonl": "jsonl", ".parquet": "parquet"}
MAX_REPORTED = 20


@dataclass
class ValidationReport:
    """What was found in a dataset: statistics, warnings and blocking errors."""

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

    @property
    def ok(self) -> bool:
        """True when nothing blocks training."""
        return not self.errors

    def to_markdown(self) -> str:
        """Render the report for a chat message or the Data tab."""
        lines = [
            f"**{self.rows} rows**, columns: {', '.join(f'`{c}`' for c in self.columns)}",
            f"text column `{self.text_column}`, label column `{self.label_column}`"
            + (f", split column `{self.split_column}`" if self.split_column else ""),
            f"train {self.train_rows} / held-out {self.eval_rows}; about {self.avg_words:.0f} words per text",
        ]
        if self.label_counts:
            dist = ", ".join(f"{k} {v}" for k, v in sorted(self.label_counts.items(), key=lambda kv: -kv[1]))
            lines.append(f"{len(self.label_counts)} labels: {dist}")
        lines += [f"- ⚠️ {w}" for w in self.warnings]
        lines += [f"- ❌ {e}" for e in self.errors]
        return "\n".join(lines)


@dataclass
class ClassificationData:
    """A text-classification dataset split into train and held-out parts."""

    train_texts: list[str]
    train_labels: list[str]
    eval_texts: list[str]
    eval_labels: list[str]
    labels: list[str]
    report: ValidationReport


def read_table(path: str | Path) -> Any:
    """Read a tabular file into a pandas DataFrame of strings.

    Args:
        path: A .csv, .tsv, .json, .jsonl or .parquet file.

    Returns:
        The DataFrame (all values as strings; missing cells as empty strings).

    Raises:
        DataError: When the file is empty, binary, of an unknown type or cannot be parsed.
    """
    import pandas as pd

    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise DataError(
            f"{path.name}: unsupported file type '{path.suffix}'. Use CSV, TSV, JSON, JSON lines or Parquet."
        )
    if not path.is_file():
        raise DataError(f"{path.name}: file not found.")
    if path.stat().st_size == 0:
        raise DataError(f"{path.name} is empty. Upload a file with a header row and at least a few rows.")
    if kind != "parquet":
        head = path.read_bytes()[:4096]
        if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise DataError(f"{path.name} looks like a binary file, not {kind.upper()} text. Export it as CSV.")
    try:
        if kind == "parquet":
            df = pd.read_parquet(path)
        elif kind in ("csv", "tsv"):
            df = _read_delimited(path, "," if kind == "csv" else "\t")
        elif kind == "jsonl":
            df = pd.read_json(path, lines=True, dtype=False)
        else:
            df = _read_json(path)
    except DataError:
        raise
    except Exception as exc:  # pandas raises many types; the user needs the gist, not the trace
        raise DataError(f"{path.name} could not be parsed as {kind.upper()}: {str(exc).splitlines()[0]}") from None
    df.columns = [str(c).strip() for c in df.columns]
    for column in df.columns:
        if df[column].dtype.kind == "f":  # integers become floats when a cell is missing: 1.0 -> "1"
            df[column] = df[column].map(lambda v: "" if v != v else str(int(v)) if float(v).is_integer() else str(v))
    return df.fillna("").astype(str)


def _read_delimited(path: Path, sep: str) -> Any:
    import pandas as pd

    raw = path.read_bytes()
    encodings = ("utf-16",) if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else ("utf-8-sig", "cp1252", "latin-1")
    for encoding in encodings:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding not in ("utf-8-sig", "utf-16"):
            log.warning("%s is not UTF-8; decoded as %s", path.name, encoding)
        break
    import io

    return pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)


def _read_json(path: Path) -> Any:
    import json

    import pandas as pd

    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError:
        # Many ".json" files in the wild are JSON lines.
        return pd.read_json(path, lines=True, dtype=False)
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if not lists:
            raise DataError(f"{path.name}: expected a list of records (or an object holding one).")
        data = lists[0]
    if not isinstance(data, list):
        raise DataError(f"{path.name}: expected a list of records.")
    return pd.DataFrame.from_records(data)


def _pick(columns: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {c.lower(): c for c in columns}
    for name in names:
        if name in lowered:
            return lowered[name]
    return None


def _require_column(columns: list[str], wanted: str, role: str, errors: list[str]) -> str | None:
    if wanted in columns:
        return wanted
    close = difflib.get_close_matches(wanted, columns, n=1, cutoff=0.5)
    hint = f" Did you mean '{close[0]}'?" if close else f" Columns are: {', '.join(columns)}."
    errors.append(f"The {role} column '{wanted}' is not in the file.{hint}")
    return None


def infer_columns(df: Any, text_column: str | None = None, label_column: str | None = None,
                  split_column: str | None = None) -> tuple[str | None, str | None, str | None, list[str]]:
    """Work out which columns hold text, label and split.

    Returns:
        ``(text, label, split, errors)``; a role that cannot be found is None with an error naming
        the columns that exist.
    """
    columns = list(df.columns)
    errors: list[str] = []
    text = _require_column(columns, text_column, "text", errors) if text_column else _pick(columns, TEXT_NAMES)
    label = _require_column(columns, label_column, "label", errors) if label_column else _pick(columns, LABEL_NAMES)
    split = _require_column(columns, split_column, "split", errors) if split_column else _pick(columns, SPLIT_NAMES)
    if text is None and not text_column:
        others = [c for c in columns if c not in (label, split)]
        if others:  # the column with the longest values is the text
            text = max(others, key=lambda c: df[c].str.len().mean())
    if text is None and not errors:
        errors.append(f"No text column found among {', '.join(columns)}. Name it 'text' or pass --text-column.")
    if label is None and not errors:
        errors.append(
            f"No label column found among {', '.join(columns)}. Name it 'label' or pass --label-column."
        )
    return text, label, split, errors


def _rows(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:MAX_REPORTED])
    return shown + (f" and {len(numbers) - MAX_REPORTED} more" if len(numbers) > MAX_REPORTED else "")


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
    report = inspect_classification(path, text_column=text_column, label_column=label_column,
                                    split_column=split_column)
    if not report.ok:
        raise DataError(f"{Path(path).name} cannot be used yet:\n" + "\n".join(f"- {e}" for e in report.errors))
    df = read_table(path)
    texts = [t.strip() for t in df[report.text_column]]
    labels = [v.strip() for v in df[report.label_column]]
    if report.split_column:
        split_values = [s.strip().lower() for s in df[report.split_column]]
        train_idx = [i for i, s in enumerate(split_values) if s in TRAIN_VALUES]
        eval_idx = [i for i, s in enumerate(split_values) if s in EVAL_VALUES]
    else:
        train_idx, eval_idx = _stratified_split(labels, eval_fraction, seed)
    train_texts = {normalize_text(texts[i]) for i in train_idx}
    leaked = [i for i in eval_idx if normalize_text(texts[i]) in train_texts]
    if leaked:
        report.warnings.append(
            f"{len(leaked)} held-out rows also appear in train (rows {_rows([i + 1 for i in leaked])}); "
            "they were dropped from the held-out set so the score is honest."
        )
        eval_idx = [i for i in eval_idx if i not in set(leaked)]
    report.train_rows, report.eval_rows = len(train_idx), len(eval_idx)
    return ClassificationData(
        train_texts=[texts[i] for i in train_idx],
        train_labels=[labels[i] for i in train_idx],
        eval_texts=[texts[i] for i in eval_idx],
        eval_labels=[labels[i] for i in eval_idx],
        labels=sorted(set(labels[i] for i in train_idx)),
        report=report,
    )


def normalize_text(text: str) -> str:
    """Case- and whitespace-insensitive key for duplicate and leakage checks."""
    return " ".join(text.lower().split())


def _stratified_split(labels: list[str], fraction: float, seed: int) -> tuple[list[int], list[int]]:
    import random

    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for i, lab in enumerate(labels):
        by_label.setdefault(lab, []).append(i)
    train, held = [], []
    for lab in sorted(by_label):
        idx = by_label[lab][:]
        rng.shuffle(idx)
        n_eval = int(round(len(idx) * fraction)) if len(idx) >= 5 else 0
        held += idx[:n_eval]
        train += idx[n_eval:]
    return sorted(train), sorted(held)


def inspect_classification(path: str | Path, *, text_column: str | None = None, label_column: str | None = None,
                           split_column: str | None = None, eval_fraction: float = 0.2) -> ValidationReport:
    """Validate a text-classification file without raising on data problems.

    Returns:
        A report whose ``errors`` block training and whose ``warnings`` do not.

    Raises:
        DataError: Only when the file cannot be read at all.
    """
    df = read_table(path)
    report = ValidationReport(rows=len(df), columns=list(df.columns))
    if len(df) == 0:
        report.errors.append("The file has a header but no rows. Add labelled examples, one per row.")
        return report
    text, label, split, errors = infer_columns(df, text_column, label_column, split_column)
    report.text_column, report.label_column, report.split_column = text, label, split
    report.errors += errors
    if errors or text is None or label is None:
        return report
    texts = [t.strip() for t in df[text]]
    labels = [v.strip() for v in df[label]]
    empty_text = [i + 1 for i, t in enumerate(texts) if not t]
    empty_label = [i + 1 for i, v in enumerate(labels) if not v]
    if empty_text:
        report.errors.append(f"Empty text in rows {_rows(empty_text)}. Fill them in or delete those rows.")
    if empty_label:
        report.errors.append(f"Missing label in rows {_rows(empty_label)}. Label them or delete those rows.")
    report.label_counts = dict(Counter(v for v in labels if v))
    if len(report.label_counts) < 2:
        report.errors.append("Only one label is present; a classifier needs at least two classes.")
    rare = sorted(k for k, v in report.label_counts.items() if v < 5)
    if rare:
        report.warnings.append(f"Labels with fewer than 5 examples learn poorly: {', '.join(rare)}.")
    seen: dict[str, int] = {}
    dupes = []
    for i, t in enumerate(texts):
        key = normalize_text(t)
        if key and key in seen:
            dupes.append(i + 1)
        seen.setdefault(key, i + 1)
    if dupes:
        report.warnings.append(f"{len(dupes)} duplicate texts (rows {_rows(dupes)}).")
    if split:
        values = [s.strip().lower() for s in df[split]]
        bad = [i + 1 for i, s in enumerate(values) if s not in TRAIN_VALUES | EVAL_VALUES]
        if bad:
            report.errors.append(f"Split value is not train/test in rows {_rows(bad)}. Use 'train' or 'test'.")
        report.train_rows = sum(s in TRAIN_VALUES for s in values)
        report.eval_rows = sum(s in EVAL_VALUES for s in values)
        if report.eval_rows == 0:
            report.errors.append(f"The split column '{split}' has no test rows; mark some rows 'test'.")
        train_labels = {labels[i] for i, s in enumerate(values) if s in TRAIN_VALUES}
        unseen = sorted({labels[i] for i, s in enumerate(values) if s in EVAL_VALUES} - train_labels)
        if unseen:
            report.errors.append(f"Labels only in the test rows, never in train: {', '.join(unseen)}.")
    else:
        report.eval_rows = sum(int(round(v * eval_fraction)) if v >= 5 else 0 for v in report.label_counts.values())
        report.train_rows = report.rows - report.eval_rows
    report.avg_words = sum(len(t.split()) for t in texts) / max(1, len(texts))
    return report
