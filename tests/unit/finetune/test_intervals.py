"""Paired-bootstrap intervals on metric deltas: each resample's score equals the metric recomputed from
scratch on the resampled rows, and the verdict refuses to pick a winner when the interval spans zero."""

from __future__ import annotations

import numpy as np
import pytest

from finetune.tasks.intervals import paired_bootstrap, row_statistics, verdict
from finetune.tasks.metrics import (
    classification_metrics,
    entity_metrics,
    rouge_metrics,
    squad_metrics,
    translation_metrics,
)

LABELS = ["billing", "refund", "delivery", "account"]
RNG = np.random.default_rng(7)
GOLD = [LABELS[i] for i in RNG.integers(0, 4, 40)]
NOISY = [g if RNG.random() < 0.6 else LABELS[int(RNG.integers(0, 4))] for g in GOLD]
TAGS = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG", "O", "O"], ["B-LOC", "O", "O", "B-PER"],
        ["O", "O", "O", "O"], ["B-PER", "O", "B-ORG", "I-ORG"]]
TAG_PRED = [["B-PER", "I-PER", "O", "O"], ["O", "B-ORG", "O", "B-LOC"], ["B-LOC", "O", "O", "B-PER"],
            ["O", "B-PER", "O", "O"], ["B-PER", "O", "B-ORG", "O"]]
TEXT_GOLD = ["the server was restarted at noon", "refund issued to the customer", "the team met on monday",
             "shipping delayed by two days", "password reset link sent"]
TEXT_PRED = ["server restarted at noon", "the customer got a refund", "team meeting on monday",
             "shipping is late", "a link was sent"]

CASES = [
    ("accuracy", GOLD, NOISY, lambda r, p: classification_metrics(r, p)["accuracy"]),
    ("macro_f1", GOLD, NOISY, lambda r, p: classification_metrics(r, p)["macro_f1"]),
    ("entity_f1", TAGS, TAG_PRED, lambda r, p: entity_metrics(r, p)["entity_f1"]),
    ("f1", [[g] for g in TEXT_GOLD], TEXT_PRED, lambda r, p: squad_metrics(r, p)["f1"]),
    ("rougeL", TEXT_GOLD, TEXT_PRED, lambda r, p: rouge_metrics(r, p)["rougeL"]),
    ("chrf", TEXT_GOLD, TEXT_PRED, lambda r, p: translation_metrics(r, p)["chrf"]),
    ("bleu", TEXT_GOLD, TEXT_GOLD[:3] + TEXT_PRED[3:], lambda r, p: translation_metrics(r, p)["bleu"]),
]


@pytest.mark.parametrize(("metric", "refs", "preds", "direct"), CASES, ids=[c[0] for c in CASES])
def test_summed_statistics_reproduce_the_metric_on_any_resample(metric, refs, preds, direct) -> None:
    rows, score = row_statistics(metric, refs, preds)
    assert score(np.ones((1, len(refs))) @ rows)[0] == pytest.approx(direct(refs, preds), abs=1e-9)
    draw = np.random.default_rng(3).integers(0, len(refs), len(refs))
    counts = np.bincount(draw, minlength=len(refs))[None, :].astype(float)
    resampled = direct([refs[i] for i in draw], [preds[i] for i in draw])
    assert score(counts @ rows)[0] == pytest.approx(resampled, abs=1e-9)


def test_a_clear_gain_on_many_rows_is_decided_and_called_better() -> None:
    gold = GOLD * 5
    base = [LABELS[(LABELS.index(g) + 1) % 4] if i % 2 else g for i, g in enumerate(gold)]  # 50 % right
    tuned = [g if i % 10 else LABELS[0] for i, g in enumerate(gold)]  # about 90 % right
    interval = paired_bootstrap("accuracy", gold, base, tuned)
    assert interval.base == pytest.approx(0.5) and interval.tuned > 0.85
    assert 0 < interval.low < interval.delta < interval.high
    assert interval.decided and verdict(interval).startswith("The tuned model is better")


def test_a_tie_on_few_rows_is_too_few_to_tell() -> None:
    gold = ["refund"] * 6
    base = ["refund", "refund", "billing", "refund", "billing", "refund"]  # 4 of 6, other rows wrong
    tuned = ["billing", "refund", "refund", "refund", "refund", "billing"]  # 4 of 6
    interval = paired_bootstrap("accuracy", gold, base, tuned)
    assert interval.low < 0 < interval.high and not interval.decided
    assert verdict(interval).startswith("Too few held-out rows to tell")
    assert "6 held-out rows" in verdict(interval)


def test_macro_f1_with_labels_only_one_side_predicts() -> None:
    base = ["billing"] * len(GOLD)  # the base never predicts three of the labels
    interval = paired_bootstrap("macro_f1", GOLD, base, GOLD)
    assert interval.base == pytest.approx(classification_metrics(GOLD, base)["macro_f1"])
    assert interval.tuned == pytest.approx(1.0) and interval.decided


def test_the_interval_is_reproducible_and_refuses_mismatched_rows() -> None:
    assert paired_bootstrap("accuracy", GOLD, NOISY, GOLD) == paired_bootstrap("accuracy", GOLD, NOISY, GOLD)
    with pytest.raises(ValueError, match="equal length"):
        paired_bootstrap("accuracy", GOLD, NOISY[:-1], GOLD)
