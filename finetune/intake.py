"""Dataset intake for all six tasks: read, detect, convert, validate, and report every problem at once.

    report = inspect_data("ner.conll")            # never raises on bad data; report.problems says why
    data = load_data("ner.conll")                 # the canonical records, or DataError listing problems

A problem blocks training (empty file, missing column, broken line, tokens/tags of different length,
invalid BIO, an answer that is not where ``answer_start`` says, too few examples, ...); a warning does
not (duplicates, leakage between train and test rows — those rows leave the test side —, rare labels,
rows longer than the model's limit, a non-UTF-8 file read as cp1252). Each names its row and the fix.
Rows are numbered as the user sees them: data rows from 1 after a CSV header, file lines for JSON lines
and CoNLL (the line a sentence starts on), records for a JSON list or a Parquet / datasets table.
"""

from __future__ import annotations

import logging
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finetune.errors import DataError
from finetune.layouts import canonical_record, detect_layout
from finetune.readers import Problem, RawData, open_data

log = logging.getLogger(__name__)

SAMPLE_ROWS = 50
MAX_PER_KIND = 20
"""Problems of one kind listed row by row before the rest are summarised in one line."""
MIN_ROWS = 4
"""Fewer rows than this cannot give both a training and a held-out part."""
FEW_ROWS = 50
"""Fewer rows than this load with a warning: a model learns little from them."""
MIN_PER_LABEL = 5
DEFAULT_MAX_LENGTH = {"text-classification": 128, "token-classification": 128, "question-answering": 384,
                      "summarization": 512, "translation": 128, "chat": 1024}
CHAT_ROLES = ("system", "user", "assistant", "tool")


@dataclass
class DatasetReport:
    """What intake found: format, task, column roles, statistics, problems and warnings."""

    path: str
    format: str | None = None
    task: str | None = None
    rows: int = 0
    columns: list[str] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)
    """Label counts (classification) or entity-type counts (NER)."""
    splits: dict[str, int] = field(default_factory=dict)
    lengths: dict[str, float] = field(default_factory=dict)
    """Tokens per example: mean, p95, max (``approximate`` = 1 when counted in words, not tokens)."""
    max_length: int | None = None
    truncated: int = 0
    encoding: str | None = None
    languages: list[str] = field(default_factory=list)
    chat_style: str | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing blocks training."""
        return not self.problems and self.task is not None

    @property
    def errors(self) -> list[str]:
        """The problems as sentences."""
        return [str(p) for p in self.problems]

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``tunewise data check --json``."""
        return {"ok": self.ok, "task": self.task, "format": self.format, "rows": self.rows, "columns": self.columns,
                "roles": self.roles, "labels": self.labels, "splits": self.splits, "lengths": self.lengths,
                "max_length": self.max_length, "truncated": self.truncated, "encoding": self.encoding,
                "languages": self.languages, "problems": [p.to_dict() for p in self.problems],
                "warnings": [w.to_dict() for w in self.warnings]}

    def to_markdown(self) -> str:
        """Render the report for a chat message or the Data tab."""
        head = f"**{self.rows} rows** of **{self.task or 'unknown task'}** data ({self.format or '?'} file)"
        lines = [head, "columns: " + ", ".join(f"`{c}`" for c in self.columns)]
        if self.roles:
            lines.append("roles: " + ", ".join(f"{r} = `{c}`" for r, c in self.roles.items()))
        if self.splits:
            lines.append("splits: " + ", ".join(f"{k} {v}" for k, v in self.splits.items()))
        if self.labels:
            top = sorted(self.labels.items(), key=lambda kv: -kv[1])
            shown = ", ".join(f"{k} {v}" for k, v in top[:12]) + (f", … ({len(top)} in all)" if len(top) > 12 else "")
            lines.append(f"{'entity types' if self.task == 'token-classification' else 'labels'}: {shown}")
        if self.lengths:
            unit = "words" if self.lengths.get("approximate") else "tokens"
            lines.append(f"length in {unit}: mean {self.lengths['mean']:.0f}, 95th percentile "
                         f"{self.lengths['p95']:.0f}, max {self.lengths['max']:.0f}; {self.truncated} rows longer than "
                         f"{self.max_length} would be truncated")
        lines += [f"- Warning: {w}" for w in self.warnings]
        lines += [f"- Problem: {p}" for p in self.problems]
        if self.ok:
            lines.append("Usable for training.")
        return "\n".join(lines)


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
                 max_length: int | None = None, tokenizer: Any = None) -> DatasetReport:
    """Validate a dataset file or folder without raising on data problems.

    Args:
        path: The file or ``save_to_disk`` folder (confined to the workspace by the caller).
        task: Force a task instead of inferring it.
        columns: Role -> column overrides.
        max_length: Token limit to count truncated rows against (default per task).
        tokenizer: Tokenizer to count lengths with (default: the packaged MiniLM's, else words).

    Returns:
        The report; ``report.ok`` says whether it can be trained on.

    Raises:
        DataError: Only when the file cannot be read at all (missing, empty, binary, too big).
    """
    return _intake(path, task=task, columns=columns, max_length=max_length, tokenizer=tokenizer, keep=False)[0]


def load_data(path: str | Path, *, task: str | None = None, columns: Mapping[str, str] | None = None,
              max_length: int | None = None, tokenizer: Any = None) -> LoadedData:
    """Load, convert and validate a dataset; raise if anything blocks training.

    Args:
        path: The file or folder.
        task: Force a task instead of inferring it.
        columns: Role -> column overrides.
        max_length: Token limit for the truncation warning.
        tokenizer: Tokenizer for length statistics.

    Returns:
        The canonical records (leaked test rows already moved out of the test side) and the report.

    Raises:
        DataError: Listing every problem with its row and fix.
    """
    report, loaded = _intake(path, task=task, columns=columns, max_length=max_length, tokenizer=tokenizer, keep=True)
    if not report.ok or loaded is None:
        listed = "\n".join(f"- {p}" for p in report.problems) or "- no task could be detected"
        raise DataError(f"{Path(path).name} cannot be used yet:\n{listed}")
    return loaded


def _intake(path: str | Path, *, task: str | None, columns: Mapping[str, str] | None, max_length: int | None,
            tokenizer: Any, keep: bool) -> tuple[DatasetReport, LoadedData | None]:
    raw, stream = open_data(path)
    report = DatasetReport(path=str(path), format=raw.format)
    sample: list[tuple[int, dict[str, Any]]] = []
    for item in stream:
        sample.append(item)
        if len(sample) >= SAMPLE_ROWS:
            break
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
    records: list[dict[str, Any]] = []
    rows: list[int] = []
    check = ROW_CHECKS[layout.task]
    report.max_length = max_length or DEFAULT_MAX_LENGTH[layout.task]
    stats = _Stats(layout.task, tokenizer)

    def all_items() -> Iterable[tuple[int, dict[str, Any]]]:
        yield from sample
        yield from stream

    for row, record in all_items():
        report.rows += 1
        canon, problems = canonical_record(layout, record, row, label_names=label_names)
        collector.extend(problems, "convert")
        if canon is None:
            continue
        for kind, problem in check(canon, row, layout.roles):
            collector.add(kind, problem)
        stats.add(canon, row)
        if keep:
            records.append(canon)
            rows.append(row)
    _finish_raw(report, raw)
    report.problems += collector.result()
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
        from finetune.prepare import ner_tag_names

        names = ner_tag_names(records)
    return report, LoadedData(task=layout.task, records=records, rows=rows, report=report, label_names=names,
                              source_lang=layout.source_lang, target_lang=layout.target_lang)


def _finish_raw(report: DatasetReport, raw: RawData) -> None:
    report.format, report.encoding = raw.format, raw.encoding
    report.problems = raw.problems + report.problems
    report.warnings = raw.warnings + report.warnings


# ------------------------------------------------------------------------------------------- row checks

RowCheck = Callable[[dict[str, Any], int, Mapping[str, str]], list[tuple[str, Problem]]]


def _empty(value: str, row: int, field_name: str | None, what: str) -> list[tuple[str, Problem]]:
    if value.strip():
        return []
    return [(f"empty-{what}", Problem(row, field_name, f"The {what} is empty.", f"Fill in the {what} or delete the "
                                      "row."))]


def _check_classification(rec: dict[str, Any], row: int, roles: Mapping[str, str]) -> list[tuple[str, Problem]]:
    out = _empty(rec["text"], row, roles.get("text"), "text") + _empty(rec["label"], row, roles.get("label"), "label")
    if "text_pair" in rec:
        out += _empty(rec["text_pair"], row, roles.get("text_pair"), "second text")
    return out


def _check_ner(rec: dict[str, Any], row: int, roles: Mapping[str, str]) -> list[tuple[str, Problem]]:
    tokens, tags = rec["tokens"], rec["tags"]
    if not tokens:
        return [("empty-tokens", Problem(row, roles.get("tokens"), "The sentence has no tokens.",
                                         "Delete the row or add its tokens."))]
    if len(tokens) != len(tags):
        return [("length", Problem(row, roles.get("tags"), f"{len(tokens)} tokens but {len(tags)} tags.",
                                   "Give exactly one tag per token (O for tokens outside any entity)."))]
    out = []
    empty = [i + 1 for i, t in enumerate(tokens) if not t.strip()]
    if empty:
        out.append(("empty-token", Problem(row, roles.get("tokens"), f"Token {empty[0]} is empty.",
                                           "Remove empty tokens together with their tags.")))
    for i, tag in enumerate(tags):
        if tag != "O" and not _bio_tag(tag):
            out.append(("scheme", Problem(row, roles.get("tags"), f"Tag '{tag}' at token {i + 1} is not BIO "
                                          "(B-TYPE, I-TYPE or O).", "Use B-/I- prefixes, e.g. B-PER, I-PER, and O.")))
            return out
    return out


def _bio_tag(tag: str) -> bool:
    return len(tag) > 2 and tag[:2] in ("B-", "I-") or tag.isdigit()


def _check_qa(rec: dict[str, Any], row: int, roles: Mapping[str, str]) -> list[tuple[str, Problem]]:
    out = _empty(rec["question"], row, roles.get("question"), "question")
    out += _empty(rec["context"], row, roles.get("context"), "context")
    context = rec["context"]
    field_name = roles.get("answers")
    for text, start in zip(rec["answers"]["text"], rec["answers"]["answer_start"], strict=True):
        if not text.strip():
            out.append(("empty-answer", Problem(row, field_name, "An answer text is empty.",
                                                "Give the answer span, or an empty answers list for a question "
                                                "that cannot be answered.")))
            continue
        if start is not None and context[start:start + len(text)] == text:
            continue
        found = context.find(text)
        if found < 0:
            out.append(("answer-missing", Problem(row, field_name, f"The answer '{_short(text)}' does not occur in "
                                                  "the context.", "Copy the answer exactly from the context (same "
                                                  "spelling and case), or mark the question unanswerable.")))
        elif start is None:
            rec["answers"]["answer_start"][rec["answers"]["text"].index(text)] = found
        else:
            out.append(("answer-start", Problem(row, roles.get("answer_start") or field_name,
                                                f"answer_start {start} does not point at the answer "
                                                f"'{_short(text)}' (the context there reads "
                                                f"'{_short(context[start:start + len(text)])}').",
                                                f"Set answer_start to {found}, where the answer occurs.")))
    return out


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _check_summarization(rec: dict[str, Any], row: int, roles: Mapping[str, str]) -> list[tuple[str, Problem]]:
    return _empty(rec["document"], row, roles.get("document"), "document") + \
        _empty(rec["summary"], row, roles.get("summary"), "summary")


def _check_translation(rec: dict[str, Any], row: int, roles: Mapping[str, str]) -> list[tuple[str, Problem]]:
    where = roles.get("translation")
    return _empty(rec["source"], row, roles.get("source", where), "source text") + \
        _empty(rec["target"], row, roles.get("target", where), "target text")


def _check_chat(rec: dict[str, Any], row: int, roles: Mapping[str, str]) -> list[tuple[str, Problem]]:
    where = roles.get("messages") or roles.get("instruction")
    messages = rec["messages"]
    out: list[tuple[str, Problem]] = []
    if not messages:
        return [("empty-chat", Problem(row, where, "The conversation has no messages.", "Delete the row."))]
    for i, message in enumerate(messages, start=1):
        if message["role"] not in CHAT_ROLES:
            out.append(("role", Problem(row, where, f"Message {i} has role '{message['role']}'.",
                                        "Use system, user or assistant.")))
        elif not message["content"].strip():
            out.append(("empty-message", Problem(row, where, f"Message {i} ({message['role']}) is empty.",
                                                 "Write its content or drop the message.")))
    if not any(m["role"] == "assistant" for m in messages):
        out.append(("no-assistant", Problem(row, where, "The conversation has no assistant reply to learn from.",
                                            "End it with the assistant's answer.")))
    elif messages[-1]["role"] != "assistant":
        out.append(("last-turn", Problem(row, where, f"The conversation ends with a {messages[-1]['role']} message, "
                                         "which nothing answers.", "End it with the assistant's reply.")))
    return out


ROW_CHECKS: dict[str, RowCheck] = {
    "text-classification": _check_classification, "token-classification": _check_ner, "question-answering": _check_qa,
    "summarization": _check_summarization, "translation": _check_translation, "chat": _check_chat,
}


# ------------------------------------------------------------------------------------------ whole-file checks

def input_text(task: str, rec: Mapping[str, Any]) -> str:
    """The model input of a canonical record: what duplicates and leakage are judged on."""
    if task == "text-classification":
        return rec["text"] + ("\n" + rec["text_pair"] if rec.get("text_pair") else "")
    if task == "token-classification":
        return " ".join(rec["tokens"])
    if task == "question-answering":
        return rec["question"] + "\n" + rec["context"]
    if task == "summarization":
        return rec["document"]
    if task == "translation":
        return rec["source"]
    return "\n".join(f"{m['role']}: {m['content']}" for m in rec["messages"])


def _length_text(task: str, rec: Mapping[str, Any]) -> str:
    if task == "chat":
        return "\n".join(m["content"] for m in rec["messages"])
    return input_text(task, rec)


def _key(text: str) -> str:
    return " ".join(text.lower().split())


class _Stats:
    """Whole-file statistics gathered while rows stream past: labels, splits, duplicates, leakage, lengths."""

    def __init__(self, task: str, tokenizer: Any) -> None:
        self.task = task
        self.tokenizer = tokenizer
        self.labels: Counter[str] = Counter()
        self.splits: Counter[str] = Counter()
        self.first_seen: dict[int, tuple[int, str, str]] = {}  # input hash -> (row, split, label)
        self.repeats: dict[int, list[tuple[int, str]]] = {}  # only inputs seen more than once
        self.duplicates: list[tuple[int, int]] = []
        self.conflicting: list[tuple[int, int]] = []
        self.bad_split: list[tuple[int, str]] = []
        self.bio_breaks: list[tuple[int, str]] = []
        self.starts = Counter[str]()  # entity starts by prefix: "B" or "I" (IOB1)
        self.numeric_tags = True
        self.labels_by_split: dict[str, set[str]] = defaultdict(set)
        self.leaked_rows: set[int] = set()
        self.pending: list[str] = []
        self.counts: list[int] = []
        self.approximate = False

    def add(self, rec: dict[str, Any], row: int) -> None:
        if self.task == "text-classification" and rec["label"]:
            self.labels[rec["label"]] += 1
            self.labels_by_split[rec.get("split") or "train"].add(rec["label"])
        elif self.task == "token-classification":
            self._bio(rec, row)
        split = rec.get("split", "") or "train"
        if "split" in rec:
            if split not in ("train", "validation", "test"):
                self.bad_split.append((row, split))
            self.splits[split] += 1
        key = hash(_key(input_text(self.task, rec)))
        label = rec.get("label", "")
        if key in self.first_seen:
            first_row, first_split, first_label = self.first_seen[key]
            self.duplicates.append((row, first_row))
            if self.task == "text-classification" and first_label != label:
                self.conflicting.append((row, first_row))
            self.repeats.setdefault(key, [(first_row, first_split)]).append((row, split))
        else:
            self.first_seen[key] = (row, split, label)
        self.pending.append(_length_text(self.task, rec))
        if len(self.pending) >= 1000:
            self._count()

    def _count(self) -> None:
        if self.tokenizer is None and not self.approximate:
            self.tokenizer = default_tokenizer()
            self.approximate = self.tokenizer is None
        if self.approximate:
            self.counts += [len(t.split()) for t in self.pending]
        else:
            ids = self.tokenizer(self.pending, add_special_tokens=True, truncation=False)["input_ids"]
            self.counts += [len(x) for x in ids]
        self.pending = []

    def _bio(self, rec: dict[str, Any], row: int) -> None:
        tags = rec["tags"]
        if len(tags) != len(rec["tokens"]):
            return
        previous = "O"
        broken = False
        for i, tag in enumerate(tags):
            if not tag.isdigit():
                self.numeric_tags = False
            if tag.startswith("B-"):
                self.starts["B"] += 1
                self.labels[tag[2:]] += 1
            elif tag.startswith("I-") and previous[2:] != tag[2:]:
                self.starts["I"] += 1
                self.labels[tag[2:]] += 1
                if not broken:
                    self.bio_breaks.append((row, f"'{tag}' at token {i + 1} follows '{previous}'"))
                    broken = True
            previous = tag

    @property
    def iob1(self) -> bool:
        """IOB1 (original CoNLL-2003): entities open with I-, B- only splits two touching entities."""
        return self.starts["I"] > self.starts["B"]

    def finish(self, report: DatasetReport) -> None:
        if self.pending:
            self._count()
        report.labels = dict(self.labels.most_common())
        report.splits = dict(sorted(self.splits.items()))
        self._split_problems(report)
        self._label_problems(report)
        self._bio_problems(report)
        self._duplicates(report)
        if report.rows < MIN_ROWS:
            report.problems.append(Problem(None, None, f"Only {report.rows} rows: too few to train and evaluate on.",
                                           f"Add examples: at least {MIN_ROWS}, better a few hundred."))
        elif report.rows < FEW_ROWS:
            report.warnings.append(Problem(None, None, f"Only {report.rows} rows: enough to try the pipeline, too few "
                                           "for a model to learn much.", "Add examples; a few hundred is a good "
                                           "start."))
        self._lengths(report)

    def _split_problems(self, report: DatasetReport) -> None:
        if self.bad_split:
            rows = ", ".join(str(r) for r, _ in self.bad_split[:MAX_PER_KIND])
            report.problems.append(Problem(self.bad_split[0][0], report.roles.get("split"),
                                           f"Unknown split value '{self.bad_split[0][1]}' in rows {rows}.",
                                           "Use train, validation or test."))
        if self.splits and not (set(self.splits) & {"validation", "test"}):
            report.warnings.append(Problem(None, report.roles.get("split"), "The split column marks no rows as "
                                           "test or validation; a held-out part will be drawn at random.",
                                           "Mark some rows 'test' to fix the held-out set yourself."))

    def _label_problems(self, report: DatasetReport) -> None:
        if self.task == "token-classification" and self.numeric_tags and self.starts.total() == 0:
            report.warnings.append(Problem(None, report.roles.get("tags"), "The tags are numbers and no tag names "
                                           "were found, so entities cannot be checked or scored by type.",
                                           "Put a labels.txt beside the file (one tag name per line, in id order), "
                                           "or save the data with string tags."))
        if self.task != "text-classification":
            return
        if 0 < len(self.labels) < 2:
            report.problems.append(Problem(None, report.roles.get("label"), f"Only one label is present "
                                           f"('{next(iter(self.labels))}').", "A classifier needs at least two "
                                           "classes: add examples of the others."))
        rare = sorted(k for k, v in self.labels.items() if v < MIN_PER_LABEL)
        if rare and len(self.labels) >= 2:
            report.warnings.append(Problem(None, report.roles.get("label"), f"Labels with fewer than {MIN_PER_LABEL} "
                                           f"examples learn poorly and are not held out: {', '.join(rare[:15])}.",
                                           "Add examples of them, or merge them into a related label."))
        held_out = self.labels_by_split.get("test", set()) | self.labels_by_split.get("validation", set())
        unseen = sorted(held_out - self.labels_by_split.get("train", set()))
        if self.splits and unseen:
            report.problems.append(Problem(None, report.roles.get("label"), f"Labels only in the held-out rows, never "
                                           f"in train: {', '.join(unseen[:15])}.", "Mark some rows of each of them "
                                           "'train', or drop those labels."))
        if self.conflicting:
            rows = ", ".join(f"{r} (same text as row {f})" for r, f in self.conflicting[:10])
            report.warnings.append(Problem(self.conflicting[0][0], report.roles.get("label"),
                                           f"{len(self.conflicting)} rows repeat an earlier text with a different "
                                           f"label: rows {rows}.", "Decide on one label per text."))

    def _bio_problems(self, report: DatasetReport) -> None:
        if self.task != "token-classification" or not self.bio_breaks:
            return
        field_name = report.roles.get("tags")
        if self.iob1:
            report.warnings.append(Problem(None, field_name, f"{len(self.bio_breaks)} sentences open entities with "
                                           "I- (the IOB1 scheme of the original CoNLL-2003 files); they are read "
                                           "as IOB2 (B- first).", "Nothing to do."))
            return
        for row, what in self.bio_breaks[:MAX_PER_KIND]:
            report.problems.append(Problem(row, field_name, f"Invalid BIO sequence: {what}.",
                                           "An I- tag must continue an entity of the same type: change it to B-."))
        if len(self.bio_breaks) > MAX_PER_KIND:
            report.problems.append(Problem(None, field_name, f"... and {len(self.bio_breaks) - MAX_PER_KIND} more "
                                           "sentences with invalid BIO tags.", "Change those I- tags to B-."))

    def _duplicates(self, report: DatasetReport) -> None:
        if self.duplicates:
            rows = ", ".join(f"{r} (= row {f})" for r, f in self.duplicates[:10])
            more = f" and {len(self.duplicates) - 10} more" if len(self.duplicates) > 10 else ""
            report.warnings.append(Problem(self.duplicates[0][0], None, f"{len(self.duplicates)} rows repeat an "
                                           f"earlier row's input: rows {rows}{more}.",
                                           "Delete the repeats; they weigh those examples twice."))
        for rows in self.repeats.values():
            splits = {s for _, s in rows}
            if "train" in splits and splits & {"test", "validation"}:
                self.leaked_rows.update(r for r, s in rows if s != "train")
        if self.leaked_rows:
            listed = ", ".join(map(str, sorted(self.leaked_rows)[:10]))
            report.warnings.append(Problem(min(self.leaked_rows), report.roles.get("split"),
                                           f"{len(self.leaked_rows)} held-out rows also appear in train (rows "
                                           f"{listed}); they are left out of the held-out set so scores stay "
                                           "honest.", "Remove them from the test rows, or from train."))

    def _lengths(self, report: DatasetReport) -> None:
        counts = self.counts
        if not counts:
            return
        ordered = sorted(counts)
        report.lengths = {"mean": round(statistics.fmean(counts), 1),
                          "p95": float(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]),
                          "max": float(ordered[-1])}
        if self.approximate:
            report.lengths["approximate"] = 1.0
        limit = report.max_length or 0
        report.truncated = sum(c > limit for c in counts)
        if report.truncated:
            share = report.truncated / len(counts)
            report.warnings.append(Problem(None, None, f"{report.truncated} rows ({share:.0%}) are longer than "
                                           f"{limit} {'words' if self.approximate else 'tokens'} and would be cut.",
                                           "Raise max_length (costs memory), or shorten those rows."))


def to_iob2(tags: list[str]) -> list[str]:
    """IOB1 -> IOB2: an I- tag that opens an entity becomes B-."""
    out, previous = [], "O"
    for tag in tags:
        out.append("B-" + tag[2:] if tag.startswith("I-") and previous[2:] != tag[2:] else tag)
        previous = tag
    return out


def default_tokenizer() -> Any:
    """The packaged MiniLM's tokenizer (a real word-piece tokenizer that is always on disk), or None."""
    try:
        from transformers import AutoTokenizer

        from catalog import load_catalog
        from catalog.availability import resolve_model_path

        entry = next(m for m in load_catalog().models if m.packaged)
        tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(entry))
        tokenizer.model_max_length = 10**9  # counting, not truncating: silence the long-input warning
        return tokenizer
    except Exception:  # noqa: BLE001 - statistics fall back to words; the check must still run
        log.debug("no tokenizer for length statistics", exc_info=True)
        return None
