"""Base vs tuned scored with the task's metrics: a job's held-out split, or any data file scored now.

The CLI (``tunewise compare JOB [--data FILE]``), the agent's ``compare`` tool and the Compare tab call
``compare_job``; scoring a file loads the job's :class:`~finetune.serve.pair.ModelPair` and its recipe.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from catalog.errors import JobError
from finetune.serve.outputs import plain_output


def compare_job(job_dir: Path, data: str | Path | None = None, limit: int = 10, *,
                max_rows: int | None = None) -> dict[str, Any]:
    """Base vs tuned on the job's held-out split (from the files training wrote) or on a data file.

    Args:
        job_dir: The job folder.
        data: A dataset file in the workspace (any format ``tunewise data check`` reads) to score both
            models on now; None = the job's held-out split as evaluated at the end of training.
        limit: How many example rows to include (mistakes of either model first).
        max_rows: Score at most this many rows of ``data`` (default: the job's ``eval.max_examples``).

    Returns:
        ``{"task", "metric", "base", "tuned", "delta", "metrics", "base_method", "eval_rows", "examples"}``
        where ``base`` and ``tuned`` are the headline metric (``base`` None when the task has no baseline),
        ``metrics`` holds every metric of both, and each example has ``input``, ``reference``, ``base``,
        ``tuned`` (+ scores where the model gives one).

    Raises:
        JobError: When the job has not finished its evaluation (held-out mode).
        DataError: When ``data`` cannot be read for the job's task.
    """
    if data is not None:
        return _compare_on_file(job_dir, data, limit, max_rows)
    metrics_file = job_dir / "metrics.json"
    if not metrics_file.is_file():
        raise JobError("This job has no held-out evaluation yet: wait for it to succeed, then compare.")
    metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
    rows = []
    pred_file = job_dir / "predictions.jsonl"
    if pred_file.is_file():
        lines = pred_file.read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line.strip()]
    result = _comparison(metrics.get("task"), metrics.get("metric", "accuracy"), metrics.get("base", {}),
                         metrics.get("tuned", {}), metrics.get("base_method"), metrics.get("eval_rows"), rows,
                         limit)
    result["intervals"] = metrics.get("intervals", {})
    return result


def _compare_on_file(job_dir: Path, data: str | Path, limit: int, max_rows: int | None) -> dict[str, Any]:
    from finetune.data.intake import load_data
    from finetune.serve.pair import model_pair
    from finetune.tasks.metrics import PRIMARY_METRIC
    from finetune.workspace import confine

    pair = model_pair(job_dir)
    path = confine(data)
    loaded = load_data(path, task=pair.task)
    records = loaded.records[:max_rows or pair.cfg.eval.max_examples]
    pair.recipe.check_references(records, path.name)
    refs = pair.recipe.references(records)
    predicted = pair.predict_records(records, "both")
    tuned = [plain_output(r["tuned"]) for r in predicted]
    has_base = bool(predicted) and predicted[0]["base"] is not None
    base = [plain_output(r["base"]) for r in predicted] if has_base else []
    base_metrics = pair.recipe.score(refs, [p for p, _ in base]) if base else {}
    rows = []
    for i, row in enumerate(predicted):
        example: dict[str, Any] = {"input": row["input"], "reference": refs[i], "tuned": tuned[i][0]}
        if tuned[i][1] is not None:
            example["tuned_score"] = tuned[i][1]
        if base:
            example["base"] = base[i][0]
            if base[i][1] is not None:
                example["base_score"] = base[i][1]
        rows.append(example)
    tuned_metrics = pair.recipe.score(refs, [p for p, _ in tuned])
    result = _comparison(pair.task, PRIMARY_METRIC[pair.task], base_metrics, tuned_metrics,
                         pair.recipe.baseline_method if base else None, len(records), rows, limit)
    result["intervals"] = pair.recipe.delta_intervals(refs, [p for p, _ in base], [p for p, _ in tuned],
                                                      list(tuned_metrics)) if base else {}
    result["data"] = path.name
    if pair.base_note:
        result["note"] = pair.base_note
    return result


def _comparison(task: str | None, key: str, base_metrics: dict[str, float], tuned_metrics: dict[str, float],
                base_method: str | None, eval_rows: int | None, rows: list[dict[str, Any]],
                limit: int) -> dict[str, Any]:
    # Disagreements first (where tuning changed the answer, fixes before regressions); with no base, the tuned
    # model's mistakes first: what a person wants to look at.
    def order(row: dict[str, Any]) -> tuple[bool, bool]:
        if row.get("base") is None:
            return False, row.get("tuned") == row.get("reference")
        return row.get("base") == row.get("tuned"), row.get("tuned") != row.get("reference")

    rows = sorted(rows, key=order)
    base, tuned = base_metrics.get(key), tuned_metrics.get(key)
    return {
        "task": task,
        "metric": key,
        "base": base,
        "tuned": tuned,
        "delta": None if base is None or tuned is None else round(tuned - base, 4),
        "metrics": {"base": base_metrics, "tuned": tuned_metrics},
        "base_method": base_method,
        "eval_rows": eval_rows,
        "examples": rows[:max(limit, 0)],
    }
