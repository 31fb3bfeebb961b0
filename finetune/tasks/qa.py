"""Extractive question answering on an encoder with a span head: the answer is a span of the context, or ""
(SQuAD v2: no answer). Windows and post-processing are in ``qa_features.py``. The base model has no
baseline: without training its span head is random."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from finetune.tasks.base import NO_BASELINE, Prediction, Recipe, ServedModel, wrong_input
from finetune.tasks.qa_features import (
    postprocess_qa_predictions,
    prepare_qa_eval_features,
    prepare_qa_features,
)


class QaRecipe(Recipe):
    """``qa``: the best span over all the context's windows, or no answer."""

    kind = "qa"
    base_note = NO_BASELINE.format(what="answer-span")
    context_in_system = True

    def encode(self, records: Sequence[dict[str, Any]], tokenizer: Any, *, for_eval: bool) -> dict[str, list[Any]]:
        batch = {"question": [r["question"] for r in records], "context": [r["context"] for r in records],
                 "answers": [r["answers"] for r in records]}
        return dict(prepare_qa_features(batch, tokenizer, self.cfg.data.max_length or 128, self.cfg.data.doc_stride,
                                        padding=False))

    def predictions(self, model: Any, tokenizer: Any, records: Sequence[dict[str, Any]],
                    batch_size: int) -> list[Prediction]:
        """SQuAD post-processing of the windows' logits (``postprocess_qa_predictions``)."""
        batch = {"id": [r["id"] for r in records], "question": [r["question"] for r in records],
                 "context": [r["context"] for r in records]}
        feats, starts, ends = self._window_logits(model, tokenizer, batch, 16)
        features = [{"example_id": feats["example_id"][i], "offset_mapping": feats["offset_mapping"][i]}
                    for i in range(len(feats["input_ids"]))]
        answers = postprocess_qa_predictions(records, features, starts, ends)
        return [(answers.get(r["id"], ""), None) for r in records]

    def references(self, records: Sequence[dict[str, Any]]) -> list[Any]:
        return [r["answers"]["text"] for r in records]

    def score(self, references: Sequence[Any], predictions: Sequence[Any]) -> dict[str, float]:
        from finetune.tasks.metrics import squad_metrics

        return squad_metrics(references, predictions)

    def to_record(self, item: Any, index: int = 0) -> dict[str, Any]:
        """``{question, context}`` (with ``id`` and ``answers`` optional)."""
        if isinstance(item, dict) and {"question", "context"} <= set(item):
            return {"id": str(item.get("id", index)), "question": str(item["question"]),
                    "context": str(item["context"]),
                    "answers": item.get("answers", {"text": [], "answer_start": []})}
        raise wrong_input(self.task, "{question, context}", item)

    def outputs(self, served: ServedModel, records: list[dict[str, Any]], *, want_base: bool, want_tuned: bool,
                batch_size: int, max_new_tokens: int | None) -> tuple[list[Any], list[Any]]:
        """``{"answer", "score", "start", "end"}`` for the tuned model; no base."""
        none: list[Any] = [None] * len(records)
        return none, self.spans(served.model, served.tokenizer, records) if want_tuned else none

    def answer_text(self, output: dict[str, Any]) -> str:
        return str(output["answer"])

    def spans(self, model: Any, tokenizer: Any, records: Sequence[dict[str, Any]], *, batch_size: int = 16,
              n_best: int = 20, max_answer_length: int = 30) -> list[dict[str, Any]]:
        """The best answer span per question over all its context windows, with what a person wants to see.

        Returns:
            ``[{"answer", "score", "start", "end"}]``: the answer text (``""`` when "no answer" wins), the
            probability of the span (start x end softmax in its window; of "no answer" when empty) and its
            character offsets in the context (None for no answer).
        """
        import numpy as np

        batch = {"id": [str(i) for i in range(len(records))], "question": [r["question"] for r in records],
                 "context": [r["context"] for r in records]}
        feats, starts, ends = self._window_logits(model, tokenizer, batch, batch_size)
        windows: dict[str, list[int]] = defaultdict(list)
        for index, example_id in enumerate(feats["example_id"]):
            windows[example_id].append(index)
        results = []
        for i, record in enumerate(records):
            best: tuple[float, int, int, int] | None = None  # (logit sum, window, start token, end token)
            null: tuple[float, int] = (math.inf, -1)
            for index in windows.get(str(i), []):
                offsets = feats["offset_mapping"][index]
                s_logits, e_logits = np.asarray(starts[index]), np.asarray(ends[index])
                null = min(null, (float(s_logits[0] + e_logits[0]), index))
                for s in np.argsort(s_logits)[::-1][:n_best]:
                    for e in np.argsort(e_logits)[::-1][:n_best]:
                        if s >= len(offsets) or e >= len(offsets) or offsets[s] is None or offsets[e] is None:
                            continue
                        if e < s or e - s + 1 > max_answer_length:
                            continue
                        score = float(s_logits[s] + e_logits[e])
                        if best is None or score > best[0]:
                            best = (score, index, int(s), int(e))
            if best is None or null[0] - best[0] > 0.0:
                window = null[1]
                prob = _span_probability(starts[window], ends[window], 0, 0) if window >= 0 else 0.0
                results.append({"answer": "", "score": round(prob, 4), "start": None, "end": None})
                continue
            _, index, s, e = best
            offsets = feats["offset_mapping"][index]
            start, end = offsets[s][0], offsets[e][1]
            results.append({"answer": record["context"][start:end], "score": round(_span_probability(
                starts[index], ends[index], s, e), 4), "start": start, "end": end})
        return results

    def _window_logits(self, model: Any, tokenizer: Any, batch: dict[str, list[Any]],
                       batch_size: int) -> tuple[dict[str, list[Any]], list[Any], list[Any]]:
        """Evaluation windows of the questions and each window's start and end logits."""
        import torch

        device = next(model.parameters()).device
        feats = prepare_qa_eval_features(batch, tokenizer, self.cfg.data.max_length or 384, self.cfg.data.doc_stride,
                                         padding="max_length")
        starts: list[Any] = []
        ends: list[Any] = []
        for i in range(0, len(feats["input_ids"]), batch_size):
            inputs = {k: torch.tensor(feats[k][i:i + batch_size], device=device)
                      for k in ("input_ids", "attention_mask", "token_type_ids") if k in feats}
            out = model(**inputs)
            starts += out.start_logits.float().cpu().tolist()
            ends += out.end_logits.float().cpu().tolist()
        return feats, starts, ends


def _span_probability(start_logits: Sequence[float], end_logits: Sequence[float], s: int, e: int) -> float:
    def softmax_at(logits: Sequence[float], k: int) -> float:
        top = max(logits)
        return math.exp(logits[k] - top) / sum(math.exp(x - top) for x in logits)

    return softmax_at(start_logits, s) * softmax_at(end_logits, e)
