"""Should this team fine-tune, prompt, or retrieve? A transparent, rule-based advisor.

:func:`advise` reads a task description (and, when the user shares them, a dataset profile, the hardware
and measured evidence) and returns an :class:`Advice`: a decision, the task, ranked reasons in plain
language quoting the user's own words and numbers, a confidence, the questions that would change the
answer and models from the catalog. Each signal adds a weight to one decision; the decision is the
largest total and the confidence grows with the margin. It is pure and fast: no model is loaded.

The parts: :mod:`assistant.advisor.signals` reads the description (its regex tables are in
:mod:`assistant.advisor.patterns`), :mod:`assistant.advisor.inputs` holds the dataset profile and the measured
evidence, :mod:`assistant.advisor.factors` weighs each signal and :mod:`assistant.advisor.models` picks catalog
models; this module combines them into the advice.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, cast

from pydantic import BaseModel, Field

from assistant.advisor.factors import (
    DECISIONS,
    GENERATIVE,
    KNOWLEDGE_TASKS,
    Decision,
    Factor,
    data_factor,
    evidence_factors,
    text_factors,
)
from assistant.advisor.inputs import DatasetProfile, Evidence
from assistant.advisor.models import ModelPick, pick_models, reference_hardware
from assistant.advisor.signals import Quote, TextSignals, read_signals
from catalog.schema import Task

if TYPE_CHECKING:
    from catalog.hardware import Hardware

_TASK_THRESHOLD = 1.5
_PROMPT_PRIOR = 0.6


class Advice(BaseModel):
    """The advisor's answer: what to do, why, how sure, and what would change it."""

    decision: Decision
    task: Task | None = Field(description="None only when the description is too vague to tell.")
    confidence: float = Field(ge=0, le=1)
    reasons: list[str] = Field(description="Most important first, each a full sentence.")
    questions: list[str] = Field(default_factory=list, description="What would change the answer.")
    models: list[ModelPick] = Field(default_factory=list)
    signals: dict[str, object] = Field(default_factory=dict, description="What was detected.")

    def to_markdown(self) -> str:
        """Render the advice as a chat message in Markdown."""
        headline = {
            "fine-tune": "**fine-tune** a model on your examples",
            "prompt": "**prompt** an existing model (no training needed)",
            "rag": "**rag** (retrieval-augmented generation): search your documents and let a chat model "
                   "answer from what it finds",
        }[self.decision]
        task = self.task.replace("-", " ") if self.task else "not clear yet"
        lines = [f"### Recommendation: {headline}", "",
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


def _confidence(scores: dict[Decision, float], factors: list[Factor], task: str | None, decision: str,
                knows_data: bool) -> float:
    """Confidence from the margin between the best and second-best decision, damped when little was said."""
    top, second = sorted(scores.values(), reverse=True)[:2]
    margin_part = 0.2 + 0.75 * (1 - math.exp(-(top - second) / 2.5))
    coverage = min(1.0, 0.45 + sum(abs(f.weight) for f in factors) / 7)
    confidence = margin_part * coverage
    if decision == "fine-tune" and not knows_data:
        confidence *= 0.8  # fine-tuning hinges on data we have not heard about yet
    if task is None:
        confidence = min(confidence, 0.4)
    return round(max(0.05, min(0.97, confidence)), 2)


def _questions(task: str | None, sig: TextSignals, decision: str, labelled: float | None,
               profile: DatasetProfile | None, evidence: Evidence | None) -> list[str]:
    """What the user could tell us that would change the answer, most useful first."""
    asks: list[str] = []
    if task is None:
        asks.append("What should the output be: a label for each text, names or fields pulled out of the text, "
                    "an answer to a question, a summary, a translation, or free-written replies?")
    if decision == "rag":
        if sig.corpus is None and "doc_scale" not in sig.cues:
            asks.append("How many documents would retrieval search, and in what form (web pages, PDFs, a "
                        "wiki)? That decides how to split and index them.")
        asks.append("Besides the facts, must answers follow a fixed format or your house style? That part can "
                    "be fine-tuned later on top of retrieval.")
    elif labelled is None:
        asks.append("How many examples do you have of the input together with the output you want? Roughly "
                    "500 or more makes fine-tuning worthwhile; a handful suits prompting.")
    elif labelled < 50:
        asks.append("Could you label more examples? With about 200-500, a small fine-tuned model usually beats "
                    "prompting on a fixed task.")
    if task in KNOWLEDGE_TASKS and not ({"changing", "citations", "knowledge_base"} & set(sig.cues)):
        asks.append("Do the answers depend on documents or facts that change, and must they cite a source? "
                    "If so, retrieval (RAG) is the better route.")
    if sig.traffic is None and not ({"high_volume", "low_volume", "latency", "prototype"} & set(sig.cues)):
        asks.append("How many requests a day do you expect, and how fast must each answer be? High volume or "
                    "tight latency favours a small fine-tuned model.")
    if decision == "prompt" and not ({"privacy", "on_prem"} & set(sig.cues)):
        asks.append("May the text be sent to a hosted model's API? If it must stay on your machines, a small "
                    "fine-tuned model becomes the better choice.")
    if evidence is None and task is not None and decision != "rag":
        asks.append("Share a sample of your data and I will measure the base model on it: if it already scores "
                    "0.9 or more, prompting is enough; if it is low and improves with training, fine-tune.")
    if profile is None and labelled and sig.label_count and task == "text-classification":
        asks.append(f"Are your labelled examples spread across all {sig.label_count} labels? A label with "
                    "fewer than about 30 examples is the one a fine-tuned model gets wrong most.")
    if profile and profile.labels:
        rare = [name for name, count in profile.labels.items() if count < 10]
        if rare:
            asks.insert(0, f"Some labels have fewer than 10 examples ({', '.join(rare[:3])}); can you add more, "
                           "or merge them into a broader label?")
    return asks[:4]


def _resolve_task(sig: TextSignals, profile: DatasetProfile | None) -> tuple[Task | None, str | None]:
    """The task and where it came from: the dataset's format wins over the words of the description."""
    if profile is not None and profile.task is not None:
        return profile.task, "dataset"
    best = max(sig.task_scores, key=lambda t: sig.task_scores[t])  # ties: the first task in TASKS order
    if sig.task_scores[best] >= _TASK_THRESHOLD:
        return cast(Task, best), "description"
    return None, None


def advise(description: str, dataset_profile: DatasetProfile | None = None, hardware: Hardware | None = None,
           evidence: Evidence | None = None) -> Advice:
    """Advise whether to fine-tune, prompt or use retrieval for a language task.

    Args:
        description: The user's own words about the task, its data and its constraints.
        dataset_profile: What inspecting the user's dataset found; its row count and format override
            what the description says.
        hardware: The machine the user would train on; used to rank models that fit.
        evidence: Scores measured on the user's data (base model, learning-curve probe); they outweigh
            anything read from the text.

    Returns:
        The advice, with ranked reasons, a confidence, open questions and recommended models.
    """
    sig = read_signals(description)
    task, task_source = _resolve_task(sig, dataset_profile)
    if dataset_profile is not None:
        labels = dataset_profile.labels
        if labels:
            sig.label_list = sorted(labels, key=lambda name: -labels[name])[:8]  # stable: ties keep file order
            sig.label_count = len(labels)
        sig.labelled = Quote("labelled", f"{dataset_profile.rows:,} rows in your dataset", dataset_profile.rows)
        sig.languages = dataset_profile.languages or sig.languages
    factors = text_factors(sig, task)
    labelled = sig.labelled.value if sig.labelled else None
    if labelled is not None:
        factors.append(data_factor(labelled, sig.labelled.text if sig.labelled else "", task))
    if evidence is not None:
        factors += evidence_factors(evidence)

    scores = {d: 0.0 for d in DECISIONS}
    scores["prompt"] += _PROMPT_PRIOR
    for f in factors:
        scores[f.decision] += f.weight
    decision: Decision = max(DECISIONS, key=lambda d: scores[d])  # ties: fine-tune, prompt, rag order
    support = sorted((f for f in factors if f.decision == decision), key=lambda f: -f.weight)
    against = sorted((f for f in factors if f.decision != decision and f.weight >= 1.0), key=lambda f: -f.weight)
    reasons = [f.reason for f in support]
    reasons += [f"On the other hand: {f.reason[0].lower()}{f.reason[1:]}" for f in against[:2]]
    if not support:
        reasons.insert(0, "Nothing you describe yet calls for training a model or searching documents, so the "
                          "cheapest first step is to prompt an existing model and see how far that gets you.")
    if decision == "fine-tune" and hardware is not None and hardware.device == "cpu" and task in GENERATIVE:
        reasons.append("You have no GPU, so pick a small model: fine-tuning a large generative model on a CPU "
                       "takes days.")
    machine = hardware if hardware is not None else reference_hardware()
    models, catalog_status = pick_models(decision, task, machine, sig.languages)
    signals: dict[str, object] = {
        "task_scores": sig.task_scores,
        "task_source": task_source,
        "labelled_examples": None if labelled is None else int(labelled),
        "traffic_per_day": round(sig.traffic.value, 1) if sig.traffic and sig.traffic.value else None,
        "label_count": sig.label_count,
        "label_set": sig.label_list,
        "languages": sig.languages,
        "cues": {kind: q.text for kind, q in sig.cues.items()},
        "scores": {d: round(s, 2) for d, s in scores.items()},
        "catalog": catalog_status,
        "hardware": machine.describe() + ("" if hardware is not None else " (assumed; none given)"),
    }
    if evidence is not None:
        signals["evidence"] = evidence.model_dump()
    return Advice(
        decision=decision,
        task=task,
        confidence=_confidence(scores, factors, task, decision, labelled is not None or evidence is not None),
        reasons=reasons,
        questions=_questions(task, sig, decision, labelled, dataset_profile, evidence),
        models=models,
        signals=signals,
    )
