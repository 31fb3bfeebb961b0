"""The advisor's policy: one transparent, deterministic map from a :class:`TaskProfile` to a decision.

The rules, in order (the first that applies decides):

1. Answers depend on facts that change, or must cite documents -> **rag** (retrieval stays current;
   fine-tuning would bake in a snapshot).
2. A one-off personal ask -> **prompt**.
3. Many labelled examples (:data:`~assistant.advisor.profile.ENOUGH_EXAMPLES` or more) -> **fine-tune**.
4. None or few labelled examples -> **prompt** (few-shot with what there is; collect more).
5. Not said: high volume together with a latency, privacy or house-style need -> **fine-tune** (it pays
   back once the data is labelled); otherwise **prompt**.

The same rules serve both readers (an LLM's structured profile, or the offline reader). When a reader gives
a probability for each field, :func:`decision_distribution` runs the rules over every combination of
values, so the decision comes with the probability that the rules would give it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Literal

from assistant.advisor.profile import ENOUGH_EXAMPLES, LabelledBucket, TaskProfile

Decision = Literal["fine-tune", "prompt", "rag"]
DECISIONS: tuple[Decision, ...] = ("fine-tune", "prompt", "rag")

Beliefs = Mapping[str, Mapping[str, float]]
"""Field -> value (as a string: ``"True"``, ``"many"``, ...) -> probability."""

_DECIDING = ("changing_knowledge", "personal", "labelled", "volume", "latency", "privacy", "domain_style")


def decide(changing_knowledge: bool, personal: bool, labelled: LabelledBucket, volume: str, latency: bool,
           privacy: bool, domain_style: bool) -> Decision:
    """The rules of this module, on plain values (see the module docstring)."""
    if changing_knowledge:
        return "rag"
    if personal:
        return "prompt"
    if labelled == "many":
        return "fine-tune"
    if labelled in ("none", "few"):
        return "prompt"
    return "fine-tune" if volume == "high" and (latency or privacy or domain_style) else "prompt"


def decide_profile(profile: TaskProfile) -> Decision:
    """The decision for a profile."""
    return decide(profile.changing_knowledge, profile.personal, profile.bucket(), profile.volume,
                  profile.latency, profile.privacy, profile.domain_style)


def _as_value(field: str, text: str) -> object:
    return text == "True" if field not in ("labelled", "volume") else text


def decision_distribution(beliefs: Beliefs, *, floor: float = 1e-4) -> dict[Decision, float]:
    """The probability of each decision when each deciding field is uncertain (fields independent).

    Args:
        beliefs: For each field of the rules, the probability of each value.
        floor: Values less likely than this are left out of the enumeration (their mass is renormalised).
    """
    choices = []
    for field in _DECIDING:
        options = [(v, p) for v, p in beliefs[field].items() if p >= floor]
        choices.append([(_as_value(field, v), p) for v, p in options])
    totals: dict[Decision, float] = dict.fromkeys(DECISIONS, 0.0)
    for combo in itertools.product(*choices):
        weight = 1.0
        for _, p in combo:
            weight *= p
        totals[decide(*(value for value, _ in combo))] += weight  # type: ignore[arg-type]
    mass = sum(totals.values()) or 1.0
    return {d: v / mass for d, v in totals.items()}


def _quote(profile: TaskProfile, field: str) -> str:
    words = profile.quotes.get(field)
    return f' ("{words}")' if words else ""


def _count(profile: TaskProfile) -> str:
    n = profile.labelled_examples
    if n is not None and n > 0:
        return f"{n:,} labelled examples"
    return {"none": "no labelled examples", "few": "only a few labelled examples",
            "many": "hundreds or more labelled examples"}.get(profile.bucket(), "labelled examples")


def _output(profile: TaskProfile) -> str:
    if profile.labels and profile.output_shape in ("label-set", "spans"):
        return f"your {'labels' if profile.output_shape == 'label-set' else 'entity types'} ({', '.join(profile.labels)})"
    return {"label-set": "your fixed set of labels", "spans": "the spans you want marked",
            "free-text": "the way your outputs are written"}.get(profile.output_shape, "your task")


#: The needs that favour a small model of one's own: field, what the user needs, why it favours one.
_NEED_REASONS = (
    ("volume", "At your volume", "a small tuned model costs far less per call than a large prompted one."),
    ("latency", "Your speed need", "a small tuned model answers in milliseconds; a large prompted model rarely does."),
    ("privacy", "Your data must stay with you", "a small tuned model runs on your own machines."),
    ("domain_style", "Your jargon or house style", "it is learned more reliably from examples than described in a "
                                                  "prompt."),
)


def reasons_for(profile: TaskProfile, decision: Decision) -> list[str]:
    """Ranked reasons for ``decision``, each a full sentence quoting the user's words where it can."""
    reasons: list[str] = []
    if decision == "rag":
        reasons.append("The answers depend on facts that change or must be cited" + _quote(profile, "changing_knowledge")
                       + ": retrieval looks them up at question time and can show its sources, while a "
                       "fine-tuned model would only know a snapshot of them.")
    elif decision == "prompt" and profile.personal:
        reasons.append("This is a one-off personal request" + _quote(profile, "personal") + ": a well-written "
                       "prompt to a capable chat model does it today; training a model would cost more than it saves.")
    elif decision == "prompt" and profile.bucket() == "unknown":
        reasons.append("You have not said how many labelled examples you have, and nothing else you describe "
                       f"needs a model of your own: start with a prompt, and collect examples — from about "
                       f"{ENOUGH_EXAMPLES} on, fine-tuning a small model usually does better on a fixed task.")
    elif decision == "prompt":
        count = _count(profile)
        reasons.append(f"You have {count}" + _quote(profile, "labelled") + f": fine-tuning starts to pay off "
                       f"from about {ENOUGH_EXAMPLES} labelled examples, so start with a prompt (few-shot with "
                       "the examples you have) and collect more as you go.")
    elif profile.bucket() == "unknown":
        reasons.append("Your volume, speed, privacy or style needs call for a small model of your own; once you "
                       f"have about {ENOUGH_EXAMPLES} labelled examples, fine-tune it on them.")
    else:
        reasons.append(f"You have {_count(profile)}" + _quote(profile, "labelled") + f": enough to fine-tune a "
                       f"small model that learns {_output(profile)} from examples.")
    if decision == "fine-tune" or (decision == "prompt" and profile.bucket() == "unknown"):
        # a need the user said is a reason in their words; one only inferred is a reason only where it decides
        # (labelled data not said), and then it is said to be inferred
        deciding = profile.bucket() == "unknown"
        for field, need, why in _NEED_REASONS:
            if getattr(profile, field) in (True, "high") and (profile.quotes.get(field) or deciding):
                said = profile.quotes.get(field)
                reasons.append(f'{need} ("{said}"): {why}' if said else
                               f"{need} (as I read your description; tell me if not): {why}")
    elif decision == "rag" and profile.domain_style:
        reasons.append("Your house style" + _quote(profile, "domain_style") + " can come later from a small "
                       "fine-tune on top of retrieval, once the answers are grounded.")
    return reasons


def questions_for(profile: TaskProfile, decision: Decision) -> list[str]:
    """What the user could tell that would change the answer."""
    questions: list[str] = []
    if decision != "rag":
        questions.append("Do the answers depend on facts that change (prices, stock, schedules) or on documents "
                         "that must be cited? Then retrieval (RAG) fits better.")
    if decision == "prompt" and not profile.personal:
        questions.append(f"Could you label more examples? From about {ENOUGH_EXAMPLES} labelled examples on, "
                         "fine-tuning a small model usually beats prompting on a fixed task.")
    if decision == "fine-tune" and profile.volume == "low" and profile.quotes.get("volume"):
        questions.append(f'At your volume ("{profile.quotes["volume"]}") a prompted model may be cheaper than '
                         "training and hosting your own: is accuracy on this fixed task worth the training?")
    elif decision == "fine-tune" and profile.volume != "high":
        questions.append("How many calls a day will it serve? At low volume a prompted model may be cheaper "
                         "than training and hosting your own.")
    if decision == "rag":
        questions.append("Is it the style or format of the answers you need rather than the facts? Then "
                         "fine-tuning on examples of good answers fits better.")
    return questions


DECIDING_QUESTION = {
    "task": "What should the model give back for each input: one label from a fixed set, marked spans of the "
            "text, answers to questions from your documents, a summary, a translation, or a written reply?",
    "changing_knowledge": "Do the answers depend on facts that change or on documents that must be cited?",
    "personal": "Is this a one-off for yourself, or something a team will run many times?",
    "labelled": "How many labelled examples (inputs with the output you want) do you have?",
    "volume": "Roughly how many times a day will this run?",
    "latency": "Does it need to answer within a fraction of a second?",
    "privacy": "Must the data stay on your own machines?",
    "domain_style": "Does it need your own jargon, tone or format?",
}
"""The one question to ask about each field when the advisor is unsure of it."""
