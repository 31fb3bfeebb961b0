"""Tokenization of canonical records for encoder tasks and seq2seq, for ``Dataset.map(batched=True)``.

Sequence classification, NER label alignment (the first sub-word of each word carries its tag) and
seq2seq targets. Question answering windows are in ``qa_features.py``; chat rendering with assistant-only
loss masks and packing are in ``chat_format.py``; which recipe applies them per model kind is in the
recipe classes (``registry.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalog.errors import DataError

IGNORE_INDEX = -100
"""Label value that the loss skips (PyTorch's ``CrossEntropyLoss`` default)."""


def require_fast(tokenizer: Any, purpose: str) -> None:
    """Refuse a slow (Python) tokenizer where word or character offsets are needed.

    Args:
        tokenizer: The model's tokenizer.
        purpose: What needs the offsets, for the message.

    Raises:
        DataError: When the tokenizer is not a fast one.
    """
    if not getattr(tokenizer, "is_fast", False):
        name = getattr(tokenizer, "name_or_path", "") or type(tokenizer).__name__
        raise DataError(f"The tokenizer of '{name}' is a slow (Python) tokenizer, but {purpose} needs a fast one "
                        "that maps sub-word tokens back to words and characters. Choose a model that ships a "
                        "tokenizer.json file (most do).")


def tokenize_classification(batch: Mapping[str, list[Any]], tokenizer: Any, max_length: int,
                            text_pair: bool = False) -> dict[str, list[Any]]:
    """Tokenize a batch of classification rows (for ``Dataset.map(batched=True)``); no padding.

    Args:
        batch: Columns ``text``, ``label`` (class ids) and, with ``text_pair``, ``text_pair``.
        tokenizer: The model's tokenizer.
        max_length: Longest sequence in tokens; longer inputs are truncated.
        text_pair: Encode ``text`` and ``text_pair`` as a sentence pair.

    Returns:
        ``input_ids``, ``attention_mask`` (and ``token_type_ids`` where the model uses them) and ``labels``.
    """
    pairs = batch["text_pair"] if text_pair else None
    enc = tokenizer(batch["text"], pairs, truncation=True, max_length=max_length)
    return {**enc, "labels": list(batch["label"])}


def align_ner_labels(batch: Mapping[str, list[Any]], tokenizer: Any, max_length: int) -> dict[str, list[Any]]:
    """Tokenize pre-split words and align their tag ids to sub-word tokens.

    The first sub-word of a word carries the word's tag; the other sub-words and special tokens carry -100.

    Args:
        batch: Columns ``tokens`` (lists of words) and ``tags`` (lists of tag ids).
        tokenizer: A fast tokenizer.
        max_length: Longest sequence in tokens; longer sentences are truncated.

    Returns:
        The tokenizer's encoding plus ``labels``.

    Raises:
        DataError: When the tokenizer is not a fast one.
    """
    require_fast(tokenizer, "aligning NER tags to sub-words")
    enc = tokenizer(batch["tokens"], is_split_into_words=True, truncation=True, max_length=max_length)
    labels = []
    for row, tags in enumerate(batch["tags"]):
        aligned, previous = [], None
        for word in enc.word_ids(row):
            aligned.append(int(tags[word]) if word is not None and word != previous else IGNORE_INDEX)
            previous = word
        labels.append(aligned)
    return {**enc, "labels": labels}


def tokenize_seq2seq(batch: Mapping[str, list[Any]], tokenizer: Any, max_source_length: int,
                     max_target_length: int, source_key: str, target_key: str,
                     prefix: str = "") -> dict[str, list[Any]]:
    """Tokenize sources and targets for an encoder-decoder (summarization, translation); no padding.

    Args:
        batch: A batch holding ``source_key`` and ``target_key`` columns.
        tokenizer: The model's tokenizer.
        max_source_length: Longest input in tokens.
        max_target_length: Longest target in tokens.
        source_key: Column of the inputs (``document`` or ``source``).
        target_key: Column of the targets (``summary`` or ``target``).
        prefix: Text put before each input, e.g. ``"summarize: "`` for T5.

    Returns:
        ``input_ids``, ``attention_mask`` and ``labels`` (the target ids, as ``text_target=`` gives them).
    """
    sources = [prefix + text for text in batch[source_key]]
    enc = tokenizer(sources, max_length=max_source_length, truncation=True)
    targets = tokenizer(text_target=list(batch[target_key]), max_length=max_target_length, truncation=True)
    return {**enc, "labels": targets["input_ids"]}
