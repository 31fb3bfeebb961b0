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


class CausalRecipe(GenerativeRecipe):
    """``causal``: a decoder-only language model answering the conversation's last user turn."""

    kind = "causal"
    decoder_only = True

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

    def prompt_text(self, record: dict[str, Any], tokenizer: Any) -> str:
        messages = self.text.messages(record, self.cfg)[:-1]
        return str(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))

    def conversation_prompt(self, turns: Sequence[dict[str, str]], tokenizer: Any) -> str:
        """The whole conversation through the chat template, as sent."""
        return str(tokenizer.apply_chat_template(list(turns), tokenize=False, add_generation_prompt=True))

    def predictions(self, model: Any, tokenizer: Any, records: Sequence[dict[str, Any]],
                    batch_size: int) -> list[Prediction]:
        device = next(model.parameters()).device
        outputs: list[str] = []
        with _left_padding(tokenizer):
            prompts = [self.prompt_text(r, tokenizer) for r in records]
            for i in range(0, len(prompts), batch_size):
                enc = tokenizer(prompts[i:i + batch_size], add_special_tokens=False, truncation=True,
                                max_length=self.cfg.data.max_length, padding=True, return_tensors="pt").to(device)
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
