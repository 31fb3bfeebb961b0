"""The advisor's inputs besides the description: a profile of the user's dataset, scores measured on it.

Both are plain data, shared by :mod:`assistant.advisor.factors` (which weighs them) and
:mod:`assistant.advisor.advise` (which takes them as arguments); the tools fill them in.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from catalog.schema import Task


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
    held_out_rows: int | None = Field(default=None, ge=0, description="Rows the scores were measured on.")
