"""Summarization and translation on an encoder-decoder (T5, mT5, Marian, BART): a task prefix and the source
text in, the target text out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from finetune.tasks.base import Prediction
from finetune.tasks.features import IGNORE_INDEX, tokenize_seq2seq
from finetune.tasks.generative import GenerativeRecipe


class Seq2SeqRecipe(GenerativeRecipe):
    """``seq2seq``: an encoder-decoder generating the target from the prefixed source."""

    kind = "seq2seq"

    def encode(self, records: Sequence[dict[str, Any]], tokenizer: Any, *, for_eval: bool) -> dict[str, list[Any]]:
        cfg = self.cfg
        pairs = [self.text.prompt(r, cfg) for r in records]
        plain = {"source": [r.get("document", r.get("source", p)) for r, (p, _) in zip(records, pairs, strict=True)],
                 "target": [t for _, t in pairs]}
        return dict(tokenize_seq2seq(plain, tokenizer, cfg.data.max_length or 128, cfg.data.max_target_length,
                                     "source", "target", prefix=self.text.prefix(cfg)))

    def collator(self, tokenizer: Any, model: Any) -> Any:
        """Pads inputs and labels (with -100) and builds the decoder inputs from the model."""
        from transformers import DataCollatorForSeq2Seq

        return DataCollatorForSeq2Seq(tokenizer, model=model, label_pad_token_id=IGNORE_INDEX, pad_to_multiple_of=None)

    def prompt_text(self, record: dict[str, Any], tokenizer: Any) -> str:
        body = record.get("document") or record.get("source") or self.text.prompt(record, self.cfg)[0]
        return self.text.prefix(self.cfg) + body

    def conversation_prompt(self, turns: Sequence[dict[str, str]], tokenizer: Any) -> str:
        """The last user message is the document or sentence; earlier turns do not reach the model."""
        return self.prompt_text(self.to_record(turns[-1]["content"]), tokenizer)

    def predictions(self, model: Any, tokenizer: Any, records: Sequence[dict[str, Any]],
                    batch_size: int) -> list[Prediction]:
        device = next(model.parameters()).device
        sources = [self.prompt_text(r, tokenizer) for r in records]
        outputs: list[str] = []
        for i in range(0, len(sources), batch_size):
            enc = tokenizer(sources[i:i + batch_size], truncation=True, max_length=self.cfg.data.max_length,
                            padding=True, return_tensors="pt").to(device)
            out = model.generate(**enc, **self.generation_options())
            outputs += tokenizer.batch_decode(out, skip_special_tokens=True)
        return [(o.strip(), None) for o in outputs]
