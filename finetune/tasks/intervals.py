"""How sure is "tuned beats base"? A 95 % interval on every metric delta, from a paired bootstrap.

Base and tuned answer the same held-out rows, so the rows are resampled *together* (the same rows, with
replacement, for both sides) and the delta is recomputed on each resample; the 2.5th and 97.5th percentiles
of those deltas bound the interval (Efron & Tibshirani; Koehn 2004 for MT). When the interval spans zero,
the held-out set is too small to tell the two apart, and :func:`verdict` says so instead of declaring a
winner.

Every metric is written as a sum of per-row *sufficient statistics* and a function of their totals, so one
resample costs a matrix product instead of rescoring every row: accuracy and mean scores (ROUGE, SQuAD
EM/F1) are ``[score, 1]``; macro-F1 sums per-class true positives, false positives and false negatives;
entity F1 sums matched, predicted and gold spans (seqeval's strict spans); BLEU and chrF sum sacrebleu's own
n-gram statistics, so each resample gives exactly the corpus score sacrebleu would. Results are identical
to rescoring each resample, and 1,000 resamples of a few hundred rows take milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

RESAMPLES = 1000
"""Bootstrap resamples per interval."""

CONFIDENCE = 0.95
"""Two-sided coverage of the interval."""

BOOTSTRAPPED = ("accuracy", "macro_f1", "entity_f1", "exact_match", "f1", "rouge1", "rouge2", "rougeL", "bleu",
                "chrf")
"""The metrics that have a bootstrap form (the others, e.g. token accuracy, are reported without one)."""

Stats = tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]
"""Per-row statistics ``(rows, k)`` and a function from summed statistics ``(resamples, k)`` to scores."""


@dataclass(frozen=True)
class DeltaInterval:
    """The tuned-minus-base difference of one metric with its bootstrap interval (metric's own scale)."""

    metric: str
    base: float
    tuned: float
    delta: float
    low: float
    high: float
    rows: int
    resamples: int

    @property
    def decided(self) -> bool:
        """Whether the interval excludes zero (the held-out rows can tell base and tuned apart)."""
        return self.low > 0 or self.high < 0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for ``metrics.json`` and tool results)."""
        return {**asdict(self), "decided": self.decided}


def _mean_stats(scores: Sequence[float]) -> Stats:
    rows = np.column_stack([np.asarray(scores, dtype=float), np.ones(len(scores))])
    return rows, lambda s: s[:, 0] / np.maximum(s[:, 1], 1e-12)


def _macro_f1_stats(references: Sequence[str], predictions: Sequence[str],
                    labels: Sequence[str] | None = None) -> Stats:
    labels = sorted(labels if labels is not None else set(references) | set(predictions))
    index = {label: i for i, label in enumerate(labels)}
    n, c = len(references), len(labels)
    rows = np.zeros((n, 3 * c))  # tp | fp | fn per class
    for r, (gold, pred) in enumerate(zip(references, predictions, strict=True)):
        if gold == pred:
            rows[r, index[gold]] = 1
        else:
            rows[r, c + index[pred]] = 1
            rows[r, 2 * c + index[gold]] = 1

    def score(s: np.ndarray) -> np.ndarray:
        tp, fp, fn = s[:, :c], s[:, c:2 * c], s[:, 2 * c:]
        present = (tp + fp + fn) > 0  # sklearn averages over the labels seen in the (resampled) data
        f1 = np.where(present, 2 * tp / np.maximum(2 * tp + fp + fn, 1e-12), 0.0)
        return f1.sum(1) / np.maximum(present.sum(1), 1)

    return rows, score


def _entity_stats(references: Sequence[Sequence[str]], predictions: Sequence[Sequence[str]]) -> Stats:
    from seqeval.metrics.sequence_labeling import get_entities

    rows = np.zeros((len(references), 3))  # matched, predicted, gold spans
    for r, (gold, pred) in enumerate(zip(references, predictions, strict=True)):
        gold_spans, pred_spans = set(get_entities(list(gold))), set(get_entities(list(pred)))
        rows[r] = (len(gold_spans & pred_spans), len(pred_spans), len(gold_spans))
    return rows, lambda s: 2 * s[:, 0] / np.maximum(s[:, 1] + s[:, 2], 1e-12)


def _sacrebleu_stats(metric: str, references: Sequence[str], predictions: Sequence[str]) -> Stats:
    from sacrebleu.metrics import BLEU, CHRF

    scorer = BLEU() if metric == "bleu" else CHRF()
    rows = np.asarray(scorer._extract_corpus_statistics(list(predictions), [list(references)]), dtype=float)

    def score(s: np.ndarray) -> np.ndarray:
        return np.array([scorer._compute_score_from_stats(list(row)).score for row in s])

    return rows, score


def _row_scores(metric: str, references: Sequence[Any], predictions: Sequence[Any]) -> list[float]:
    """Per-row scores of the metrics that are plain means over rows."""
    from finetune.tasks.metrics import rouge_metrics, squad_metrics

    if metric == "accuracy":
        return [float(g == p) for g, p in zip(references, predictions, strict=True)]
    if metric in ("exact_match", "f1"):
        return [squad_metrics([g], [p])[metric] for g, p in zip(references, predictions, strict=True)]
    if metric in ("rouge1", "rouge2", "rougeL"):
        return [rouge_metrics([g], [p])[metric] for g, p in zip(references, predictions, strict=True)]
    raise KeyError(metric)


def row_statistics(metric: str, references: Sequence[Any], predictions: Sequence[Any], *,
                   labels: Sequence[str] | None = None) -> Stats:
    """The sufficient statistics of ``metric`` for each row, and how totals become the metric.

    Args:
        metric: ``accuracy``, ``macro_f1``, ``entity_f1``, ``exact_match``, ``f1``, ``rouge1/2/L``,
            ``bleu`` or ``chrf``.
        references: Gold outputs in the form the task's metric function takes.
        predictions: Predicted outputs, same length.
        labels: For macro-F1, the label set both sides are scored on (default: those seen here).

    Raises:
        KeyError: For a metric without a bootstrap form.
    """
    if metric == "macro_f1":
        return _macro_f1_stats(references, predictions, labels)
    if metric == "entity_f1":
        return _entity_stats(references, predictions)
    if metric in ("bleu", "chrf"):
        return _sacrebleu_stats(metric, references, predictions)
    return _mean_stats(_row_scores(metric, references, predictions))


def paired_bootstrap(metric: str, references: Sequence[Any], base: Sequence[Any], tuned: Sequence[Any], *,
                     resamples: int = RESAMPLES, seed: int = 0) -> DeltaInterval:
    """Tuned minus base on ``metric`` with a paired-bootstrap percentile interval.

    Args:
        metric: See :func:`row_statistics`.
        references: Gold outputs of the held-out rows.
        base: The base model's outputs for the same rows.
        tuned: The tuned model's outputs for the same rows.
        resamples: Bootstrap resamples.
        seed: Seed of the resampling (fixed, so a job's figures are reproducible).

    Raises:
        ValueError: When the three lists differ in length or are empty.
    """
    n = len(references)
    if not n or len(base) != n or len(tuned) != n:
        raise ValueError("references, base and tuned outputs must be non-empty and of equal length")
    labels = sorted(set(references) | set(base) | set(tuned)) if metric == "macro_f1" else None
    base_rows, score = row_statistics(metric, references, base, labels=labels)
    tuned_rows, _ = row_statistics(metric, references, tuned, labels=labels)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(resamples, n))
    counts = np.zeros((resamples, n))
    np.add.at(counts, (np.arange(resamples)[:, None], draws), 1)
    whole = np.ones((1, n))
    base_score, tuned_score = float(score(whole @ base_rows)[0]), float(score(whole @ tuned_rows)[0])
    deltas = score(counts @ tuned_rows) - score(counts @ base_rows)
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(deltas, [tail, 100 - tail])
    return DeltaInterval(metric=metric, base=base_score, tuned=tuned_score, delta=tuned_score - base_score,
                         low=float(low), high=float(high), rows=n, resamples=resamples)


def from_dict(data: dict[str, Any]) -> DeltaInterval:
    """The interval stored in ``metrics.json`` (``as_dict``), back as a :class:`DeltaInterval`."""
    return DeltaInterval(**{k: v for k, v in data.items() if k != "decided"})


def verdict(interval: DeltaInterval, *, percent: bool = True) -> str:
    """One sentence on what the held-out rows say, with the interval.

    Args:
        interval: A computed delta interval.
        percent: Show 0-1 metrics as percentage points (BLEU and chrF are already on 0-100).
    """
    scale = 100.0 if percent and interval.metric not in ("bleu", "chrf") else 1.0
    unit = " points" if scale == 100.0 else ""
    span = (f"{interval.delta * scale:+.1f}{unit} {interval.metric} "
            f"(95% interval {interval.low * scale:+.1f} to {interval.high * scale:+.1f}, "
            f"{interval.rows} held-out rows)")
    if not interval.decided:
        return f"Too few held-out rows to tell base and tuned apart: {span}."
    return f"The tuned model is {'better' if interval.delta > 0 else 'worse'} than its base: {span}."
