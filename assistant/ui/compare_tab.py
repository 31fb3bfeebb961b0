"""The Compare tab: its callbacks (held-out metrics base vs tuned, one new input through both, blind A/B
trials and votes) and their pieces: base and tuned side by side (streamed for generative jobs), the outputs
for a blind A/B trial, and how metrics, deltas and held-out examples are shown. The callbacks never raise to
the browser: user errors become readable text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from catalog.errors import TunewiseError

if TYPE_CHECKING:
    from assistant.agent import Assistant


def readable_example(task: str | None, example: dict[str, Any]) -> dict[str, Any]:
    """NER tag lists as entity spans ("speed sensor (PART)"); other tasks' values as they are."""
    if task != "token-classification":
        return example
    from finetune.tasks.ner import bio_entities

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


def fmt_interval(key: str, interval: dict[str, Any] | None) -> str:
    """``[-2.1, +7.4] pts`` (``✓`` when it excludes zero), or empty when there is no interval."""
    if not interval:
        return ""
    scale, unit = (1.0, "") if key in HUNDRED_SCALE else (100.0, " pts")
    mark = " ✓" if interval.get("decided") else ""
    return f"[{interval['low'] * scale:+.1f}, {interval['high'] * scale:+.1f}]{unit}{mark}"


HUNDRED_SCALE = ("bleu", "chrf")


class CompareHandlers:
    """The Compare tab's callbacks, bound to one ``Assistant`` (and through it the shared services)."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.services = assistant.services

    def compare_choices(self, session_id: str) -> Any:
        """Succeeded jobs of this session, newest first."""
        import gradio as gr

        session = self.services.session(session_id)
        jobs = [j.id for j in self.services.runner.list(owner=self.services.owner_filter(session))
                if j.status == "succeeded"]
        value = session.last_job_id if session.last_job_id in jobs else (jobs[0] if jobs else None)
        return gr.update(choices=jobs, value=value)

    def compare(self, job_id: str | None, session_id: str) -> tuple[str, Any]:
        """Held-out metrics and examples, base vs tuned."""
        import pandas as pd

        from finetune.serve.compare import compare_job

        if not job_id:
            return "No finished job yet: fine-tune a model first.", None
        session = self.services.session(session_id)
        try:
            job = self.services.runner.get(job_id, self.services.owner_filter(session))
            result = compare_job(job.path, limit=30)
        except TunewiseError as exc:
            return f"⚠️ {exc}", None
        method = result["base_method"] or "none (an untrained head is no baseline for this task)"
        intervals = result.get("intervals") or {}
        lines = [f"### {job.model} on `{job.data}` ({result['task']})", f"Base: {method}. "
                 f"Held-out rows: {result['eval_rows']}.", "",
                 "| metric | base | tuned | change | 95% interval of the change |", "|---|---|---|---|---|"]
        for key, tuned in result["metrics"]["tuned"].items():
            base = result["metrics"]["base"].get(key)
            lines.append(f"| {key} | {fmt_metric(key, base)} | {fmt_metric(key, tuned)} | "
                         f"{fmt_delta(key, base, tuned)} | {fmt_interval(key, intervals.get(key))} |")
        if intervals.get(result["metric"]):
            from finetune.tasks.intervals import from_dict, verdict

            lines.append(f"\n**{verdict(from_dict(intervals[result['metric']]))}**")
        from assistant.tools.actions import model_note

        note = model_note(job.model)
        if note:
            lines.append(f"\n> ⚠️ {note}")
        columns = ["reference", "base", "tuned", "tuned_score", "input"]
        rows = [readable_example(result["task"], e) for e in result["examples"]]
        examples = pd.DataFrame(rows).reindex(columns=columns)
        return "\n".join(lines), examples

    def try_input(self, job_id: str | None, text: str, session_id: str) -> Iterator[tuple[str, str]]:
        """Run one new input through base and tuned; generated text streams in as it is made."""
        if not job_id or not (text or "").strip():
            yield "Pick a finished job and type an input.", ""
            return
        session = self.services.session(session_id)
        try:
            job = self.services.runner.get(job_id, self.services.owner_filter(session))
            yield from side_by_side(job.path, text)
        except TunewiseError as exc:
            yield f"⚠️ {exc}", ""

    def ab_show(self, job_id: str | None, text: str, session_id: str) -> tuple[str, str, str, str]:
        """Run an input through both models and show the answers as A and B in random order."""
        from finetune.serve.ab import VoteStore

        if not job_id or not (text or "").strip():
            return "", "", "", "Pick a finished job and type an input."
        session = self.services.session(session_id)
        try:
            job = self.services.runner.get(job_id, self.services.owner_filter(session))
            base, tuned = pair_outputs(job.path, text)
            store = VoteStore()
            trial = store.new_trial(job.id, session.owner, text.strip()[:4000], base, tuned)
            tally = store.tally(job.id).describe()
        except TunewiseError as exc:
            return "", "", "", f"Problem: {exc}"
        return f"**A:** {trial.left}", f"**B:** {trial.right}", trial.id, f"Vote to reveal. {tally}"

    def ab_vote(self, trial_id: str, vote: str, job_id: str | None, session_id: str) -> tuple[str, str]:
        """Record a vote, reveal which side was tuned, and show the tally."""
        from finetune.serve.ab import VoteStore

        if not trial_id:
            return "Show two answers first, then vote.", ""
        session = self.services.session(session_id)
        store = VoteStore()
        try:
            result = store.vote(trial_id, vote, session.owner)
        except TunewiseError as exc:
            return f"Problem: {exc}", ""
        tuned_letter = "A" if result["tuned_side"] == "left" else "B"
        verdict = {"tuned": "you preferred the **tuned** model", "base": "you preferred the **base** model",
                   "tie": "you called it a tie", "both_bad": "you found both answers bad"}[result["winner"]]
        tally = store.tally(job_id).describe() if job_id else ""
        return f"{tuned_letter} was the tuned model: {verdict}. {tally}", ""
