"""Reproducible train / validation / test splits of canonical records (``finetune.data.splits``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalog.errors import DataError
from finetune.data.splits import save_splits, split_records


def classification_records() -> list[dict[str, str]]:
    counts = {"billing": 20, "delivery": 12, "refund": 7, "rare": 3}
    return [{"text": f"{label} {i}", "label": label} for label, n in counts.items() for i in range(n)]


def test_split_is_deterministic_and_stratified_by_label() -> None:
    records = classification_records()
    splits = split_records(records, task="text-classification", seed=7)
    assert splits == split_records(records, task="text-classification", seed=7)
    assert splits != split_records(records, task="text-classification", seed=8)
    assert set(splits) == {"train", "validation"}
    assert sorted(splits["train"] + splits["validation"]) == list(range(len(records)))
    for label, n in {"billing": 20, "delivery": 12, "refund": 7}.items():
        held = sum(records[i]["label"] == label for i in splits["validation"])
        assert abs(held - n * 0.2) <= 1 and held == round(n * 0.2)
    assert not any(records[i]["label"] == "rare" for i in splits["validation"])  # < 5 rows: all train


def test_split_with_a_test_fraction_gives_three_disjoint_parts() -> None:
    records = [{"document": f"doc {i}", "summary": "s"} for i in range(50)]
    splits = split_records(records, task="summarization", eval_fraction=0.2, test_fraction=0.1)
    assert [len(splits[k]) for k in ("train", "validation", "test")] == [35, 10, 5]
    assert sorted(splits["train"] + splits["validation"] + splits["test"]) == list(range(50))


def test_split_honours_explicit_split_fields() -> None:
    marks = ["train", "dev", "eval", "valid", "test", "Validation", None, None, "", "training"]
    records = [{"text": f"t{i}", "label": "a", **({"split": m} if m is not None else {})} for i, m in
               enumerate(marks)]
    splits = split_records(records, task="text-classification", eval_fraction=0.5)
    # Rows name a validation set, so unmarked rows (6, 7, 8) never become validation rows.
    assert splits == {"train": [0, 6, 7, 8, 9], "validation": [1, 2, 3, 5], "test": [4]}


def test_unmarked_rows_fill_the_held_out_parts_nobody_named() -> None:
    records = [{"source": f"s{i}", "target": "t", "split": "test" if i < 3 else None} for i in range(23)]
    splits = split_records(records, task="translation", eval_fraction=0.2, test_fraction=0.3)
    assert splits["test"] == [0, 1, 2]  # explicit test rows; test_fraction does not add more
    assert len(splits["validation"]) == 4 and len(splits["train"]) == 16
    assert not set(splits["validation"]) & {0, 1, 2}


def test_split_rejects_unknown_split_values_and_bad_fractions() -> None:
    records = [{"text": "a", "label": "x", "split": "train"}, {"text": "b", "label": "x", "split": "holdout"}]
    with pytest.raises(DataError, match="rows 2"):
        split_records(records, task="text-classification")
    with pytest.raises(DataError, match="fractions"):
        split_records(records[:1], task="text-classification", eval_fraction=0.6, test_fraction=0.5)
    with pytest.raises(DataError, match="Unknown task"):
        split_records(records[:1], task="regression")


def test_ner_split_is_stratified_by_the_rarest_entity_type() -> None:
    per = [{"tokens": ["anna"], "tags": ["B-PER"]} for _ in range(10)]
    per_loc = [{"tokens": ["anna", "berlin"], "tags": ["B-PER", "B-LOC"]} for _ in range(10)]
    plain = [{"tokens": ["hello"], "tags": ["O"]} for _ in range(5)]
    rare = [{"tokens": ["x"], "tags": [f"B-T{k}"]} for k in range(3) for _ in range(3)]  # 3 strata of 3: pooled
    records = per + per_loc + plain + rare
    splits = split_records(records, task="token-classification", seed=1)
    held = set(splits["validation"])
    assert len(held & set(range(0, 10))) == 2  # PER only
    assert len(held & set(range(10, 20))) == 2  # LOC is the rarer type in these sentences
    assert len(held & set(range(20, 25))) == 1  # no entity
    assert len(held & set(range(25, 34))) == 2  # pooled rare types: round(9 * 0.2)
    assert splits == split_records(records, task="token-classification", seed=1)


def test_save_splits_writes_the_split_and_its_seed_atomically(tmp_path: Path) -> None:
    splits = split_records(classification_records(), task="text-classification", test_fraction=0.1)
    path = save_splits(tmp_path / "job" / "splits.json", splits, seed=42)
    payload = json.loads(path.read_text())
    assert payload["splits"] == splits
    assert payload["seed"] == 42 and payload["sizes"]["train"] == len(splits["train"])
    assert not list(path.parent.glob("*.tmp"))
