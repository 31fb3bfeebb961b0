"""The Compare tab's pieces: base and tuned side by side (streamed for generative jobs), the outputs for a
blind A/B trial, and how metrics, deltas and held-out examples are shown."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any


def readable_example(task: str | None, example: dict[str, Any]) -> dict[str, Any]:
    """NER tag lists as entity spans ("speed sensor (PART)"); other tasks' values as they are."""
    if task != "token-classification":
        return example
    from finetune.serve.outputs import bio_entities

    tokens = str(example.get("input", "")).split()
    shown = dict(example)
    for key in ("reference", "base", "tuned"):
        tags = example.get(key)
        if isinstance(tags, list) and len(tags) == len(tokens):
            spans = bio_entities(tokens, tags)
            shown[key] = "; ".join(f"{e['text']} ({e['type']})" for e in spans) or "(no entities)"
    return shown


def side_by_side(job_dir: Path, text: str) -> Iterator[tuple[str, str]]:
    """``(base, tuned)`` Markdown for one new input. Generative jobs stream: the base's answer grows
    first, then the tuned one's; the other tasks answer at once, with their scores."""
    from finetune.serve.pair import classifier_pair, model_pair

    text = text.strip()[:4000]
    pair = model_pair(job_dir)
    if pair.generative:
        base = tuned = ""
        for chunk in pair.stream(text, "base"):
            base += chunk
            yield f"**Base:** {base}▌", "**Tuned:** …"
        for chunk in pair.stream(text, "tuned"):
            tuned += chunk
            yield f"**Base:** {base}", f"**Tuned:** {tuned}▌"
        yield f"**Base:** {base}", f"**Tuned:** {tuned}"
        return
    pred = classifier_pair(job_dir).predict([text])[0]
    base_score = f" (similarity {pred['base_score']:.2f})" if pred.get("base_score") is not None else ""
    tuned_score = f" ({pred['tuned_score']:.0%} confident)" if pred.get("tuned_score") is not None else ""
    base = pred["base"] if pred.get("base") is not None else "no baseline (the base has no trained head for this task)"
    yield f"**Base:** {base}{base_score}", f"**Tuned:** {pred['tuned']}{tuned_score}"


def pair_outputs(job_dir: Path, text: str) -> tuple[str, str]:
    """Base and tuned output for one new input, as text (for side-by-side and blind A/B)."""
    from catalog.errors import JobError
    from finetune.serve.pair import classifier_pair

    pred = classifier_pair(job_dir).predict([text.strip()[:4000]])[0]
    if pred.get("base") is None:
        raise JobError("Blind A/B needs the base model's answer too; for this task the base has no trained head, "
                       "so there is nothing to compare against. Use the held-out metrics above.")
    return str(pred["base"]), str(pred["tuned"])


def fmt_metric(key: str, value: float | None) -> str:
    """Scores on a 0-100 scale (BLEU, chrF) as numbers, the others (0-1) as percentages."""
    if value is None:
        return "—"
    return f"{value:.1f}" if key in HUNDRED_SCALE else f"{value:.1%}"


def fmt_delta(key: str, base: float | None, tuned: float) -> str:
    if base is None:
        return ""
    return f"{tuned - base:+.1f}" if key in HUNDRED_SCALE else f"{(tuned - base) * 100:+.1f} pts"


HUNDRED_SCALE = ("bleu", "chrf")


def is_catalog_model(model: str) -> bool:
    from catalog import load_catalog

    return load_catalog().get(model) is not None
