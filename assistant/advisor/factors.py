"""The advisor's rules: how each signal read from a description, a dataset or a measurement weighs on
the decision between fine-tuning, prompting and retrieval.

Every rule yields a :class:`Factor`: the decision it supports, a weight and a reason in plain language
quoting the user's own words and numbers. :func:`assistant.advisor.advise.advise` sums the weights per decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from assistant.advisor.patterns import LOW_RESOURCE

if TYPE_CHECKING:
    from assistant.advisor.inputs import Evidence
    from assistant.advisor.signals import TextSignals

Decision = Literal["fine-tune", "prompt", "rag"]
DECISIONS: tuple[Decision, ...] = ("fine-tune", "prompt", "rag")
# Tasks whose output is written text (training on them needs more examples than labelling does).
GENERATIVE = ("summarization", "translation", "chat")
# Tasks (None: not clear yet) where answers may need knowledge from documents, so retrieval can help.
KNOWLEDGE_TASKS = (None, "question-answering", "chat")


@dataclass
class Factor:
    """One signal's push towards a decision: how hard, why (in a full sentence), and what it came from."""

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


def data_factor(count: float, quote: str, task: str | None) -> Factor:
    """How the number of labelled examples pushes the decision."""
    generative = task in GENERATIVE
    n = _n(count)
    src = f' ("{quote}")' if quote else ""
    if count == 0:
        return Factor("prompt", 2.5, f"You have no labelled examples yet{src}, so fine-tuning has nothing to "
                      "learn from — start with a well-written prompt.", "data")
    if count < 50:
        return Factor("prompt", 2.0, f"You have only about {n} labelled examples{src} — too few to fine-tune "
                      "reliably, but ideal as few-shot examples inside a prompt.", "data")
    if generative and count < 300:
        return Factor("prompt", 0.8, f"About {n} examples{src} is thin for training a model to write; use "
                      "them as examples in a prompt first.", "data")
    if count < 200:
        return Factor("fine-tune", 0.8, f"You have about {n} labelled examples{src} — enough to start a small "
                      "model, though more would make it more reliable.", "data")
    if count < 1000:
        what = "learn your style and format" if generative else "learn your label set"
        weight = 1.4 if generative else 1.8
        return Factor("fine-tune", weight, f"You have about {n} labelled examples{src} — enough for a small "
                      f"model to {what}.", "data")
    weight = 3.0 if count >= 10_000 else 2.5
    return Factor("fine-tune", weight, f"You have about {n} labelled examples{src} — plenty to fine-tune a "
                  "model that matches your own data closely.", "data")


def _traffic_factor(per_day: float | None, quote: str) -> Factor | None:
    """How many requests a day push the decision (small tuned models are cheap and fast at volume)."""
    if per_day is None:
        return Factor("fine-tune", 0.8, f'You handle a lot of items ("{quote}"), which makes a small, cheap '
                      "model worth having.", "volume")
    if per_day >= 10_000:
        return Factor("fine-tune", 1.5, f'At about {_n(per_day)} requests a day ("{quote}") per-request costs '
                      "add up fast; a small fine-tuned model is far cheaper to run.", "volume")
    if per_day >= 100:
        weight = 1.0 if per_day >= 1000 else 0.5
        return Factor("fine-tune", weight, f'"{quote}" is steady traffic (about {_n(per_day)} a day): a small '
                      "fine-tuned model handles each one in milliseconds for a fraction of a large model's "
                      "cost.", "volume")
    if per_day < 20:
        return Factor("prompt", 1.3, f'The volume is low ("{quote}"), so paying per request for a prompted '
                      "model costs less than training and hosting your own.", "volume")
    return None


def text_factors(sig: TextSignals, task: str | None) -> list[Factor]:
    """Factors from the cues of the description itself."""
    factors: list[Factor] = []
    for kind, quote in sig.cues.items():
        if kind not in CUE_RULES:  # descriptive cues (e.g. a passage comes with the question) carry no weight
            continue
        decision, weight, template = CUE_RULES[kind]
        if decision == "rag" and task not in KNOWLEDGE_TASKS:
            weight *= 0.3  # retrieval supplies knowledge; labelling, summarising or translating needs little
        if kind == "style" and task not in GENERATIVE:
            weight *= 0.5
        factors.append(Factor(decision, weight, template.format(q=quote.text), kind))
    if sig.label_count and task in ("text-classification", "token-classification"):
        unit = "entity types" if task == "token-classification" else "labels"
        listed = ", ".join(sig.label_list)
        if listed:
            listed = f" ({listed})" if len(sig.label_list) == sig.label_count else f" (such as {listed})"
        factors = [f for f in factors if f.key != "fixed_labels"]
        factors.append(Factor("fine-tune", 1.2, f"You have a fixed set of {sig.label_count} {unit}{listed} — a "
                              "fine-tuned model always returns one of them and learns where the lines between "
                              "them fall.", "labels"))
    if sig.traffic is not None:
        traffic = _traffic_factor(sig.traffic.value, sig.traffic.text)
        if traffic is not None:
            factors = [f for f in factors if f.key not in ("high_volume", "low_volume")
                       or f.decision != traffic.decision or f.weight < traffic.weight]
            if not any(f.key in ("high_volume", "low_volume") and f.decision == traffic.decision for f in factors):
                factors.append(traffic)
    if sig.corpus and (sig.corpus.value or 0) >= 500 and task in KNOWLEDGE_TASKS and "doc_scale" not in sig.cues:
        factors.append(Factor("rag", 1.5, f'You have a large body of documents ("{sig.corpus.text}") — too much '
                              "to teach a model reliably, but quick to search.", "doc_scale"))
    labelled = sig.labelled.value if sig.labelled else None
    if task == "question-answering" and (labelled is None or labelled < 500) and "given_passage" not in sig.cues:
        factors.append(Factor("rag", 1.0, "Answering questions from documents is what retrieval does best: it "
                              "finds the right passage and the model answers from it.", "qa"))
    if task == "translation" and sig.languages:
        rare = [code for code in sig.languages if code in LOW_RESOURCE]
        if rare:
            factors.append(Factor("fine-tune", 1.2, "General models translate less-resourced languages such as "
                                  f"'{rare[0]}' noticeably worse; fine-tuning on your pairs closes much of that "
                                  "gap.", "languages"))
        elif "domain" not in sig.cues and "style" not in sig.cues:
            factors.append(Factor("prompt", 1.0, "Translating between widely used languages is something large "
                                  "models already do well without training.", "languages"))
    if task == "chat" and labelled is None and not any(f.decision == "fine-tune" for f in factors):
        factors.append(Factor("prompt", 1.0, "General assistants are what instruction-tuned chat models already "
                              "are; a good system prompt gets you most of the way.", "chat"))
    return factors


def evidence_factors(ev: Evidence) -> list[Factor]:
    """Factors from scores measured on the user's data; they outweigh anything read from text."""
    scale = 100.0 if ev.base_score > 1 else 1.0
    base = ev.base_score / scale
    shown = f"{ev.base_score:.2f} {ev.metric}" + (f" on {ev.held_out_rows} held-out rows" if ev.held_out_rows else "")
    factors: list[Factor] = []
    if base >= 0.9:
        factors.append(Factor("prompt", 4.0, f"On your own data the base model already scores {shown} without "
                              "any training — prompting or zero-shot use is enough, and fine-tuning has little "
                              "room to improve it.", "evidence"))
    elif base >= 0.8:
        factors.append(Factor("prompt", 1.0, f"The base model already scores {shown} on your data, so check "
                              "whether that is good enough before training.", "evidence"))
    elif base < 0.6:
        factors.append(Factor("fine-tune", 1.0, f"The base model scores only {shown} on your data — there is a "
                              "lot of room for a fine-tuned model to do better.", "evidence"))
    probes = sorted((float(k), v / scale) for k, v in (ev.probe_scores or {}).items())
    if len(probes) >= 2 and base < 0.9:
        s0, s1 = probes[0][1], probes[-1][1]
        curve = ", ".join(f"{v * scale:.2f} at {f * 100:.0f}%" for f, v in probes)
        if s1 - s0 >= 0.03 and s1 > base:
            factors.append(Factor("fine-tune", 3.0, f"Training on a slice of your data already helps and keeps "
                                  f"improving with more of it ({ev.metric}: base {ev.base_score:.2f}, then "
                                  f"{curve} of the training rows in a quick probe).", "probe"))
        elif s1 - s0 < 0.01:
            factors.append(Factor("prompt", 1.5, f"The learning curve is flat ({ev.metric}: {curve}), so more "
                                  "data of the same kind is unlikely to help much.", "probe"))
    if ev.projected_score is not None and base < 0.9:
        gain = ev.projected_score / scale - base
        if gain >= 0.05:
            factors.append(Factor("fine-tune", 1.5, f"With all your data the projected {ev.metric} is "
                                  f"{ev.projected_score:.2f}, up from {ev.base_score:.2f} for the base model.",
                                  "projection"))
    return factors
