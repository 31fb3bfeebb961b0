"""Checks of a whole dataset file, gathered while its rows stream past.

:class:`FileStats` keeps what needs the whole file (label counts, splits, duplicates, leakage between
train and held-out rows, BIO consistency and the IOB1 scheme, token lengths) in compact form and turns it
into problems and warnings of the :class:`~finetune.data.report.DatasetReport` at the end.
``finetune.data.intake`` drives it next to the row checks (``row_checks.py``).
"""

from __future__ import annotations

import functools
import logging
from array import array
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from finetune.data.report import MAX_PER_KIND, DatasetReport, Problem
from finetune.data.row_checks import bio_tag

log = logging.getLogger(__name__)

MIN_ROWS = 4
"""Fewer rows than this cannot give both a training and a held-out part."""
FEW_ROWS = 50
"""Fewer rows than this load with a warning: a model learns little from them."""
MIN_PER_LABEL = 5


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


def _target_and_input(task: str, rec: Mapping[str, Any]) -> tuple[str, str] | None:
    """A generative record's target and the input it answers (None for other tasks or a lone message)."""
    if task == "summarization":
        return rec["summary"], rec["document"]
    if task == "translation":
        return rec["target"], rec["source"]
    if task == "chat" and len(rec["messages"]) >= 2:
        return rec["messages"][-1]["content"], rec["messages"][-2]["content"]
    return None


def _length_text(task: str, rec: Mapping[str, Any]) -> str:
    if task == "chat":
        return "\n".join(m["content"] for m in rec["messages"])
    return input_text(task, rec)


def _key(text: str) -> str:
    return " ".join(text.lower().split())


class FileStats:
    """Whole-file statistics gathered while rows stream past: labels, splits, duplicates, leakage, lengths."""

    def __init__(self, task: str, tokenizer: Any) -> None:
        self.task = task
        self.tokenizer = tokenizer
        self.labels: Counter[str] = Counter()
        self.splits: Counter[str] = Counter()
        # Per row only four machine integers, so a million-row file costs a few dozen MB, not gigabytes:
        # the hash of its input, its number, and codes of its split and label. Repeats are found at the end.
        self.hashes = array("q")
        self.row_numbers = array("q")
        self.split_codes = array("i")
        self.label_codes = array("i")
        self.codes: dict[str, int] = {}
        self.duplicates: list[tuple[int, int]] = []
        self.conflicting: list[tuple[int, int]] = []
        self.bad_split: list[tuple[int, str]] = []
        self.bad_split_count = 0
        self.bio_breaks: list[tuple[int, str]] = []
        self.starts = Counter[str]()  # entity starts by prefix: "B" or "I" (IOB1)
        self.numeric_tags = True
        self.labels_by_split: dict[str, set[str]] = defaultdict(set)
        self.leaked_rows: set[int] = set()
        self.pending: list[str] = []
        self.counts = array("i")
        self.approximate = False
        self.copies: list[int] = []
        """Rows whose generative target repeats its input."""

    def add(self, rec: dict[str, Any], row: int) -> None:
        """Take in one canonical record (row number ``row``) that passed conversion."""
        if self.task == "text-classification" and rec["label"]:
            self.labels[rec["label"]] += 1
            self.labels_by_split[rec.get("split") or "train"].add(rec["label"])
        elif self.task == "token-classification":
            self._bio(rec, row)
        split = rec.get("split", "") or "train"
        if "split" in rec:
            if split not in ("train", "validation", "test"):
                self.bad_split_count += 1
                if len(self.bad_split) < MAX_PER_KIND:
                    self.bad_split.append((row, split))
            self.splits[split] += 1
        self.hashes.append(hash(_key(input_text(self.task, rec))))
        self.row_numbers.append(row)
        self.split_codes.append(self.codes.setdefault(split, len(self.codes)))
        if self.task == "text-classification":
            self.label_codes.append(self.codes.setdefault(rec["label"], len(self.codes)))
        pair = _target_and_input(self.task, rec)
        if pair is not None and pair[0].strip() and _key(pair[0]) == _key(pair[1]):
            self.copies.append(row)
        self.pending.append(_length_text(self.task, rec))
        if len(self.pending) >= 1000:
            self._count()

    def _count(self) -> None:
        if self.tokenizer is None and not self.approximate:
            self.tokenizer = default_tokenizer()
            self.approximate = self.tokenizer is None
        if self.approximate:
            self.counts.extend(len(t.split()) for t in self.pending)
        else:
            ids = self.tokenizer(self.pending, add_special_tokens=True, truncation=False)["input_ids"]
            self.counts.extend(len(x) for x in ids)
        self.pending = []

    def _bio(self, rec: dict[str, Any], row: int) -> None:
        tags = rec["tags"]
        if len(tags) != len(rec["tokens"]) or any(t != "O" and not bio_tag(t) for t in tags):
            return  # already reported by the row check; a scheme error would only repeat it
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
        """Write the whole-file statistics, problems and warnings into ``report``."""
        if self.pending:
            self._count()
        report.labels = dict(self.labels.most_common())
        report.splits = dict(sorted(self.splits.items()))
        self._find_repeats()
        self._split_problems(report)
        self._label_problems(report)
        self._bio_problems(report)
        self._duplicates(report)
        self._copies(report)
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
            more = self.bad_split_count - len(self.bad_split)
            rows += f" and {more} more" if more > 0 else ""
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
        if self.leaked_rows:
            listed = ", ".join(map(str, sorted(self.leaked_rows)[:10]))
            report.warnings.append(Problem(min(self.leaked_rows), report.roles.get("split"),
                                           f"{len(self.leaked_rows)} held-out rows also appear in train (rows "
                                           f"{listed}); they are left out of the held-out set so scores stay "
                                           "honest.", "Remove them from the test rows, or from train."))

    def _copies(self, report: DatasetReport) -> None:
        if len(self.copies) * 2 <= len(self.row_numbers):
            return
        what = {"summarization": ("summary", "document"), "translation": ("target text", "source text"),
                "chat": ("assistant's reply", "user's message")}[self.task]
        listed = ", ".join(map(str, self.copies[:10])) + (" ..." if len(self.copies) > 10 else "")
        report.warnings.append(Problem(self.copies[0], None, f"In most rows ({len(self.copies)} of "
                                       f"{len(self.row_numbers)}: rows {listed}) the {what[0]} is the same text as the "
                                       f"{what[1]}: a model trained on them learns to copy its input.",
                                       "Check the column mapping (--column), or fill in the real targets."))

    def _find_repeats(self) -> None:
        """Rows whose input repeats an earlier row's, conflicting labels among them, and held-out copies of train rows."""
        import numpy as np

        if len(self.hashes) < 2:
            return
        hashes = np.frombuffer(self.hashes, dtype=np.int64)
        ordered = np.sort(hashes)  # in place on one copy: the cheap test for "no repeats at all"
        if not (ordered[1:] == ordered[:-1]).any():
            return
        order = np.argsort(hashes, kind="stable")  # stable: within a group, rows stay in file order
        ordered = hashes[order]
        starts = np.ones(len(order), dtype=bool)
        starts[1:] = ordered[1:] != ordered[:-1]
        group = np.cumsum(starts) - 1
        first = order[np.flatnonzero(starts)[group]]  # per sorted position: the group's first row index
        repeat_at = order[~starts]
        first_of = first[~starts]
        by_row = np.argsort(repeat_at, kind="stable")
        repeat_at, first_of = repeat_at[by_row], first_of[by_row]
        rows = np.frombuffer(self.row_numbers, dtype=np.int64)
        self.duplicates = list(zip(rows[repeat_at].tolist(), rows[first_of].tolist(), strict=True))
        if self.task == "text-classification":
            labels = np.frombuffer(self.label_codes, dtype=np.int32)
            differ = labels[repeat_at] != labels[first_of]
            self.conflicting = list(zip(rows[repeat_at][differ].tolist(), rows[first_of][differ].tolist(),
                                        strict=True))
        held = [self.codes[s] for s in ("test", "validation") if s in self.codes]
        if "train" in self.codes and held:
            splits = np.frombuffer(self.split_codes, dtype=np.int32)[order]
            is_train = splits == self.codes["train"]
            groups = int(group[-1]) + 1
            has_train = np.bincount(group, weights=is_train, minlength=groups) > 0
            has_held = np.bincount(group, weights=np.isin(splits, held), minlength=groups) > 0
            leaked = ~is_train & has_train[group] & has_held[group]
            self.leaked_rows = set(rows[order[leaked]].tolist())

    def _lengths(self, report: DatasetReport) -> None:
        import numpy as np

        if not self.counts:
            return
        counts = np.frombuffer(self.counts, dtype=np.int32)
        ordered = np.sort(counts)
        report.lengths = {"mean": round(float(counts.mean()), 1),
                          "p95": float(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]),
                          "max": float(ordered[-1])}
        if self.approximate:
            report.lengths["approximate"] = 1.0
        limit = report.max_length or 0
        report.truncated = int((counts > limit).sum())
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


@functools.lru_cache(maxsize=1)
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
