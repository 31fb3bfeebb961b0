"""Chat formatting for instruction tuning: render conversations with the model's own chat template and
mask the loss to the assistant's replies; pack short sequences into full blocks for SFT. (Alpaca and
ShareGPT records become OpenAI messages earlier, in ``finetune.data.canonical``.)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from catalog.errors import DataError
from finetune.tasks.features import IGNORE_INDEX, require_fast

log = logging.getLogger(__name__)


def _model_name(tokenizer: Any) -> str:
    return getattr(tokenizer, "name_or_path", "") or type(tokenizer).__name__


def _render(tokenizer: Any, messages: Sequence[Mapping[str, Any]], add_generation_prompt: bool) -> str:
    try:
        return str(tokenizer.apply_chat_template(list(messages), tokenize=False,
                                                 add_generation_prompt=add_generation_prompt))
    except Exception as exc:  # jinja2 raises TemplateError from the template's own raise_exception(...)
        raise DataError(f"The chat template of '{_model_name(tokenizer)}' cannot render this conversation: "
                        f"{exc}. Reorder or merge the messages so the template accepts them.") from None


def render_chat(messages: Sequence[Mapping[str, Any]], tokenizer: Any, max_length: int) -> dict[str, list[int]]:
    """Render a conversation with the model's chat template; the loss sees only the assistant's turns.

    Labels are -100 everywhere except the tokens of each assistant message and the end-of-turn token
    that closes it (so the model learns to stop). The assistant spans are found by rendering the
    conversation up to each assistant turn (with the generation prompt) and through it; when a template
    breaks that prefix property (it renders earlier turns differently once later ones follow), each
    assistant message is located in the full text instead and extended over the special token that
    ends it. The text is tokenized once, with offsets, and truncated to ``max_length`` tokens; labels
    are all -100 when truncation cuts every assistant turn.

    Args:
        messages: OpenAI-style ``{"role", "content"}`` dicts with at least one assistant message.
        tokenizer: A fast tokenizer with a chat template.
        max_length: Longest sequence in tokens.

    Returns:
        ``input_ids``, ``attention_mask`` and ``labels``.

    Raises:
        DataError: When the tokenizer has no chat template or is not fast, the template rejects the
            conversation, there is no assistant message, or the template alters the assistant's text.
    """
    if not getattr(tokenizer, "chat_template", None):
        raise DataError(f"'{_model_name(tokenizer)}' has no chat template, so it cannot be tuned on conversations. "
                        "Pick a chat / instruct model, or set a chat template on its tokenizer.")
    require_fast(tokenizer, "masking the loss to the assistant's turns")
    if not any(m["role"] == "assistant" for m in messages):
        raise DataError("A conversation has no assistant message, so there is nothing to learn from it.")
    text = _render(tokenizer, messages, add_generation_prompt=False)
    spans = _spans_by_prefix(tokenizer, messages, text)
    if spans is None:
        log.info("The chat template of %s is not prefix-stable; locating assistant turns by content",
                 _model_name(tokenizer))
        spans = _spans_by_search(tokenizer, messages, text)
    enc = tokenizer(text, add_special_tokens=False, truncation=True, max_length=max_length,
                    return_offsets_mapping=True)
    labels = [
        token if any(start < span_end and end > span_start for span_start, span_end in spans) else IGNORE_INDEX
        for token, (start, end) in zip(enc["input_ids"], enc["offset_mapping"], strict=True)
    ]
    return {"input_ids": list(enc["input_ids"]), "attention_mask": list(enc["attention_mask"]), "labels": labels}


def _spans_by_prefix(tokenizer: Any, messages: Sequence[Mapping[str, Any]],
                     text: str) -> list[tuple[int, int]] | None:
    spans = []
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        try:
            before = _render(tokenizer, messages[:i], add_generation_prompt=True)
            through = _render(tokenizer, messages[: i + 1], add_generation_prompt=False)
        except DataError:  # e.g. a template that refuses a conversation opening with the assistant
            return None
        if not (text.startswith(before) and text.startswith(through) and len(before) < len(through)):
            return None
        # The turn ends with its end-of-turn token; what follows it (a newline) belongs to no one.
        spans.append((len(before), len(through.rstrip())))
    return spans


def _spans_by_search(tokenizer: Any, messages: Sequence[Mapping[str, Any]], text: str) -> list[tuple[int, int]]:
    specials = sorted({*tokenizer.all_special_tokens, *tokenizer.get_added_vocab()}, key=len, reverse=True)
    spans, position = [], 0
    for message in messages:
        content = str(message["content"]).strip()
        found = text.find(content, position) if content else -1
        if message["role"] != "assistant" or not content:  # an empty reply has nothing to locate
            position = found + len(content) if found >= 0 else position
            continue
        if found < 0:
            raise DataError(f"The chat template of '{_model_name(tokenizer)}' changes the assistant's text, so "
                            "the loss cannot be limited to the assistant's turns. Use another template.")
        end = found + len(content)
        gap = re.match(r"[ \t]*", text[end:])
        after = end + (gap.end() if gap else 0)
        closing = next((s for s in specials if s and text.startswith(s, after)), None)
        end = after + len(closing) if closing else end
        spans.append((found, end))
        position = end
    return spans


def pack_sequences(examples: Mapping[str, list[list[int]]], max_length: int,
                   eos_token_id: int | None = None) -> dict[str, list[list[int]]]:
    """Pack tokenized examples into blocks of ``max_length`` tokens for SFT (``Dataset.map(batched=True)``).

    Examples are concatenated, separated by ``eos_token_id`` when given (chat renders already end each
    turn with one, so it may be left out), and cut into blocks; the last block may be shorter. The
    separator and the first token of every later example are labelled -100, so no loss asks the model
    to predict one example from another. Attention still crosses example boundaries inside a block.

    Args:
        examples: Columns ``input_ids`` and ``labels`` (lists of token ids, labels -100 where masked).
        max_length: Block length in tokens.
        eos_token_id: Separator token put between examples, or None for none.

    Returns:
        ``input_ids``, ``attention_mask`` and ``labels`` per block.
    """
    ids: list[int] = []
    labels: list[int] = []
    for number, (row_ids, row_labels) in enumerate(zip(examples["input_ids"], examples["labels"], strict=True)):
        if number and eos_token_id is not None:
            ids.append(eos_token_id)
            labels.append(IGNORE_INDEX)
        ids += row_ids
        labels += [IGNORE_INDEX, *row_labels[1:]] if number and row_labels else row_labels
    blocks = range(0, len(ids), max_length)
    return {"input_ids": [ids[i:i + max_length] for i in blocks],
            "attention_mask": [[1] * len(ids[i:i + max_length]) for i in blocks],
            "labels": [labels[i:i + max_length] for i in blocks]}
