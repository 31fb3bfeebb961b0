"""Train the offline reader on the corpus, measure it, and write ``reader.npz``.

    python -m assistant.advisor.reader_build            # 5-fold cross-validation report, then fit and save
    python -m assistant.advisor.reader_build --by-file  # the same, each fold leaving one corpus file out
    python -m assistant.advisor.reader_build --check F  # score a labelled JSONL file (e.g. a held-out set)

The corpus (``corpus/*.jsonl``) holds task descriptions written for this purpose, each labelled with the
profile fields and the decision a careful engineer would give; each file is by a different author or set of
authors. Cross-validation also fits the confidence calibration: Platt scaling of the joint probability (task x
decision) against "both right". With ``--by-file`` each fold leaves one file out, so every row is read by heads
that never saw its author's phrasing (a harder figure; the calibration then comes from those predictions).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.advisor.policy import decision_distribution
from assistant.advisor.profile import PROFILE_FIELDS, labelled_bucket
from assistant.advisor.understanding import (
    READER_PATH,
    Head,
    embed,
    features,
    load_reader,
    make_vectorizers,
    save_reader,
)

CORPUS_DIR = Path(__file__).with_name("corpus")
REGULARISATION = 16.0
FOLDS = 5


def corpus_files() -> list[Path]:
    """The corpus files, in a fixed order."""
    return sorted(CORPUS_DIR.glob("*.jsonl"))


def corpus_digest() -> str:
    """A digest of the corpus files (the shipped reader records the one it was trained on)."""
    digest = hashlib.sha256()
    for path in corpus_files():
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def load_rows(paths: Sequence[Path]) -> list[dict[str, Any]]:
    """Labelled descriptions from JSONL files."""
    return [json.loads(line) for path in paths for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def field_label(row: dict[str, Any], field: str) -> str:
    """A row's label for one field, as the head's class name."""
    if field == "task":
        return row["task"] or "unknown"
    if field == "labelled":
        n = row["labelled_examples"]
        return n if n in ("none", "unknown") else labelled_bucket(int(n))
    return str(row[field])


def fit_heads(x: Any, rows: Sequence[dict[str, Any]]) -> dict[str, Head]:
    """One logistic-regression head per profile field."""
    from sklearn.linear_model import LogisticRegression

    heads = {}
    for field in PROFILE_FIELDS:
        y = [field_label(r, field) for r in rows]
        model = LogisticRegression(C=REGULARISATION, max_iter=5000).fit(x, y)
        heads[field] = Head([str(c) for c in model.classes_], model.coef_, model.intercept_)
    return heads


def predict(beliefs: dict[str, dict[str, float]]) -> tuple[str, str, float]:
    """Task, decision and the raw joint probability of both, from one description's beliefs."""
    task = max(beliefs["task"], key=beliefs["task"].__getitem__)
    decisions = decision_distribution(beliefs)
    decision = max(decisions, key=decisions.__getitem__)
    return task, decision, beliefs["task"][task] * decisions[decision]


def score(rows: Sequence[dict[str, Any]], beliefs: Sequence[dict[str, dict[str, float]]]) -> dict[str, Any]:
    """Accuracy of task, decision and both, with confusion matrices (gold -> predicted -> count)."""
    out: dict[str, Any] = {"rows": len(rows)}
    right = Counter()
    confusion: dict[str, Counter] = {"task": Counter(), "decision": Counter()}
    for row, belief in zip(rows, beliefs, strict=True):
        task, decision, _ = predict(belief)
        gold_task = row["task"] or "unknown"
        right["task"] += task == gold_task
        right["decision"] += decision == row["decision"]
        right["both"] += task == gold_task and decision == row["decision"]
        confusion["task"][(gold_task, task)] += 1
        confusion["decision"][(row["decision"], decision)] += 1
    for key in ("task", "decision", "both"):
        out[key] = right[key] / max(1, len(rows))
    out["confusion"] = {k: {f"{g} -> {p}": n for (g, p), n in sorted(c.items())} for k, c in confusion.items()}
    return out


def reliability(rows: Sequence[dict[str, Any]], confidences: Sequence[float],
                beliefs: Sequence[dict[str, dict[str, float]]], bins: int = 5) -> list[dict[str, Any]]:
    """Reported confidence against measured both-right accuracy, in equal-width bins."""
    table = []
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        picked = [(row, belief) for row, c, belief in zip(rows, confidences, beliefs, strict=True)
                  if low <= c < high or (b == bins - 1 and c == 1.0)]
        if not picked:
            continue
        confs = [c for c in confidences if low <= c < high or (b == bins - 1 and c == 1.0)]
        hits = [predict(belief)[:2] == ((row["task"] or "unknown"), row["decision"]) for row, belief in picked]
        table.append({"confidence": f"{low:.1f}-{high:.1f}", "rows": len(picked),
                      "mean_confidence": float(np.mean(confs)), "accuracy": float(np.mean(hits))})
    return table


def cross_validate(rows: list[dict[str, Any]], embeddings: np.ndarray,
                   groups: Sequence[int] | None = None) -> tuple[list[dict], list[float]]:
    """Out-of-fold beliefs for every row and their raw joint probabilities.

    Args:
        rows: The labelled descriptions.
        embeddings: Their sentence embeddings.
        groups: Each row's corpus file. When given, each fold leaves one file out: the reader is scored on
            descriptions by an author it was not trained on (as it will be used). Otherwise 5 folds stratified
            by task x decision.
    """
    from sklearn.model_selection import LeaveOneGroupOut, StratifiedKFold

    from assistant.advisor.understanding import Reader, with_parsed_evidence

    strata = [f"{r['task']}|{r['decision']}" for r in rows]
    if groups is not None:
        splits = LeaveOneGroupOut().split(np.zeros(len(rows)), strata, groups)
    else:
        splits = StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(np.zeros(len(rows)), strata)
    beliefs: list[dict] = [{} for _ in rows]
    for train, test in splits:
        texts = [rows[i]["text"] for i in train]
        words, chars = make_vectorizers()
        words.fit(texts)
        chars.fit(texts)
        heads = fit_heads(features(texts, words, chars, embeddings[train]), [rows[i] for i in train])
        reader = Reader(words, chars, heads, (1.0, 0.0))
        x = features([rows[i]["text"] for i in test], words, chars, embeddings[test])
        for field, head in reader.heads.items():
            for i, probs in zip(test, head.probabilities(x), strict=True):
                beliefs[i][field] = {c: float(p) for c, p in zip(head.classes, probs, strict=True)}
    beliefs = [with_parsed_evidence(b, r["text"]) for b, r in zip(beliefs, rows, strict=True)]
    return beliefs, [predict(b)[2] for b in beliefs]


def fit_calibration(rows: Sequence[dict[str, Any]], beliefs: Sequence[dict], raw: Sequence[float]) -> tuple[float, float]:
    """Platt scaling: logistic regression of "both right" on the logit of the raw probability."""
    from sklearn.linear_model import LogisticRegression

    clipped = np.clip(np.asarray(raw), 1e-6, 1 - 1e-6)
    x = np.log(clipped / (1 - clipped)).reshape(-1, 1)
    y = [predict(b)[:2] == ((r["task"] or "unknown"), r["decision"]) for r, b in zip(rows, beliefs, strict=True)]
    model = LogisticRegression(C=1e4).fit(x, y)
    return float(model.coef_[0][0]), float(model.intercept_[0])


def build(out: Path = READER_PATH, by_file: bool = False) -> dict[str, Any]:
    """Cross-validate, fit on the whole corpus, save; returns the cross-validation report.

    Args:
        out: Where to write the reader.
        by_file: Leave one corpus file out per fold instead of 5 stratified folds.
    """
    files = corpus_files()
    rows = load_rows(files)
    groups = [i for i, path in enumerate(files) for _ in load_rows([path])]
    embeddings = embed([r["text"] for r in rows])
    beliefs, raw = cross_validate(rows, embeddings, groups if by_file else None)
    calibration = fit_calibration(rows, beliefs, raw)
    from assistant.advisor.understanding import Reader

    texts = [r["text"] for r in rows]
    words, chars = make_vectorizers()
    words.fit(texts)
    chars.fit(texts)
    heads = fit_heads(features(texts, words, chars, embeddings), rows)
    save_reader(out, words, chars, heads, calibration, corpus_digest())
    report = score(rows, beliefs)
    reader = Reader(words, chars, heads, calibration)
    report["reliability"] = reliability(rows, [reader.calibrate(r) for r in raw], beliefs)
    report["calibration"] = calibration
    return report


def check(path: Path) -> dict[str, Any]:
    """Score the shipped reader on a labelled JSONL file (descriptions it was not trained on)."""
    rows = load_rows([path])
    reader = load_reader()
    beliefs = reader.beliefs([r["text"] for r in rows])
    report = score(rows, beliefs)
    report["reliability"] = reliability(rows, [reader.calibrate(predict(b)[2]) for b in beliefs], beliefs)
    return report


def main(argv: list[str] | None = None) -> int:
    """Build the reader (default) or check it on a file; prints a JSON report."""
    parser = argparse.ArgumentParser(prog="python -m assistant.advisor.reader_build", description=__doc__)
    parser.add_argument("--check", type=Path, help="score the shipped reader on this labelled JSONL file")
    parser.add_argument("--by-file", action="store_true", help="cross-validate leaving one corpus file out per fold")
    args = parser.parse_args(argv)
    report = check(args.check) if args.check else build(by_file=args.by_file)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

