"""Token classification (NER) on an encoder with a token-classification head: BIO tags per word, scored as
entities (seqeval). The base model has no baseline: without training its head is random."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from finetune.tasks.base import NO_BASELINE, Prediction, Recipe, ServedModel, wrong_input
from finetune.tasks.features import IGNORE_INDEX, align_ner_labels


def bio_entities(tokens: Sequence[str], tags: Sequence[str]) -> list[dict[str, Any]]:
    """Group BIO (IOB2) tags into entities.

    An ``I-X`` that does not continue an ``X`` entity starts a new one (the usual lenient reading); a tag
    without a prefix counts as ``I-``.

    Returns:
        ``[{"text", "type", "start_token", "end_token"}]`` with ``end_token`` exclusive.
    """
    entities: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for i, tag in enumerate(tags):
        prefix, _, kind = tag.partition("-") if tag[:2] in ("B-", "I-") else ("I", "-", tag)
        if tag == "O" or not kind:
            current = None
            continue
        if prefix == "B" or current is None or current["type"] != kind:
            current = {"type": kind, "start_token": i, "end_token": i + 1}
            entities.append(current)
        else:
            current["end_token"] = i + 1
    return [{"text": " ".join(tokens[e["start_token"]:e["end_token"]]), **e} for e in entities]


class NerRecipe(Recipe):
    """``token-cls``: a BIO tag per word, from the word's first sub-token."""

    kind = "token-cls"
    base_note = NO_BASELINE.format(what="token-classification")

    def encode(self, records: Sequence[dict[str, Any]], tokenizer: Any, *, for_eval: bool) -> dict[str, list[Any]]:
        """Sub-word tokens with the word's tag id on its first piece (unknown tags count as ``O``)."""
        tag2id = {tag: i for i, tag in enumerate(self.labels or [])}
        batch = {"tokens": [r["tokens"] for r in records],
                 "tags": [[tag2id.get(t, 0) for t in r["tags"]] for r in records]}
        return dict(align_ner_labels(batch, tokenizer, self.cfg.data.max_length or 128))

    def collator(self, tokenizer: Any, model: Any) -> Any:
        """Pads inputs and per-token labels (with -100)."""
        from transformers import DataCollatorForTokenClassification

        return DataCollatorForTokenClassification(tokenizer)

    def compute_metrics(self) -> Callable[[Any], dict[str, float]]:
        """Entity F1 over the labelled (first) sub-tokens."""
        from finetune.tasks.metrics import entity_metrics

        labels = self.labels or []

        def compute_ner(pred: Any) -> dict[str, float]:
            predicted = pred.predictions.argmax(-1)
            refs, preds = [], []
            for gold_row, pred_row in zip(pred.label_ids, predicted, strict=True):
                keep = [(g, p) for g, p in zip(gold_row, pred_row, strict=True) if g != IGNORE_INDEX]
                refs.append([labels[g] for g, _ in keep])
                preds.append([labels[p] for _, p in keep])
            return entity_metrics(refs, preds)

        return compute_ner

    def tag(self, model: Any, tokenizer: Any, token_lists: Sequence[Sequence[str]]) -> list[list[str]]:
        """BIO tags for a batch of sentences: the label of each word's first sub-token ("O" past truncation)."""
        device = next(model.parameters()).device
        enc = tokenizer([list(t) for t in token_lists], is_split_into_words=True, truncation=True,
                        max_length=self.cfg.data.max_length, padding=True, return_tensors="pt").to(device)
        predicted = model(**enc).logits.argmax(-1).tolist()
        labels = self.labels or []
        out = []
        for row, tokens in enumerate(token_lists):
            tags, seen = ["O"] * len(tokens), set()
            for position, word in enumerate(enc.word_ids(row)):
                if word is not None and word not in seen:
                    seen.add(word)
                    tags[word] = labels[predicted[row][position]]
            out.append(tags)
        return out

    def predictions(self, model: Any, tokenizer: Any, records: Sequence[dict[str, Any]],
                    batch_size: int) -> list[Prediction]:
        """One sentence at a time (no padding), as training's evaluation scored it."""
        return [(self.tag(model, tokenizer, [r["tokens"]])[0], None) for r in records]

    def references(self, records: Sequence[dict[str, Any]]) -> list[Any]:
        return [r["tags"] for r in records]

    def score(self, references: Sequence[Any], predictions: Sequence[Any]) -> dict[str, float]:
        from finetune.tasks.metrics import entity_metrics

        return entity_metrics(references, predictions)

    def to_record(self, item: Any, index: int = 0) -> dict[str, Any]:
        """A sentence (split on spaces), a word list, or a record as it is."""
        if isinstance(item, dict):
            return dict(item)
        if isinstance(item, (str, list)):
            tokens = item.split() if isinstance(item, str) else [str(t) for t in item]
            return {"tokens": tokens, "tags": ["O"] * len(tokens)}
        raise wrong_input(self.task, "a sentence or a word list", item)

    def outputs(self, served: ServedModel, records: list[dict[str, Any]], *, want_base: bool, want_tuned: bool,
                batch_size: int, max_new_tokens: int | None) -> tuple[list[Any], list[Any]]:
        """``{"entities", "tags"}`` for the tuned model; no base."""
        none: list[Any] = [None] * len(records)
        if not want_tuned:
            return none, none
        tuned = []
        for i in range(0, len(records), batch_size):
            chunk = records[i:i + batch_size]
            tag_lists = self.tag(served.model, served.tokenizer, [r["tokens"] for r in chunk])
            for record, tags in zip(chunk, tag_lists, strict=True):
                tuned.append({"entities": bio_entities(record["tokens"], tags), "tags": tags})
        return none, tuned

    def answer_text(self, output: dict[str, Any]) -> str:
        """The entities as a JSON list."""
        import json

        return json.dumps(output["entities"], ensure_ascii=False)
