"""Per-task training recipes: features, collator, periodic metrics and held-out predictions.

One ``Recipe`` per model kind (``finetune.train.model.HEADS``): the trainer calls ``features`` for the train
and evaluation records, pads batches with ``collator``, scores periodic evaluations with
``compute_metrics``, and at the end ``predict``s the held-out records with the tuned model — and, for
generative tasks, with the same weights with the adapter disabled (the base) — and ``score``s them.

Generative tasks on a decoder-only model become chat: the record turns into a user prompt and an
assistant answer, rendered with the model's chat template, and only the answer is learned.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from finetune.config.run import RunConfig
from finetune.tasks.features import IGNORE_INDEX

log = logging.getLogger(__name__)

LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
                  "pt": "Portuguese", "nl": "Dutch", "ro": "Romanian", "ru": "Russian", "zh": "Chinese",
                  "ja": "Japanese", "ko": "Korean", "pl": "Polish", "cs": "Czech", "tr": "Turkish",
                  "sv": "Swedish", "da": "Danish", "fi": "Finnish", "ar": "Arabic", "uk": "Ukrainian"}


def language_name(code: str | None) -> str:
    """``de`` -> ``German`` (the code itself when unknown)."""
    return LANGUAGE_NAMES.get((code or "").lower(), code or "the source language")


def as_prompt(task: str, record: dict[str, Any], cfg: RunConfig) -> tuple[str, str]:
    """A generative record as ``(input text, target text)``: the prompt a model sees and its answer."""
    if task == "summarization":
        return f"Summarize the following text.\n\n{record['document']}", record["summary"]
    if task == "translation":
        src, tgt = language_name(cfg.data.source_lang), language_name(cfg.data.target_lang)
        return f"Translate from {src} to {tgt}:\n\n{record['source']}", record["target"]
    messages = record["messages"]
    return messages[-2]["content"] if len(messages) > 1 else "", messages[-1]["content"]


def seq2seq_prefix(task: str, cfg: RunConfig) -> str:
    """The T5-style task prefix for encoder-decoder models."""
    if task == "summarization":
        return "summarize: "
    if task == "translation":
        return f"translate {language_name(cfg.data.source_lang)} to {language_name(cfg.data.target_lang)}: "
    return ""


def as_messages(task: str, record: dict[str, Any], cfg: RunConfig) -> list[dict[str, str]]:
    """A record as a conversation for a causal LM."""
    if task == "chat":
        return list(record["messages"])
    prompt, answer = as_prompt(task, record, cfg)
    return [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]


@dataclass
class Recipe:
    """How one model kind is trained and judged."""

    kind: str
    task: str
    cfg: RunConfig
    labels: list[str] | None

    # -- features ---------------------------------------------------------------------------------
    def features(self, records: Sequence[dict[str, Any]], tokenizer: Any, *, for_eval: bool = False) -> Any:
        """Tokenized ``datasets.Dataset`` with a ``length`` column (for length-grouped batches).

        Args:
            records: Canonical records.
            tokenizer: The model's tokenizer.
            for_eval: Build evaluation features (the same as training ones except for packing).
        """
        from datasets import Dataset

        from finetune.tasks.chat_format import pack_sequences, render_chat
        from finetune.tasks.features import align_ner_labels, tokenize_classification, tokenize_seq2seq
        from finetune.tasks.qa_features import prepare_qa_features

        cfg, max_len = self.cfg, self.cfg.data.max_length or 128
        if self.kind == "seq-cls":
            label2id = {lab: i for i, lab in enumerate(self.labels or [])}
            kept = [r for r in records if r["label"] in label2id]
            batch = {"text": [r["text"] for r in kept], "label": [label2id[r["label"]] for r in kept]}
            pair = any("text_pair" in r for r in kept)
            if pair:
                batch["text_pair"] = [r.get("text_pair", "") for r in kept]
            enc = dict(tokenize_classification(batch, tokenizer, max_len, text_pair=pair))
        elif self.kind == "token-cls":
            tag2id = {tag: i for i, tag in enumerate(self.labels or [])}
            batch = {"tokens": [r["tokens"] for r in records],
                     "tags": [[tag2id.get(t, 0) for t in r["tags"]] for r in records]}
            enc = dict(align_ner_labels(batch, tokenizer, max_len))
        elif self.kind == "qa":
            batch = {"question": [r["question"] for r in records], "context": [r["context"] for r in records],
                     "answers": [r["answers"] for r in records]}
            enc = dict(prepare_qa_features(batch, tokenizer, max_len, cfg.data.doc_stride, padding=False))
        elif self.kind == "seq2seq":
            pairs = [as_prompt(self.task, r, cfg) for r in records]
            plain = {"source": [r.get("document", r.get("source", p)) for r, (p, _) in zip(records, pairs, strict=True)],
                     "target": [t for _, t in pairs]}
            enc = dict(tokenize_seq2seq(plain, tokenizer, max_len, cfg.data.max_target_length, "source", "target",
                                        prefix=seq2seq_prefix(self.task, cfg)))
        else:
            rows = [render_chat(as_messages(self.task, r, cfg), tokenizer, max_len) for r in records]
            rows = [r for r in rows if any(x != IGNORE_INDEX for x in r["labels"])]  # answer cut off entirely
            enc = {key: [r[key] for r in rows] for key in ("input_ids", "attention_mask", "labels")}
            if cfg.train.packing and not for_eval:
                enc = pack_sequences(enc, max_len)
        enc = {k: v for k, v in enc.items() if k not in ("offset_mapping", "overflow_to_sample_mapping")}
        enc["length"] = [len(ids) for ids in enc["input_ids"]]
        return Dataset.from_dict(enc)

    def collator(self, tokenizer: Any, model: Any) -> Any:
        """The batch collator: dynamic padding to the longest example in the batch."""
        from transformers import (
            DataCollatorForSeq2Seq,
            DataCollatorForTokenClassification,
            DataCollatorWithPadding,
        )

        if self.kind == "token-cls":
            return DataCollatorForTokenClassification(tokenizer)
        if self.kind in ("seq2seq", "causal"):
            return DataCollatorForSeq2Seq(tokenizer, model=model if self.kind == "seq2seq" else None,
                                          label_pad_token_id=IGNORE_INDEX, pad_to_multiple_of=None)
        return DataCollatorWithPadding(tokenizer)

    # -- periodic evaluation ----------------------------------------------------------------------
    def compute_metrics(self) -> Callable[[Any], dict[str, float]] | None:
        """Metrics for the Trainer's periodic evaluation (loss only for QA and generative tasks)."""
        from finetune.tasks.metrics import classification_metrics, entity_metrics

        labels = self.labels or []
        if self.kind == "seq-cls":
            def compute_cls(pred: Any) -> dict[str, float]:
                predicted = pred.predictions.argmax(-1)
                return classification_metrics([labels[i] for i in pred.label_ids], [labels[i] for i in predicted])

            return compute_cls
        if self.kind == "token-cls":
            def compute_ner(pred: Any) -> dict[str, float]:
                predicted = pred.predictions.argmax(-1)
                refs, preds = [], []
                for gold_row, pred_row in zip(pred.label_ids, predicted, strict=True):
                    keep = [(g, p) for g, p in zip(gold_row, pred_row, strict=True) if g != IGNORE_INDEX]
                    refs.append([labels[g] for g, _ in keep])
                    preds.append([labels[p] for _, p in keep])
                return entity_metrics(refs, preds)

            return compute_ner
        return None

    # -- held-out predictions ---------------------------------------------------------------------
    def predict(self, model: Any, tokenizer: Any, records: Sequence[dict[str, Any]], *,
                batch_size: int = 16) -> list[tuple[Any, float | None]]:
        """Predictions for held-out records — a label, a tag list, an answer or a generated text — each with
        the model's confidence where it has one (the class probability for classification)."""
        import torch

        model.eval()
        with torch.inference_mode():
            if self.kind == "seq-cls":
                from finetune.tasks.metrics import classifier_predict

                return [(p, s) for p, s in classifier_predict(model, tokenizer, [r["text"] for r in records],
                                                              max_length=self.cfg.data.max_length or 128)]
            if self.kind == "token-cls":
                return [(self._tag(model, tokenizer, r["tokens"]), None) for r in records]
            if self.kind == "qa":
                return [(a, None) for a in self._answers(model, tokenizer, records)]
            return [(g, None) for g in self._generate(model, tokenizer, records, batch_size)]

    def references(self, records: Sequence[dict[str, Any]]) -> list[Any]:
        """What a prediction is scored against."""
        if self.kind == "seq-cls":
            return [r["label"] for r in records]
        if self.kind == "token-cls":
            return [r["tags"] for r in records]
        if self.kind == "qa":
            return [r["answers"]["text"] for r in records]
        return [as_prompt(self.task, r, self.cfg)[1] for r in records]

    def score(self, references: Sequence[Any], predictions: Sequence[Any]) -> dict[str, float]:
        """The task's metrics for held-out predictions."""
        from finetune.tasks.metrics import (
            classification_metrics,
            entity_metrics,
            rouge_metrics,
            squad_metrics,
            translation_metrics,
        )

        if self.kind == "seq-cls":
            return classification_metrics(references, predictions)
        if self.kind == "token-cls":
            return entity_metrics(references, predictions)
        if self.kind == "qa":
            return squad_metrics(references, predictions)
        if self.task == "translation":
            return {**translation_metrics(references, predictions), **rouge_metrics(references, predictions)}
        return rouge_metrics(references, predictions)

    def _tag(self, model: Any, tokenizer: Any, tokens: list[str]) -> list[str]:
        device = next(model.parameters()).device
        enc = tokenizer(tokens, is_split_into_words=True, truncation=True, max_length=self.cfg.data.max_length,
                        return_tensors="pt").to(device)
        predicted = model(**enc).logits.argmax(-1)[0].tolist()
        labels, tags, seen = self.labels or [], ["O"] * len(tokens), set()
        for position, word in enumerate(enc.word_ids(0)):
            if word is not None and word not in seen:
                seen.add(word)
                tags[word] = labels[predicted[position]]
        return tags

    def _answers(self, model: Any, tokenizer: Any, records: Sequence[dict[str, Any]]) -> list[str]:
        from finetune.tasks.qa_features import postprocess_qa_predictions, prepare_qa_eval_features

        device = next(model.parameters()).device
        batch = {"id": [r["id"] for r in records], "question": [r["question"] for r in records],
                 "context": [r["context"] for r in records]}
        feats = prepare_qa_eval_features(batch, tokenizer, self.cfg.data.max_length or 384,
                                         self.cfg.data.doc_stride, padding="max_length")
        import torch

        starts, ends = [], []
        for i in range(0, len(feats["input_ids"]), 16):
            inputs = {k: torch.tensor(feats[k][i:i + 16], device=device)
                      for k in ("input_ids", "attention_mask", "token_type_ids") if k in feats}
            out = model(**inputs)
            starts += out.start_logits.float().cpu().tolist()
            ends += out.end_logits.float().cpu().tolist()
        features = [{"example_id": feats["example_id"][i], "offset_mapping": feats["offset_mapping"][i]}
                    for i in range(len(feats["input_ids"]))]
        answers = postprocess_qa_predictions(records, features, starts, ends)
        return [answers.get(r["id"], "") for r in records]

    def _generate(self, model: Any, tokenizer: Any, records: Sequence[dict[str, Any]], batch_size: int) -> list[str]:
        device = next(model.parameters()).device
        cfg = self.cfg
        outputs: list[str] = []
        gen = {"max_new_tokens": cfg.eval.max_new_tokens, "num_beams": cfg.eval.num_beams, "do_sample": False}
        if self.kind == "seq2seq":
            prefix = seq2seq_prefix(self.task, cfg)
            sources = [prefix + (r.get("document") or r.get("source") or as_prompt(self.task, r, cfg)[0])
                       for r in records]
            for i in range(0, len(sources), batch_size):
                enc = tokenizer(sources[i:i + batch_size], truncation=True, max_length=cfg.data.max_length,
                                padding=True, return_tensors="pt").to(device)
                out = model.generate(**enc, **gen)
                outputs += tokenizer.batch_decode(out, skip_special_tokens=True)
            return [o.strip() for o in outputs]
        with _left_padding(tokenizer):
            prompts = [tokenizer.apply_chat_template(as_messages(self.task, r, cfg)[:-1], tokenize=False,
                                                     add_generation_prompt=True) for r in records]
            for i in range(0, len(prompts), batch_size):
                enc = tokenizer(prompts[i:i + batch_size], add_special_tokens=False, truncation=True,
                                max_length=cfg.data.max_length, padding=True, return_tensors="pt").to(device)
                out = model.generate(**enc, **gen, pad_token_id=tokenizer.pad_token_id)
                outputs += tokenizer.batch_decode(out[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
        return [o.strip() for o in outputs]


@contextlib.contextmanager
def _left_padding(tokenizer: Any) -> Iterator[None]:
    """Decoder-only generation pads on the left so every prompt ends where its answer starts."""
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    try:
        yield
    finally:
        tokenizer.padding_side = side
