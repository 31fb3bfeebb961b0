"""Checks on the synthetic example dataset ``examples/support_tickets.csv`` and its generator."""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
CSV_PATH = ROOT / "examples" / "support_tickets.csv"
GENERATOR_PATH = ROOT / "examples" / "make_support_tickets.py"
LABELS = {
    "billing",
    "refund",
    "delivery",
    "account_access",
    "cancellation",
    "technical_issue",
    "product_question",
    "order_change",
    "feedback",
    "privacy",
}


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


@pytest.fixture(scope="module")
def generator() -> Iterator[ModuleType]:
    """The generator script, imported from its file (``examples`` is not a package)."""
    spec = importlib.util.spec_from_file_location("make_support_tickets", GENERATOR_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    """The committed CSV, parsed."""
    with CSV_PATH.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_header_is_exactly_text_label_split() -> None:
    raw = CSV_PATH.read_bytes()
    text = raw.decode("utf-8")  # raises if the file is not UTF-8
    assert not text.startswith("\ufeff"), "no byte-order mark"
    header = next(csv.reader(text.splitlines()))
    assert header == ["text", "label", "split"]


def test_every_row_has_three_non_empty_fields() -> None:
    with CSV_PATH.open(encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))[1:]
    assert records
    for record in records:
        assert len(record) == 3, record
        assert all(field.strip() for field in record), record


def test_row_count(rows: list[dict[str, str]]) -> None:
    assert len(rows) >= 720


def test_label_set_and_balance(rows: list[dict[str, str]]) -> None:
    counts = Counter(r["label"] for r in rows)
    assert set(counts) == LABELS
    mean = len(rows) / len(LABELS)
    for label, count in counts.items():
        assert abs(count - mean) <= 0.15 * mean, (label, count, mean)


def test_labels_are_snake_case(rows: list[dict[str, str]]) -> None:
    for label in {r["label"] for r in rows}:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", label), label


def test_split_proportions_and_per_label_test_counts(rows: list[dict[str, str]]) -> None:
    assert {r["split"] for r in rows} == {"train", "test"}
    test_share = sum(r["split"] == "test" for r in rows) / len(rows)
    assert 0.17 <= test_share <= 0.23, test_share
    per_label = Counter((r["label"], r["split"]) for r in rows)
    for label in LABELS:
        n_test, n_train = per_label[(label, "test")], per_label[(label, "train")]
        assert n_test >= 12, (label, n_test)
        assert 0.15 <= n_test / (n_test + n_train) <= 0.25, (label, n_test, n_train)


def test_no_duplicate_texts_after_normalising(rows: list[dict[str, str]]) -> None:
    keys = Counter(_normalise(r["text"]) for r in rows)
    duplicates = [k for k, n in keys.items() if n > 1]
    assert not duplicates, duplicates[:5]


def test_message_lengths_vary(rows: list[dict[str, str]]) -> None:
    words = [len(r["text"].split()) for r in rows]
    assert min(words) >= 4
    assert max(words) <= 70
    assert sum(w <= 8 for w in words) / len(words) >= 0.05, "some terse messages"
    assert sum(w >= 40 for w in words) / len(words) >= 0.05, "some long, multi-sentence messages"


def test_messages_carry_concrete_details_and_informal_styles(rows: list[dict[str, str]]) -> None:
    texts = [r["text"] for r in rows]
    n = len(texts)
    order_numbers = sum(bool(re.search(r"#?\b[A-Za-z]{1,2}-?\d{5,6}\b|#\d{6}\b", t)) for t in texts)
    amounts = sum(bool(re.search(r"[€$£]\d|\d €", t)) for t in texts)
    lower_case = sum(t == t.lower() and any(c.isalpha() for c in t) for t in texts)
    greetings = sum(
        bool(re.match(r"(Hi|Hello|Dear|Good (morning|afternoon)|Hey|To whom)\b", t)) for t in texts
    )
    assert order_numbers / n >= 0.08
    assert amounts / n >= 0.04
    assert lower_case / n >= 0.15
    assert greetings / n >= 0.10


def test_few_texts_contain_their_own_label_name(rows: list[dict[str, str]]) -> None:
    hits = sum(r["label"].replace("_", " ") in r["text"].lower() for r in rows)
    assert hits / len(rows) < 0.35


def test_generator_rewrites_the_committed_file_byte_for_byte(generator: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "tickets.csv"
    assert generator.main([str(out)]) == 0
    assert out.read_bytes() == CSV_PATH.read_bytes()


def test_generator_output_matches_generate(generator: ModuleType, rows: list[dict[str, str]]) -> None:
    tickets = generator.generate()
    assert [(t.text, t.label, t.split) for t in tickets] == [
        (r["text"], r["label"], r["split"]) for r in rows
    ]


def test_generator_has_many_distinct_templates_per_intent(generator: ModuleType) -> None:
    assert set(generator.INTENTS) == LABELS
    for label, intent in generator.INTENTS.items():
        assert len(set(intent.core)) >= 25, label
        assert len(intent.core) == len(set(intent.core)), f"{label} has repeated templates"


def test_train_and_test_use_disjoint_templates(generator: ModuleType) -> None:
    tickets = generator.generate()
    train = {t.template_id for t in tickets if t.split == "train"}
    test = {t.template_id for t in tickets if t.split == "test"}
    assert train and test
    assert not train & test
    for label in LABELS:
        assert any(t.template_id.startswith(f"{label}/") for t in tickets if t.split == "test"), label


def test_a_different_seed_gives_different_rows(generator: ModuleType) -> None:
    a = [t.text for t in generator.generate(seed=1)]
    b = [t.text for t in generator.generate(seed=2)]
    assert a != b
