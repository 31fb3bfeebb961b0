"""What a task description says, as typed fields: the advisor's understanding, kept apart from its policy.

A :class:`TaskProfile` is filled either by an LLM (the structured arguments of ``assess_task``: the schema
is generated from this model) or offline by :mod:`assistant.advisor.understanding`. Each field may carry
the user's own words it was read from (``quotes``), and, when read offline, how sure the reader was
(``certainty``). :mod:`assistant.advisor.policy` maps a profile to a decision; neither reader decides.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from catalog.schema import Task

LabelledBucket = Literal["none", "few", "many", "unknown"]
OutputShape = Literal["label-set", "spans", "free-text", "unknown"]
Volume = Literal["high", "low", "unknown"]

ENOUGH_EXAMPLES = 200
"""Labelled examples from which fine-tuning a fixed-format task is worth it ("many")."""

PROFILE_FIELDS = ("task", "labelled", "output_shape", "domain_style", "volume", "latency", "privacy",
                  "changing_knowledge", "personal")
"""The fields a reader fills (``labelled_examples`` and ``languages`` come with ``labelled`` and ``task``)."""


def labelled_bucket(count: int | None) -> LabelledBucket:
    """``None`` -> unknown, 0 -> none, below :data:`ENOUGH_EXAMPLES` -> few, else many."""
    if count is None:
        return "unknown"
    if count <= 0:
        return "none"
    return "many" if count >= ENOUGH_EXAMPLES else "few"


class TaskProfile(BaseModel):
    """The facts of a task description that decide between fine-tuning, prompting and retrieval."""

    model_config = ConfigDict(extra="forbid")

    task: Task | None = Field(default=None, description=(
        "The task: text-classification (one label from a fixed set per text), token-classification (spans "
        "inside the text: names, products, dates), question-answering (answers from passages or documents), "
        "summarization, translation, or chat (conversation, writing, rewriting, a persona). None when the "
        "description does not say what the model should output."))
    labelled_examples: int | None = Field(default=None, ge=0, description=(
        "How many labelled examples (inputs with the wanted output) the user has, as stated; 0 when they say "
        "they have none; null when they do not say."))
    labelled: LabelledBucket = Field(default="unknown", description=(
        "none / few (under 200) / many (200 or more) labelled examples, or unknown when not stated."))
    output_shape: OutputShape = Field(default="unknown", description=(
        "What the output looks like: a fixed label set, spans of the input, or free text."))
    domain_style: bool = Field(default=False, description=(
        "Domain jargon, a house style, tone, persona or strict format matters."))
    volume: Volume = Field(default="unknown", description=(
        "high (thousands of calls a day or more), low (a handful, occasional), or unknown."))
    latency: bool = Field(default=False, description="A strict speed need: milliseconds, real time, on-device.")
    privacy: bool = Field(default=False, description=(
        "Data must stay on the premises, offline or in a regulated boundary (HIPAA, GDPR)."))
    changing_knowledge: bool = Field(default=False, description=(
        "Answers depend on facts that change (prices, stock, schedules, today's list) or must cite documents."))
    personal: bool = Field(default=False, description="A one-off personal ask: a poem, a toast, a phrase for a trip.")
    labels: list[str] = Field(default_factory=list, description="The label or entity set named, if any.")
    languages: list[str] = Field(default_factory=list, description="ISO 639-1 codes of languages named.")
    quotes: dict[str, str] = Field(default_factory=dict, description=(
        "Field name -> the user's own words it was read from."))
    certainty: dict[str, float] = Field(default_factory=dict, description=(
        "Field name -> probability of the value read (offline reader only; an LLM leaves it empty)."))

    def bucket(self) -> LabelledBucket:
        """The labelled-data bucket, from the stated count when there is one."""
        return labelled_bucket(self.labelled_examples) if self.labelled_examples is not None else self.labelled
