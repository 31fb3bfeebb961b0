"""Text classification (single texts or sentence pairs) on an encoder with a classification head.

The base model has no trained head, so its baseline is zero-shot embedding similarity to the label names
(``finetune.tasks.metrics.zero_shot_predict``): the plain encoder, loaded once per process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from catalog.errors import DataError
from finetune.tasks.base import Prediction, Recipe, ServedModel, wrong_input
from finetune.tasks.features import tokenize_classification


class ClassificationRecipe(Recipe):
    """``seq-cls``: one label per text (or text pair)."""

    kind = "seq-cls"
    baseline_method = "zero-shot embedding similarity to the label names"

    @property
    def max_length(self) -> int:
        """Token limit per text."""
        return self.cfg.data.max_length or 128

    def encode(self, records: Sequence[dict[str, Any]], tokenizer: Any, *, for_eval: bool) -> dict[str, list[Any]]:
        """Rows whose label is in the job's label set, with class ids as labels."""
        label2id = {lab: i for i, lab in enumerate(self.labels or [])}
        kept = [r for r in records if r["label"] in label2id]
        batch = {"text": [r["text"] for r in kept], "label": [label2id[r["label"]] for r in kept]}
        pair = any("text_pair" in r for r in kept)
        if pair:
            batch["text_pair"] = [r.get("text_pair", "") for r in kept]
        return dict(tokenize_classification(batch, tokenizer, self.max_length, text_pair=pair))

    def compute_metrics(self) -> Callable[[Any], dict[str, float]]:
        """Accuracy and macro-F1 of the arg-max class."""
        from finetune.tasks.metrics import classification_metrics

        labels = self.labels or []

        def compute_cls(pred: Any) -> dict[str, float]:
            predicted = pred.predictions.argmax(-1)
            return classification_metrics([labels[i] for i in pred.label_ids], [labels[i] for i in predicted])

        return compute_cls

    def predictions(self, model: Any, tokenizer: Any, records: Sequence[dict[str, Any]],
                    batch_size: int) -> list[Prediction]:
        from finetune.tasks.metrics import classifier_predict

        texts = [r["text"] for r in records]
        return [(p, s) for p, s in classifier_predict(model, tokenizer, texts, max_length=self.max_length)]

    def references(self, records: Sequence[dict[str, Any]]) -> list[Any]:
        return [r["label"] for r in records]

    def score(self, references: Sequence[Any], predictions: Sequence[Any]) -> dict[str, float]:
        from finetune.tasks.metrics import classification_metrics

        return classification_metrics(references, predictions)

    def baseline(self, model: Any, tokenizer: Any, records: Sequence[dict[str, Any]],
                 base_source: str) -> list[Prediction]:
        """Zero-shot: the label whose name's embedding is closest to the text's, with the cosine similarity."""
        from finetune.tasks.metrics import zero_shot_predict

        preds = zero_shot_predict(base_source, [r["text"] for r in records], self.labels or [],
                                  max_length=self.max_length)
        return [(p, s) for p, s in preds]

    def check_references(self, records: Sequence[dict[str, Any]], source: str) -> None:
        """Raises:
            DataError: When a record's label is not one the job trained on.
        """
        unknown = sorted({r["label"] for r in records} - set(self.labels or []))
        if unknown:
            raise DataError(f"{source} has labels the job never trained on: {', '.join(unknown[:10])}. "
                            f"It knows: {', '.join(self.labels or [])}.")

    def to_record(self, item: Any, index: int = 0) -> dict[str, Any]:
        """A text, or a record as it is."""
        if isinstance(item, dict):
            return dict(item)
        if isinstance(item, str):
            return {"text": item}
        raise wrong_input(self.task, "a string", item)

    def outputs(self, served: ServedModel, records: list[dict[str, Any]], *, want_base: bool, want_tuned: bool,
                batch_size: int, max_new_tokens: int | None) -> tuple[list[Any], list[Any]]:
        """``{"label", "score"}``: the class probability (tuned) or the zero-shot similarity (base)."""
        from finetune.tasks.metrics import classifier_predict

        none: list[Any] = [None] * len(records)
        base, tuned = none, none
        if want_tuned:
            predicted = classifier_predict(served.model, served.tokenizer, [r["text"] for r in records],
                                           batch_size=batch_size * 4, max_length=self.max_length)
            tuned = [{"label": lab, "score": round(s, 4)} for lab, s in predicted]
        if want_base:
            with served.quiet_loading():  # the plain encoder loads on first use
                zero_shot = self.baseline(served.model, served.tokenizer, records, served.base_source)
            base = [{"label": lab, "score": round(s or 0.0, 4)} for lab, s in zero_shot]
        return base, tuned

    def answer_text(self, output: dict[str, Any]) -> str:
        return str(output["label"])
