"""Should this team fine-tune, prompt, or retrieve? Understanding, then one transparent policy.

:func:`advise` reads a task description into a :class:`~assistant.advisor.profile.TaskProfile` — through
an LLM's structured arguments when the agent has one, or offline through the learned reader of
:mod:`assistant.advisor.understanding` — lets the user's dataset (rows, format) and any measurement on it
(:mod:`assistant.advisor.evidence`) correct it, and maps it to a decision with the rules of
:mod:`assistant.advisor.policy`. The confidence is calibrated: across descriptions it has not seen, the
offline reader is right about as often as it says. It never decides with an unknown task, and below
:data:`ASK_BELOW` it asks the one question that would decide instead of guessing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from assistant.advisor.evidence import DECISIVE, evidence_factors
from assistant.advisor.inputs import DatasetProfile, Evidence
from assistant.advisor.models import ModelPick, pick_models, reference_hardware
from assistant.advisor.policy import (
    DECIDING_QUESTION,
    DECISIONS,
    Beliefs,
    Decision,
    decide_profile,
    decision_distribution,
    questions_for,
    reasons_for,
)
from assistant.advisor.profile import TaskProfile, labelled_bucket
from catalog.schema import Task

if TYPE_CHECKING:
    from catalog.hardware import Hardware

ASK_BELOW = 0.6
"""Below this confidence the advisor asks the deciding question instead of giving a decision (chosen on
cross-validation: below it, guesses were right about half the time)."""

TASK_MIN = 0.35
"""A task the reader gives less probability than this is reported as not clear yet (cost on cross-validation:
0.1 point of both-right accuracy)."""

LLM_CONFIDENCE = 0.8
"""Confidence of a profile read by an LLM (it gives no probabilities to calibrate)."""

GENERATIVE = ("summarization", "translation", "chat", "question-answering")
SKILL_TASKS = ("text-classification", "token-classification", "translation")
"""Tasks whose labelled data teaches a skill (labels, spans, a language pair), not facts that change."""
_HEADLINES = {
    "fine-tune": "**fine-tune** a model on your examples",
    "prompt": "**prompt** an existing model (no training needed)",
    "rag": "**rag** (retrieval-augmented generation): search your documents and let a chat model answer from "
           "what it finds",
}


class Advice(BaseModel):
    """The advisor's answer: what to do, why, how sure, and what would change it."""

    decision: Decision | None = Field(description="None while the task or the deciding fact is unknown.")
    task: Task | None = Field(description="None only when the description does not say what to output.")
    confidence: float = Field(ge=0, le=1)
    reasons: list[str] = Field(description="Most important first, each a full sentence.")
    questions: list[str] = Field(default_factory=list, description="What would change (or settle) the answer.")
    models: list[ModelPick] = Field(default_factory=list)
    leaning: Decision | None = Field(default=None, description="The likeliest decision when none is given.")
    profile: TaskProfile | None = Field(default=None, description="What was read from the description.")
    signals: dict[str, object] = Field(default_factory=dict, description="What was detected.")

    def to_markdown(self) -> str:
        """Render the advice as a chat message in Markdown."""
        task = self.task.replace("-", " ") if self.task else "not clear yet"
        if self.decision is None:
            lines = ["### Before I recommend anything", "", f"**{self.questions[0]}**" if self.questions else ""]
            if self.leaning:
                lines += ["", f"So far I lean towards {_HEADLINES[self.leaning]} (task: {task}, "
                          f"{round(self.confidence * 100)}% sure)."]
            lines += [""] + [f"- {reason}" for reason in self.reasons]
            return "\n".join(lines).rstrip()
        lines = [f"### Recommendation: {_HEADLINES[self.decision]}", "",
                 f"Task: **{task}** · Confidence: **{round(self.confidence * 100)}%**", "", "**Why**"]
        lines += [f"{i}. {reason}" for i, reason in enumerate(self.reasons, 1)]
        if self.models:
            title = "Models to fine-tune" if self.decision == "fine-tune" else "Chat models to use"
            lines += ["", f"**{title}**"]
            lines += [f"- **{m.name}** (`{m.id}`) — {m.reason}" for m in self.models]
        if self.questions:
            lines += ["", "**What would change this answer**"]
            lines += [f"- {q}" for q in self.questions]
        return "\n".join(lines)


def _with_dataset(profile: TaskProfile, beliefs: dict[str, dict[str, float]] | None,
                  data: DatasetProfile) -> TaskProfile:
    """The dataset is the truth about the task and the labelled rows: it overrides the words."""
    updates: dict[str, object] = {"labelled_examples": data.rows, "labelled": labelled_bucket(data.rows),
                                  "quotes": {**profile.quotes, "labelled": f"{data.rows:,} rows in your dataset"}}
    if data.task is not None:
        updates["task"] = data.task
    if data.task in SKILL_TASKS:  # labelled data for a fixed-format task is about skill, not changing facts
        updates["changing_knowledge"] = False
        if beliefs is not None:
            beliefs["changing_knowledge"] = {"False": 1.0}
    if data.labels:
        updates["labels"] = sorted(data.labels, key=lambda name: -data.labels[name])[:8]  # type: ignore[index]
        updates["output_shape"] = "label-set"
    if data.languages:
        updates["languages"] = data.languages
    if beliefs is not None:
        beliefs["labelled"] = {labelled_bucket(data.rows): 1.0}
        if data.task is not None:
            beliefs["task"] = {data.task: 1.0}
    return profile.model_copy(update=updates)


def _deciding_field(beliefs: Beliefs) -> str:
    """The field whose answer would most raise the chance of deciding right (expected accuracy gain)."""
    best, gain = "labelled", -1.0
    for field in ("changing_knowledge", "personal", "labelled", "volume", "latency", "privacy", "domain_style"):
        expected = 0.0
        for value, p in beliefs[field].items():
            known = {**beliefs, field: {value: 1.0}}
            expected += p * max(decision_distribution(known).values())
        if expected > gain:
            best, gain = field, expected
    return best


def _evidence_reasons(evidence: Evidence | None, decision: Decision | None) -> tuple[Decision | None, list[str]]:
    """A decisive measurement overrides the text (never retrieval: that is about facts, not skill)."""
    if evidence is None:
        return decision, []
    factors = sorted(evidence_factors(evidence), key=lambda f: -f.weight)
    decisive = next((f for f in factors if f.weight >= DECISIVE), None)
    if decisive is not None and decision != "rag":
        decision = decisive.decision
    rows = f" on {evidence.held_out_rows} held-out rows" if evidence.held_out_rows else ""
    reasons = [f.reason for f in factors if f.decision == decision]
    reasons += [f"On the other hand: {f.reason[0].lower()}{f.reason[1:]}" for f in factors if f.decision != decision]
    if not factors:  # a middling score argues neither way, but it is still what was measured
        reasons.append(f"Measured on your own data, the base model scores {evidence.base_score:.2f} "
                       f"{evidence.metric}{rows}.")
    return decision, reasons


def advise(description: str, dataset_profile: DatasetProfile | None = None, hardware: Hardware | None = None,
           evidence: Evidence | None = None, profile: TaskProfile | None = None) -> Advice:
    """Advise whether to fine-tune, prompt or use retrieval for a language task.

    Args:
        description: The user's own words about the task, its data and its constraints.
        dataset_profile: What inspecting the user's dataset found; its row count and format override
            what the description says.
        hardware: The machine the user would train on; used to rank models that fit.
        evidence: Scores measured on the user's data (base model, learning-curve probe); a decisive one
            outweighs anything read from the text.
        profile: The description already read (by an LLM, as ``assess_task``'s structured arguments);
            when None the offline reader reads it.

    Returns:
        The advice, with ranked reasons, a calibrated confidence, questions and recommended models.
    """
    beliefs: dict[str, dict[str, float]] | None = None
    if profile is None:
        from assistant.advisor.understanding import load_reader, read_profile

        profile, beliefs = read_profile(description)
        if profile.task is not None and beliefs["task"][profile.task] < TASK_MIN:
            profile = profile.model_copy(update={"task": None})
    if dataset_profile is not None:
        profile = _with_dataset(profile, beliefs, dataset_profile)
    if beliefs is not None:
        distribution = decision_distribution(beliefs)
        decision: Decision | None = max(DECISIONS, key=distribution.__getitem__)
        task_p = beliefs["task"].get(profile.task or "unknown", 0.0)
        confidence = load_reader().calibrate(task_p * distribution[decision])  # type: ignore[index]
    else:
        decision = decide_profile(profile)
        distribution = {d: float(d == decision) for d in DECISIONS}
        confidence = LLM_CONFIDENCE
    decision, measured = _evidence_reasons(evidence, decision)
    if measured:
        confidence = max(confidence, 0.9)
    assert decision is not None
    reasons = measured + reasons_for(profile, decision)
    questions = questions_for(profile, decision)
    rare = [name for name, count in (dataset_profile.labels or {}).items() if count < 10] if dataset_profile else []
    if rare:
        questions.insert(0, f"Some labels have fewer than 10 examples ({', '.join(rare[:3])}); can you add more, "
                            "or merge them into a broader label?")
    leaning: Decision | None = None
    if profile.task is None:
        leaning, decision = decision, None
        questions = [DECIDING_QUESTION["task"], *questions]
        confidence = min(confidence, 0.4)
    elif confidence < ASK_BELOW and not measured and beliefs is not None:
        leaning, decision = decision, None
        questions = [DECIDING_QUESTION[_deciding_field(beliefs)], *questions]
    if decision == "fine-tune" and hardware is not None and hardware.device == "cpu" and profile.task in GENERATIVE:
        reasons.append("You have no GPU, so pick a small model: fine-tuning a large generative model on a CPU "
                       "takes days.")
    machine = hardware if hardware is not None else reference_hardware()
    models, catalog_status = pick_models(decision or leaning or "prompt", profile.task, machine, profile.languages)
    signals: dict[str, object] = {
        "scores": {d: round(p, 3) for d, p in distribution.items()},
        "read_by": "offline reader" if beliefs is not None else "LLM",
        "certainty": {k: round(v, 3) for k, v in profile.certainty.items()},
        "labelled_examples": profile.labelled_examples,
        "languages": profile.languages,
        "catalog": catalog_status,
        "hardware": machine.describe() + ("" if hardware is not None else " (assumed; none given)"),
    }
    if evidence is not None:
        signals["evidence"] = evidence.model_dump()
    return Advice(decision=decision, task=profile.task, confidence=round(confidence, 2), reasons=reasons,
                  questions=questions[:4], models=models if decision is not None or profile.task else [],
                  leaning=leaning, profile=profile, signals=signals)
