"""Base and tuned side by side: held-out comparison of a finished job, and predictions for new inputs.

For classification the base is the zero-shot embedding-similarity baseline of the same encoder;
the tuned model is the 4-bit base with the job's adapter and trained head.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from finetune.config import RunConfig
from finetune.errors import JobError


def compare_job(job_dir: Path, limit: int = 10) -> dict[str, Any]:
    """Base vs tuned on the job's held-out split, from the files the training run wrote.

    Args:
        job_dir: The job folder.
        limit: How many example rows to include (mistakes of either model first).

    Returns:
        ``{"task", "metric", "base", "tuned", "delta", "metrics", "examples": [...]}`` where ``base`` and
        ``tuned`` are the headline metric and ``metrics`` holds every metric of both.

    Raises:
        JobError: When the job has not finished its evaluation.
    """
    metrics_file = job_dir / "metrics.json"
    if not metrics_file.is_file():
        raise JobError("This job has no held-out evaluation yet: wait for it to succeed, then compare.")
    metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
    key = metrics.get("metric", "accuracy")
    tuned = metrics.get("tuned", {}).get(key)
    base = metrics.get("base", {}).get(key)
    rows = []
    pred_file = job_dir / "predictions.jsonl"
    if pred_file.is_file():
        rows = [json.loads(line) for line in pred_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    # Show disagreements first: they are what a person wants to look at.
    rows.sort(key=lambda r: (r.get("base") == r.get("tuned"), r.get("tuned") != r.get("reference")))
    return {
        "task": metrics.get("task"),
        "metric": key,
        "base": base,
        "tuned": tuned,
        "delta": None if base is None or tuned is None else round(tuned - base, 4),
        "metrics": {"base": metrics.get("base", {}), "tuned": metrics.get("tuned", {})},
        "base_method": metrics.get("base_method"),
        "eval_rows": metrics.get("eval_rows"),
        "examples": rows[:limit],
    }


class ClassifierPair:
    """The tuned classifier of a job and its zero-shot base, loaded once and reused."""

    def __init__(self, job_dir: Path) -> None:
        from finetune.model import load_classifier_for_inference, resolve_model_source

        self.job_dir = job_dir
        self.cfg = RunConfig.from_yaml(job_dir / "config.yaml")
        self.labels: list[str] = json.loads((job_dir / "labels.json").read_text(encoding="utf-8"))
        self.model, self.tokenizer = load_classifier_for_inference(job_dir, self.cfg)
        self.base_source = resolve_model_source(self.cfg.model.name)[0]
        self._lock = threading.Lock()

    def predict(self, texts: list[str]) -> list[dict[str, Any]]:
        """Both models' label and score for each text."""
        from finetune.evaluate import classifier_predict, zero_shot_predict

        with self._lock:
            tuned = classifier_predict(self.model, self.tokenizer, texts, max_length=self.cfg.data.max_length)
            base = zero_shot_predict(self.base_source, texts, self.labels, max_length=self.cfg.data.max_length)
        return [
            {"input": t, "base": b[0], "base_score": round(b[1], 4), "tuned": u[0], "tuned_score": round(u[1], 4)}
            for t, b, u in zip(texts, base, tuned, strict=True)
        ]


_PAIRS: dict[str, ClassifierPair] = {}
_PAIRS_LOCK = threading.Lock()


def classifier_pair(job_dir: Path) -> ClassifierPair:
    """Load (once per process, keeping only the latest) the side-by-side models of a job."""
    key = str(job_dir)
    with _PAIRS_LOCK:
        if key not in _PAIRS:
            _PAIRS.clear()  # one model in memory at a time
            _PAIRS[key] = ClassifierPair(job_dir)
        return _PAIRS[key]
