"""The recipe of each model kind: the one map from ``finetune.train.model.model_kind``'s answer to its class."""

from __future__ import annotations

from finetune.config.run import RunConfig
from finetune.tasks.base import Recipe
from finetune.tasks.causal import CausalRecipe
from finetune.tasks.classification import ClassificationRecipe
from finetune.tasks.ner import NerRecipe
from finetune.tasks.qa import QaRecipe
from finetune.tasks.seq2seq import Seq2SeqRecipe

RECIPES: dict[str, type[Recipe]] = {cls.kind: cls for cls in (ClassificationRecipe, NerRecipe, QaRecipe,
                                                              Seq2SeqRecipe, CausalRecipe)}
"""Model kind (the keys of ``finetune.train.model.HEADS``) -> its recipe class."""


def recipe_for(kind: str, task: str, cfg: RunConfig, labels: list[str] | None = None) -> Recipe:
    """The recipe that trains, judges and serves a job.

    Args:
        kind: The model kind, as ``finetune.train.model.model_kind`` gives it.
        task: The job's task.
        cfg: The run config.
        labels: Class names (classification) or tags (NER).

    Raises:
        KeyError: For a kind that has no recipe (a programming error: ``model_kind`` answers only known kinds).
    """
    return RECIPES[kind](task, cfg, labels)
