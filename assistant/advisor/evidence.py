"""What a measurement on the user's own data says about the decision.

The base model's score on a held-out slice and a learning-curve probe (:class:`~assistant.advisor.inputs.
Evidence`) outweigh anything read from text: :func:`evidence_factors` turns them into factors, each a
decision, a weight and a reason quoting the numbers; a factor of weight :data:`DECISIVE` or more overrides
the text-based policy (:mod:`assistant.advisor.advise`).
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.advisor.inputs import Evidence
from assistant.advisor.policy import Decision

DECISIVE = 3.0
"""A factor this heavy decides on its own (base already >= 0.9; a probe that keeps improving)."""


@dataclass
class Factor:
    """One measurement's push towards a decision: how hard, why (in a full sentence), and what it came from."""

    decision: Decision
    weight: float
    reason: str
    key: str


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
        elif s1 - s0 < 0.01 and s1 - base < 0.03:  # no gain from more data, and little over the base
            factors.append(Factor("prompt", DECISIVE, f"The learning curve is flat ({ev.metric}: {curve}), so more "
                                  "data of the same kind is unlikely to help much.", "probe"))
    if ev.projected_score is not None and base < 0.9:
        gain = ev.projected_score / scale - base
        if gain >= 0.05:
            factors.append(Factor("fine-tune", 1.5, f"With all your data the projected {ev.metric} is "
                                  f"{ev.projected_score:.2f}, up from {ev.base_score:.2f} for the base model.",
                                  "projection"))
    return factors
