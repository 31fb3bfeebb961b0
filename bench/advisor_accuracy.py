"""The advisor on descriptions it has never seen: accuracy, calibration and latency.

    .venv/bin/python bench/advisor_accuracy.py [--heldout tests/fixtures/advisor_heldout_v12.jsonl]

Held-out accuracy: the shipped reader (trained on ``assistant/advisor/corpus``) reads every description of the
held-out file (written apart from the corpus, never used to train or tune) through :func:`advise`; task,
decision and both-right are counted, and so is how often it asked instead of deciding (an asked question
counts as not right). The reliability table bins the reported confidence against measured accuracy.
Latency: ``advise`` per description after one warm-up call (the encoder load), p50 and p95.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HELDOUT = ROOT / "tests" / "fixtures" / "advisor_heldout_v12.jsonl"


def measure(path: Path = HELDOUT) -> dict[str, Any]:
    """Advise on each held-out description; return accuracy, confusion, reliability and latency."""
    from assistant.advisor.advise import advise
    from bench.common import percentile

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    advise("warm-up: route support tickets to teams, we have 500 labelled")
    seconds: list[float] = []
    results = []
    for row in rows:
        start = time.perf_counter()
        advice = advise(row["text"])
        seconds.append(time.perf_counter() - start)
        results.append((row, advice))
    count = Counter()
    confusion: dict[str, Counter] = {"task": Counter(), "decision": Counter()}
    bins: dict[str, list[bool]] = {}
    examples = []
    for row, advice in results:
        task_ok, decision_ok = advice.task == row["task"], advice.decision == row["decision"]
        count["task"] += task_ok
        count["decision"] += decision_ok
        count["both"] += task_ok and decision_ok
        count["asked"] += advice.decision is None
        answered = advice.decision is not None
        count["answered_both"] += answered and task_ok and decision_ok
        confusion["task"][f"{row['task']} -> {advice.task}"] += 1
        confusion["decision"][f"{row['decision']} -> {advice.decision or 'asks'}"] += 1
        low = min(int(advice.confidence * 5), 4) / 5
        bins.setdefault(f"{low:.1f}-{low + 0.2:.1f}", []).append(task_ok and (decision_ok or advice.leaning == row["decision"]))
        if len(examples) < 10 and len(examples) * 13 <= rows.index(row):
            examples.append({"text": row["text"], "gold": [row["task"], row["decision"]],
                             "advice": [advice.task, advice.decision or f"asks (leans {advice.leaning})"],
                             "confidence": advice.confidence, "first_reason": advice.reasons[0]})
    n = len(rows)
    answered_n = n - count["asked"]
    return {
        "rows": n, "task": count["task"] / n, "decision": count["decision"] / n, "both": count["both"] / n,
        "asked": count["asked"] / n,
        "both_when_answered": count["answered_both"] / answered_n if answered_n else None,
        "reliability": {k: {"rows": len(v), "accuracy": sum(v) / len(v)} for k, v in sorted(bins.items())},
        "confusion": {k: dict(sorted(c.items())) for k, c in confusion.items()},
        "latency_ms": {"p50": percentile(seconds, 50) * 1000, "p95": percentile(seconds, 95) * 1000},
        "examples": examples,
    }


def main(argv: list[str] | None = None) -> int:
    """Print the measurement as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--heldout", type=Path, default=HELDOUT)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.heldout), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
