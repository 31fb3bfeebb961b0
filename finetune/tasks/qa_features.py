"""SQuAD-style question answering features: overlapping windows over long contexts with the answer's
token positions (the CLS position for unanswerable questions), evaluation features with offsets, and
post-processing of start/end logits back to answer text (SQuAD v2: "" for no answer).
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from catalog.errors import DataError
from finetune.tasks.features import require_fast

log = logging.getLogger(__name__)


def _encode_qa(batch: Mapping[str, list[Any]], tokenizer: Any, max_length: int, doc_stride: int,
               padding: bool | str) -> tuple[Any, int]:
    """Encode question + context into overlapping windows; returns the encoding and the context's sequence id."""
    require_fast(tokenizer, "preparing question-answering windows")
    if not 0 <= doc_stride < max_length:
        raise DataError(f"The document stride ({doc_stride}) must be smaller than the maximum length ({max_length}).")
    # Models that pad on the left read the context first, so truncation must cut the context either way.
    context_first = tokenizer.padding_side == "left"
    questions = [q.lstrip() for q in batch["question"]]  # leading spaces only waste the question's budget
    first, second = (batch["context"], questions) if context_first else (questions, batch["context"])
    try:
        enc = tokenizer(first, second, truncation="only_first" if context_first else "only_second",
                        max_length=max_length, stride=doc_stride, return_overflowing_tokens=True,
                        return_offsets_mapping=True, padding=padding)
    except Exception as exc:  # the tokenizers library reports this as a bare exception
        raise DataError(f"A question is too long to leave room for its context within {max_length} tokens "
                        f"with a stride of {doc_stride} ({exc}). Raise the maximum length, lower the stride, "
                        "or shorten the questions.") from None
    return enc, 0 if context_first else 1


def prepare_qa_features(batch: Mapping[str, list[Any]], tokenizer: Any, max_length: int = 384,
                        doc_stride: int = 128, padding: bool | str = "max_length") -> dict[str, list[Any]]:
    """Training features for extractive QA: one row per context window, with the answer's token span.

    A long context is cut into windows of ``max_length`` tokens that overlap by ``doc_stride`` tokens
    (the question repeats in each). A window that holds the whole answer gets its first and last token
    index; unanswerable questions and windows that miss the answer point both at index 0 (the CLS token).

    Args:
        batch: Columns ``question``, ``context`` and ``answers`` (SQuAD struct; empty lists = unanswerable).
        tokenizer: A fast tokenizer.
        max_length: Window length in tokens, question included.
        doc_stride: Tokens shared by consecutive windows.
        padding: Padding strategy; ``"max_length"`` (default) gives equal-length windows.

    Returns:
        The encoding plus ``start_positions`` and ``end_positions``; one row per window.

    Raises:
        DataError: When the tokenizer is not fast or a question leaves no room for context.
    """
    enc, ctx = _encode_qa(batch, tokenizer, max_length, doc_stride, padding)
    samples = enc.pop("overflow_to_sample_mapping")
    offsets_per_window = enc.pop("offset_mapping")
    starts, ends = [], []
    for window, offsets in enumerate(offsets_per_window):
        answers = batch["answers"][samples[window]]
        start, end = 0, 0
        if answers["answer_start"]:
            first_char = int(answers["answer_start"][0])
            last_char = first_char + len(answers["text"][0])
            sequence_ids = enc.sequence_ids(window)
            first_tok = sequence_ids.index(ctx)
            last_tok = len(sequence_ids) - 1 - sequence_ids[::-1].index(ctx)
            if offsets[first_tok][0] <= first_char and offsets[last_tok][1] >= last_char:
                start = first_tok
                while start <= last_tok and offsets[start][0] <= first_char:
                    start += 1
                end = last_tok
                while end >= first_tok and offsets[end][1] >= last_char:
                    end -= 1
                start, end = start - 1, end + 1
        starts.append(start)
        ends.append(end)
    return {**enc, "start_positions": starts, "end_positions": ends}


def prepare_qa_eval_features(batch: Mapping[str, list[Any]], tokenizer: Any, max_length: int = 384,
                             doc_stride: int = 128, padding: bool | str = "max_length") -> dict[str, list[Any]]:
    """Evaluation features for extractive QA: the windows of ``prepare_qa_features`` plus what maps back.

    Args:
        batch: Columns ``id``, ``question`` and ``context``.
        tokenizer: A fast tokenizer.
        max_length: Window length in tokens, question included.
        doc_stride: Tokens shared by consecutive windows.
        padding: Padding strategy; ``"max_length"`` (default) gives logits of equal length.

    Returns:
        The encoding plus ``example_id`` (the record's id) and ``offset_mapping`` (character span per token,
        None for tokens outside the context) for ``postprocess_qa_predictions``. Drop both columns before
        the model sees the batch.

    Raises:
        DataError: When the tokenizer is not fast or a question leaves no room for context.
    """
    enc, ctx = _encode_qa(batch, tokenizer, max_length, doc_stride, padding)
    samples = enc.pop("overflow_to_sample_mapping")
    enc["example_id"] = [batch["id"][s] for s in samples]
    enc["offset_mapping"] = [
        [list(span) if seq == ctx else None for span, seq in zip(offsets, enc.sequence_ids(window), strict=True)]
        for window, offsets in enumerate(enc["offset_mapping"])
    ]
    return dict(enc)


def postprocess_qa_predictions(examples: Iterable[Mapping[str, Any]], features: Iterable[Mapping[str, Any]],
                               start_logits: Any, end_logits: Any, n_best: int = 20, max_answer_length: int = 30,
                               null_score_diff_threshold: float = 0.0) -> dict[str, str]:
    """Turn per-window start/end logits into one answer per question (SQuAD v2 style).

    For each question the best span over all its windows wins (``n_best`` starts x ``n_best`` ends, spans
    inside the context, at most ``max_answer_length`` tokens). The no-answer score is the lowest
    CLS start + end logit over the windows; when it beats the best span by more than
    ``null_score_diff_threshold`` the prediction is ``""``.

    Args:
        examples: Rows with ``id`` and ``context`` (a list of records or a ``Dataset``).
        features: Rows from ``prepare_qa_eval_features`` (``example_id``, ``offset_mapping``), in logit order.
        start_logits: Array ``[n_features, seq_len]``.
        end_logits: Array ``[n_features, seq_len]``.
        n_best: How many top start and end positions to combine.
        max_answer_length: Longest answer in tokens.
        null_score_diff_threshold: Margin the no-answer score needs over the best span.

    Returns:
        ``{id: answer text}``, ``""`` for a predicted no-answer.
    """
    import numpy as np

    start_logits, end_logits = np.asarray(start_logits), np.asarray(end_logits)
    windows: dict[Any, list[tuple[int, list[Any]]]] = defaultdict(list)
    for index, feature in enumerate(features):
        windows[feature["example_id"]].append((index, feature["offset_mapping"]))
    predictions: dict[str, str] = {}
    for example in examples:
        best_text, best_score, null_score = "", -math.inf, math.inf
        for index, offsets in windows.get(example["id"], []):
            starts, ends = start_logits[index], end_logits[index]
            null_score = min(null_score, float(starts[0] + ends[0]))
            top_starts = np.argsort(starts)[::-1][:n_best]
            top_ends = np.argsort(ends)[::-1][:n_best]
            for s in top_starts:
                for e in top_ends:
                    if s >= len(offsets) or e >= len(offsets) or offsets[s] is None or offsets[e] is None:
                        continue
                    if e < s or e - s + 1 > max_answer_length:
                        continue
                    score = float(starts[s] + ends[e])
                    if score > best_score:
                        best_score, best_text = score, example["context"][offsets[s][0]:offsets[e][1]]
        no_answer = best_score == -math.inf or null_score - best_score > null_score_diff_threshold
        predictions[example["id"]] = "" if no_answer else best_text
    return predictions
