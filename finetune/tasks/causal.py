"""Chat, and summarization or translation as a chat, on a decoder-only model: the record becomes a conversation
rendered with the model's chat template, and only the assistant's answer is learned."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from finetune.tasks.base import Prediction
from finetune.tasks.chat_format import pack_sequences, render_chat
from finetune.tasks.features import IGNORE_INDEX
from finetune.tasks.generative import GenerativeRecipe

FEW_SHOT_BUDGET = 1024
"""Most prompt tokens a few-shot base prompt may take (worked examples are dropped until it fits)."""


class CausalRecipe(GenerativeRecipe):
    """``causal``: a decoder-only language model answering the conversation's last user turn."""

    kind = "causal"
    decoder_only = True
    baseline_method = ("the same weights without the adapter, prompted with the task's instruction and up to two "
                       "worked examples from the training rows")

    def encode(self, records: Sequence[dict[str, Any]], tokenizer: Any, *, for_eval: bool) -> dict[str, list[Any]]:
        """Rendered conversations with assistant-only labels; packed into full blocks for training if asked."""
        max_len = self.cfg.data.max_length or 128
        rows = [render_chat(self.text.messages(r, self.cfg), tokenizer, max_len) for r in records]
        rows = [r for r in rows if any(x != IGNORE_INDEX for x in r["labels"])]  # answer cut off entirely
        enc = {key: [r[key] for r in rows] for key in ("input_ids", "attention_mask", "labels")}
        if self.cfg.train.packing and not for_eval:
            enc = pack_sequences(enc, max_len)
        return enc

    def collator(self, tokenizer: Any, model: Any) -> Any:
        """Pads inputs and labels (with -100); a decoder-only model needs no decoder inputs."""
        from transformers import DataCollatorForSeq2Seq

        return DataCollatorForSeq2Seq(tokenizer, model=None, label_pad_token_id=IGNORE_INDEX, pad_to_multiple_of=None)

    def prompt_text(self, record: dict[str, Any], tokenizer: Any, *, few_shot: bool = False) -> str:
        """The record's conversation up to the answer, through the chat template; with ``few_shot``, the
        recipe's ``shots`` come first as earlier turns (as many as fit in :data:`FEW_SHOT_BUDGET` tokens)."""
        messages = self.text.messages(record, self.cfg)[:-1]
        if few_shot:
            for shot in reversed(self.shots):
                longer = [*self.text.messages(shot, self.cfg), *messages]
                text = str(tokenizer.apply_chat_template(longer, tokenize=False, add_generation_prompt=True))
                if len(tokenizer(text, add_special_tokens=False)["input_ids"]) > FEW_SHOT_BUDGET:
                    break
                messages = longer
        return str(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))

    def conversation_prompt(self, turns: Sequence[dict[str, str]], tokenizer: Any) -> str:
        """The whole conversation through the chat template, as sent."""
        return str(tokenizer.apply_chat_template(list(turns), tokenize=False, add_generation_prompt=True))

    def baseline(self, model: Any, tokenizer: Any, records: Sequence[dict[str, Any]],
                 base_source: str) -> list[Prediction]:
        """The same weights with the adapter disabled, prompted with an instruction and, where they fit,
        worked examples from the training rows (few-shot): the fair base for a decoder-only model."""
        if not hasattr(model, "disable_adapter"):
            return []
        import torch

        model.eval()
        with model.disable_adapter(), torch.inference_mode():
            return self.predictions(model, tokenizer, records, 8, few_shot=True)

    def predictions(self, model: Any, tokenizer: Any, records: Sequence[dict[str, Any]],
                    batch_size: int, *, few_shot: bool = False) -> list[Prediction]:
        device = next(model.parameters()).device
        outputs: list[str] = []
        with _left_padding(tokenizer):
            prompts = [self.prompt_text(r, tokenizer, few_shot=few_shot) for r in records]
            for i in range(0, len(prompts), batch_size):
                enc = tokenizer(prompts[i:i + batch_size], add_special_tokens=False, truncation=True,
                                max_length=max(self.cfg.data.max_length or 0, FEW_SHOT_BUDGET if few_shot else 0)
                                or None, padding=True, return_tensors="pt").to(device)
                out = model.generate(**enc, **self.generation_options(), pad_token_id=tokenizer.pad_token_id)
                outputs += tokenizer.batch_decode(out[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
        return [(o.strip(), None) for o in outputs]


@contextlib.contextmanager
def _left_padding(tokenizer: Any) -> Iterator[None]:
    """Decoder-only generation pads on the left so every prompt ends where its answer starts."""
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    try:
        yield
    finally:
        tokenizer.padding_side = side
