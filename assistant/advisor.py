"""Should this team fine-tune, prompt, or retrieve? A transparent, rule-based advisor.

:func:`advise` reads a task description (and, when the user shares them, a dataset profile, the hardware
and measured evidence) and returns an :class:`Advice`: a decision, the task, ranked reasons in plain
language quoting the user's own words and numbers, a confidence, the questions that would change the
answer and models from the catalog. Each signal adds a weight to one decision; the decision is the
largest total and the confidence grows with the margin. It is pure and fast: no model is loaded.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import BaseModel, Field

from assistant.advisor_signals import LOW_RESOURCE, Quote, TextSignals, read_signals
from catalog.schema import Task

if TYPE_CHECKING:
    from catalog.hardware import Hardware

logger = logging.getLogger(__name__)

Decision = Literal["fine-tune", "prompt", "rag"]
DECISIONS: tuple[Decision, ...] = ("fine-tune", "prompt", "rag")
_GENERATIVE = ("summarization", "translation", "chat")
_KNOWLEDGE_TASKS = (None, "question-answering", "chat")
_TASK_THRESHOLD = 1.5
_PROMPT_PRIOR = 0.6


class DatasetProfile(BaseModel):
    """What the data inspection found in the user's dataset."""

    rows: int = Field(ge=0, description="Labelled rows (input with the wanted output).")
    task: Task | None = Field(default=None, description="Task the data's format implies, if any.")
    labels: dict[str, int] | None = Field(default=None, description="Label -> count, for classification.")
    avg_tokens: float | None = Field(default=None, ge=0, description="Mean input length in tokens.")
    languages: list[str] | None = Field(default=None, description="ISO 639-1 codes of the text.")


class Evidence(BaseModel):
    """Scores measured on the user's own data, in a metric where higher is better (accuracy, F1, ROUGE)."""

    metric: str = Field(description="Metric name, e.g. 'accuracy', 'macro-F1', 'ROUGE-L'.")
    base_score: float = Field(ge=0, description="Base model score on a held-out slice (0..1 or 0..100).")
    probe_scores: dict[str, float] | None = Field(
        default=None, description="Fraction of training data (e.g. '0.25') -> score after a short probe run."
    )
    projected_score: float | None = Field(default=None, description="Score extrapolated to all the data.")


class ModelPick(BaseModel):
    """A recommended model from the catalog."""

    id: str
    name: str
    reason: str


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


@dataclass
class _Factor:
    decision: Decision
    weight: float
    reason: str
    key: str


# cue kind -> (decision it supports, weight, reason with the user's words as {q})
CUE_RULES: dict[str, tuple[Decision, float, str]] = {
    "fixed_labels": ("fine-tune", 1.2, 'You need answers from a fixed set ("{q}") — a fine-tuned model always '
                     "returns one of your labels and learns where the lines between them fall."),
    "strict_format": ("fine-tune", 1.2, 'You need a strict output format ("{q}") — fine-tuning makes a model '
                      "produce it every time, where a prompted model sometimes drifts."),
    "domain": ("fine-tune", 1.3, 'Your text is specialised ("{q}") — general models know such vocabulary less '
               "well, and fine-tuning on your examples teaches it to them."),
    "style": ("fine-tune", 1.6, 'You want output in your own voice ("{q}") — a style is hard to describe in a '
              "prompt but easy for a model to learn from your past writing."),
    "latency": ("fine-tune", 1.2, 'Speed matters ("{q}") — a small fine-tuned model answers in milliseconds, '
                "much faster than a large prompted one."),
    "cost": ("fine-tune", 1.0, 'Cost matters ("{q}") — a small fine-tuned model costs a fraction of a large '
             "model per request."),
    "privacy": ("fine-tune", 1.3, 'The data is sensitive ("{q}") — a small model you fine-tune and host '
                "yourself keeps it on your own machines."),
    "on_prem": ("fine-tune", 1.3, 'It has to run on your own hardware ("{q}") — a small fine-tuned model fits '
                "there, where large hosted models cannot go."),
    "high_volume": ("fine-tune", 1.5, 'At your volume ("{q}") per-request costs add up fast; a small '
                    "fine-tuned model is far cheaper to run."),
    "low_volume": ("prompt", 1.5, 'The volume is low ("{q}"), so paying per request for a prompted model costs '
                   "less than training and hosting your own."),
    "prototype": ("prompt", 1.8, 'This is a first try or a one-off ("{q}") — prompting gives results today, '
                  "with nothing to train or maintain; fine-tune later if it proves its worth."),
    "general": ("prompt", 1.0, 'This is general-purpose work ("{q}") that large models already do well out of '
                "the box."),
    "no_ml_team": ("prompt", 1.0, 'You have limited ML resources ("{q}") — prompting a hosted model needs no '
                   "training infrastructure."),
    "changing": ("rag", 3.0, 'The information changes ("{q}") — retrieval reads the current documents at '
                 "question time, while a fine-tuned model is frozen at its training date."),
    "citations": ("rag", 2.5, 'Answers must show where they come from ("{q}") — retrieval hands the model the '
                  "exact passages, so every answer can point to its source."),
    "knowledge_base": ("rag", 1.2, 'The answers live in your documents ("{q}") — retrieval looks them up '
                       "instead of hoping a model memorised them."),
    "doc_scale": ("rag", 1.5, 'You have a large body of documents ("{q}") — too much to teach a model '
                  "reliably, but quick to search."),
    "facts": ("rag", 1.0, 'Answers must be factually right ("{q}") — grounding them in retrieved text is the '
              "best guard against made-up answers."),
}


def _n(value: float) -> str:
    """A count for humans: 700, 3,000, 2.5 million."""
    if value >= 1_000_000:
        return f"{value / 1e6:.1f}".rstrip("0").rstrip(".") + " million"
    return f"{round(value):,}"


def _data_factor(count: float, quote: str, task: str | None) -> _Factor:
    """How the number of labelled examples pushes the decision."""
    generative = task in _GENERATIVE
    n = _n(count)
    src = f' ("{quote}")' if quote else ""
    if count == 0:
        return _Factor("prompt", 2.5, f"You have no labelled examples yet{src}, so fine-tuning has nothing to "
                       "learn from — start with a well-written prompt.", "data")
    if count < 50:
        return _Factor("prompt", 2.0, f"You have only about {n} labelled examples{src} — too few to fine-tune "
                       "reliably, but ideal as few-shot examples inside a prompt.", "data")
    if generative and count < 300:
        return _Factor("prompt", 0.8, f"About {n} examples{src} is thin for training a model to write; use "
                       "them as examples in a prompt first.", "data")
    if count < 200:
        return _Factor("fine-tune", 0.8, f"You have about {n} labelled examples{src} — enough to start a small "
                       "model, though more would make it more reliable.", "data")
    if count < 1000:
        what = "learn your style and format" if generative else "learn your label set"
        weight = 1.4 if generative else 1.8
        return _Factor("fine-tune", weight, f"You have about {n} labelled examples{src} — enough for a small "
                       f"model to {what}.", "data")
    weight = 3.0 if count >= 10_000 else 2.5
    return _Factor("fine-tune", weight, f"You have about {n} labelled examples{src} — plenty to fine-tune a "
                   "model that matches your own data closely.", "data")


def _traffic_factor(per_day: float | None, quote: str) -> _Factor | None:
    """How many requests a day push the decision (small tuned models are cheap and fast at volume)."""
    if per_day is None:
        return _Factor("fine-tune", 0.8, f'You handle a lot of items ("{quote}"), which makes a small, cheap '
                       "model worth having.", "volume")
    if per_day >= 10_000:
        return _Factor("fine-tune", 1.5, f'At about {_n(per_day)} requests a day ("{quote}") per-request costs '
                       "add up fast; a small fine-tuned model is far cheaper to run.", "volume")
    if per_day >= 100:
        weight = 1.0 if per_day >= 1000 else 0.5
        return _Factor("fine-tune", weight, f'"{quote}" is steady traffic (about {_n(per_day)} a day): a small '
                       "fine-tuned model handles each one in milliseconds for a fraction of a large model's "
                       "cost.", "volume")
    if per_day < 20:
        return _Factor("prompt", 1.3, f'The volume is low ("{quote}"), so paying per request for a prompted '
                       "model costs less than training and hosting your own.", "volume")
    return None


def _text_factors(sig: TextSignals, task: str | None) -> list[_Factor]:
    """Factors from the cues of the description itself."""
    factors: list[_Factor] = []
    for kind, quote in sig.cues.items():
        if kind not in CUE_RULES:  # descriptive cues (e.g. a passage comes with the question) carry no weight
            continue
        decision, weight, template = CUE_RULES[kind]
        if decision == "rag" and task not in _KNOWLEDGE_TASKS:
            weight *= 0.3  # retrieval supplies knowledge; labelling, summarising or translating needs little
        if kind == "style" and task not in _GENERATIVE:
            weight *= 0.5
        factors.append(_Factor(decision, weight, template.format(q=quote.text), kind))
    if sig.label_count and task in ("text-classification", "token-classification"):
        unit = "entity types" if task == "token-classification" else "labels"
        listed = ", ".join(sig.label_list)
        if listed:
            listed = f" ({listed})" if len(sig.label_list) == sig.label_count else f" (such as {listed})"
        factors = [f for f in factors if f.key != "fixed_labels"]
        factors.append(_Factor("fine-tune", 1.2, f"You have a fixed set of {sig.label_count} {unit}{listed} — a "
                               "fine-tuned model always returns one of them and learns where the lines between "
                               "them fall.", "labels"))
    if sig.traffic is not None:
        traffic = _traffic_factor(sig.traffic.value, sig.traffic.text)
        if traffic is not None:
            factors = [f for f in factors if f.key not in ("high_volume", "low_volume")
                       or f.decision != traffic.decision or f.weight < traffic.weight]
            if not any(f.key in ("high_volume", "low_volume") and f.decision == traffic.decision for f in factors):
                factors.append(traffic)
    if sig.corpus and (sig.corpus.value or 0) >= 500 and task in _KNOWLEDGE_TASKS and "doc_scale" not in sig.cues:
        factors.append(_Factor("rag", 1.5, f'You have a large body of documents ("{sig.corpus.text}") — too much '
                               "to teach a model reliably, but quick to search.", "doc_scale"))
    labelled = sig.labelled.value if sig.labelled else None
    if task == "question-answering" and (labelled is None or labelled < 500) and "given_passage" not in sig.cues:
        factors.append(_Factor("rag", 1.0, "Answering questions from documents is what retrieval does best: it "
                               "finds the right passage and the model answers from it.", "qa"))
    if task == "translation" and sig.languages:
        rare = [code for code in sig.languages if code in LOW_RESOURCE]
        if rare:
            factors.append(_Factor("fine-tune", 1.2, "General models translate less-resourced languages such as "
                                   f"'{rare[0]}' noticeably worse; fine-tuning on your pairs closes much of that "
                                   "gap.", "languages"))
        elif "domain" not in sig.cues and "style" not in sig.cues:
            factors.append(_Factor("prompt", 1.0, "Translating between widely used languages is something large "
                                   "models already do well without training.", "languages"))
    if task == "chat" and labelled is None and not any(f.decision == "fine-tune" for f in factors):
        factors.append(_Factor("prompt", 1.0, "General assistants are what instruction-tuned chat models already "
                               "are; a good system prompt gets you most of the way.", "chat"))
    return factors


def _evidence_factors(ev: Evidence) -> list[_Factor]:
    """Factors from scores measured on the user's data; they outweigh anything read from text."""
    scale = 100.0 if ev.base_score > 1 else 1.0
    base = ev.base_score / scale
    shown = f"{ev.base_score:.2f} {ev.metric}"
    factors: list[_Factor] = []
    if base >= 0.9:
        factors.append(_Factor("prompt", 4.0, f"On your own data the base model already scores {shown} without "
                               "any training — prompting or zero-shot use is enough, and fine-tuning has little "
                               "room to improve it.", "evidence"))
    elif base >= 0.8:
        factors.append(_Factor("prompt", 1.0, f"The base model already scores {shown} on your data, so check "
                               "whether that is good enough before training.", "evidence"))
    elif base < 0.6:
        factors.append(_Factor("fine-tune", 1.0, f"The base model scores only {shown} on your data — there is a "
                               "lot of room for a fine-tuned model to do better.", "evidence"))
    probes = sorted((float(k), v / scale) for k, v in (ev.probe_scores or {}).items())
    if len(probes) >= 2 and base < 0.9:
        s0, s1 = probes[0][1], probes[-1][1]
        curve = ", ".join(f"{v * scale:.2f} at {f * 100:.0f}%" for f, v in probes)
        if s1 - s0 >= 0.03 and s1 > base:
            factors.append(_Factor("fine-tune", 3.0, f"Training on a slice of your data already helps and keeps "
                                   f"improving with more of it ({ev.metric}: base {ev.base_score:.2f}, then "
                                   f"{curve}).", "probe"))
        elif s1 - s0 < 0.01:
            factors.append(_Factor("prompt", 1.5, f"The learning curve is flat ({ev.metric}: {curve}), so more "
                                   "data of the same kind is unlikely to help much.", "probe"))
    if ev.projected_score is not None and base < 0.9:
        gain = ev.projected_score / scale - base
        if gain >= 0.05:
            factors.append(_Factor("fine-tune", 1.5, f"With all your data the projected {ev.metric} is "
                                   f"{ev.projected_score:.2f}, up from {ev.base_score:.2f} for the base model.",
                                   "projection"))
    return factors


def _confidence(scores: dict[Decision, float], factors: list[_Factor], task: str | None, decision: str,
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
    if task in _KNOWLEDGE_TASKS and not ({"changing", "citations", "knowledge_base"} & set(sig.cues)):
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


_AVAILABLE = {"packaged": "works offline (ships in a Python package)", "cached": "already in your local cache",
              "hub": "downloads from the Hugging Face Hub", "unavailable": "not downloadable right now"}
_CPU_PROMPT_MAX_PARAMS = 4_000_000_000  # above this, CPU generation is too slow for interactive use


def _reference_hardware() -> Hardware:
    """The machine ranked for when none is given: a CPU-only laptop, so advice never probes the machine."""
    from catalog.hardware import Hardware

    return Hardware(device="cpu", ram_gb=16.0, cpu_count=8)


def _pick_models(decision: str, task: str | None, hardware: Hardware,
                 languages: list[str]) -> tuple[list[ModelPick], str]:
    """Top catalog models: for fine-tuning, models of the task that train here; otherwise chat models to use."""
    want = task if decision == "fine-tune" else "chat"
    if want is None:
        return [], "no task"
    try:
        from catalog.estimate import memory_budget_gb
        from catalog.search import search_models
    except ImportError:
        return [], "catalog search not available"
    language = next((code for code in languages if code != "en"), None)
    try:
        ranked = search_models(task=want, language=language, hardware=hardware)
        if not ranked and language:
            ranked = search_models(task=want, hardware=hardware)
    except Exception:  # the advice stays useful without models; the cause goes to the log
        logger.warning("catalog search failed for task %s", want, exc_info=True)
        return [], "catalog search failed"
    if decision == "fine-tune":
        ranked = sorted(ranked, key=lambda r: not r.fits)[:3]  # stable: keeps the catalog's order otherwise
        return [ModelPick(id=r.entry.id, name=r.entry.name, reason=r.reason.removeprefix(f"{r.entry.name}: ")
                          + ("" if r.fits else " It may not fit your hardware.")) for r in ranked], "ok"
    # Prompting needs no training, so capability matters most: the largest chat model that runs here
    # (4-bit weights take about 0.6 bytes a parameter; on a CPU, speed caps the size).
    budget_gb = memory_budget_gb(hardware)
    cap = math.inf if hardware.device == "cuda" else _CPU_PROMPT_MAX_PARAMS

    def runs(r: Any) -> bool:
        return r.entry.params <= cap and r.entry.params * 0.6 / 2**30 + 1.0 <= budget_gb

    ranked = sorted((r for r in ranked if runs(r)), key=lambda r: (r.entry.gated, -r.entry.params))[:3]
    role = ("Prompt it with your instructions and a few examples" if decision == "prompt"
            else "Let it answer from the passages retrieval finds")
    return [ModelPick(id=r.entry.id, name=r.entry.name,
                      reason=f"{role}; {r.entry.size_label} parameters, runs on this machine, "
                             f"{_AVAILABLE[r.available]}, {r.entry.license} licence.") for r in ranked], "ok"


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
    factors = _text_factors(sig, task)
    labelled = sig.labelled.value if sig.labelled else None
    if labelled is not None:
        factors.append(_data_factor(labelled, sig.labelled.text if sig.labelled else "", task))
    if evidence is not None:
        factors += _evidence_factors(evidence)

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
    if decision == "fine-tune" and hardware is not None and hardware.device == "cpu" and task in _GENERATIVE:
        reasons.append("You have no GPU, so pick a small model: fine-tuning a large generative model on a CPU "
                       "takes days.")
    machine = hardware if hardware is not None else _reference_hardware()
    models, catalog_status = _pick_models(decision, task, machine, sig.languages)
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
