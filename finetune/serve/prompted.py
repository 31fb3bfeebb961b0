"""The prompted base on a user's own data, before any training: evidence for the advisor.

For a generative task (summarization, translation, chat, generative question answering) the base is a
decoder-only catalog model that loads here (offline: the packaged SmolLM2-135M-Instruct), prompted with the
task's instruction and worked examples from the data (few-shot, where they fit). It answers a small held-out
slice, scored with the task's metric — what prompting alone achieves, which the advisor weighs against
fine-tuning. A slice of a dozen rows takes a minute or two on a laptop CPU.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from catalog.errors import ModelError

log = logging.getLogger(__name__)

PROMPTED_TASKS = ("summarization", "translation", "chat", "question-answering")


def prompting_model(task: str) -> str:
    """The smallest decoder-only catalog model for ``task`` that loads here now (packaged or cached first).

    Raises:
        ModelError: When none of the catalog's models for the task can be loaded here.
    """
    from catalog import load_catalog
    from catalog.availability import availability

    ranked = sorted((e for e in load_catalog().models if task in e.tasks and e.model_type_class == "causal"),
                    key=lambda e: ({"packaged": 0, "cached": 1, "hub": 2}.get(availability(e), 3), e.params))
    if not ranked or availability(ranked[0]) == "unavailable":
        raise ModelError(f"No {task} model can be loaded here to measure a prompted base.")
    return ranked[0].id


def prompted_base_score(records: Sequence[dict[str, Any]], task: str, *, rows: int = 12, shots: int = 2,
                        source_lang: str | None = None, target_lang: str | None = None,
                        max_new_tokens: int = 64) -> dict[str, Any]:
    """Score the prompted base on the last ``rows`` records, with worked examples from the first ``shots``.

    Args:
        records: Canonical records of one generative task (as intake loads them).
        task: The task.
        rows: Held-out rows to score.
        shots: Worked examples placed before each prompt (dropped where they do not fit).
        source_lang: Translation's source language code.
        target_lang: Translation's target language code.
        max_new_tokens: Generated tokens per answer.

    Returns:
        ``{"model", "metric", "score", "scores", "rows", "shots"}`` (``score`` on the metric's own scale).

    Raises:
        ModelError: When no model for the task loads here, or the task is not generative.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from finetune.config.run import RunConfig
    from finetune.tasks.metrics import PRIMARY_METRIC
    from finetune.tasks.registry import recipe_for
    from finetune.train.model import resolve_model_source

    if task not in PROMPTED_TASKS:
        raise ModelError(f"A prompted base is measured for generative tasks only, not {task}.")
    model_id = prompting_model(task)
    source, _ = resolve_model_source(model_id)
    data: dict[str, Any] = {"path": "evidence", "source_lang": source_lang, "target_lang": target_lang}
    cfg = RunConfig(task=task, model={"name": model_id}, data={k: v for k, v in data.items() if v},
                    eval={"max_new_tokens": max_new_tokens})
    held_out = list(records[-rows:]) if len(records) > rows + shots else list(records[shots:])
    recipe = recipe_for("causal", task, cfg)
    recipe.shots = list(records[:shots])
    tokenizer = AutoTokenizer.from_pretrained(source)
    model = AutoModelForCausalLM.from_pretrained(source).eval()
    import torch

    with torch.inference_mode():
        predictions = recipe.predictions(model, tokenizer, held_out, 4, few_shot=True)  # type: ignore[call-arg]
    scores = recipe.score(recipe.references(held_out), [p for p, _ in predictions])
    metric = PRIMARY_METRIC[task]
    return {"model": model_id, "metric": metric, "score": scores[metric], "scores": scores, "rows": len(held_out),
            "shots": shots}
