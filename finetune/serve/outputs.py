"""The parts of ``finetune.serve.pair`` that are not the pair itself: task outputs, streaming, loading guards.

Entities for NER and answer spans for QA mirror what ``Recipe.predict`` scores (first sub-token of each
word; the best n-best span over all windows, as ``postprocess_qa_predictions``) and add what a person
wants to see: entity groups and the answer's position and confidence. ``TextStream`` runs one
``generate`` in a worker thread and yields its text through transformers' ``TextIteratorStreamer``.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from catalog.errors import ModelError, TunewiseError
from finetune.config.run import RunConfig

if TYPE_CHECKING:
    from finetune.serve.pair import ModelPair

log = logging.getLogger(__name__)


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


def tag_batch(pair: ModelPair, token_lists: Sequence[Sequence[str]]) -> list[list[str]]:
    """BIO tags for a batch of sentences: the label of each word's first sub-token ("O" past truncation)."""
    model, tokenizer = pair.model, pair.tokenizer
    device = next(model.parameters()).device
    enc = tokenizer([list(t) for t in token_lists], is_split_into_words=True, truncation=True,
                    max_length=pair.cfg.data.max_length, padding=True, return_tensors="pt").to(device)
    predicted = model(**enc).logits.argmax(-1).tolist()
    labels = pair.labels or []
    out = []
    for row, tokens in enumerate(token_lists):
        tags, seen = ["O"] * len(tokens), set()
        for position, word in enumerate(enc.word_ids(row)):
            if word is not None and word not in seen:
                seen.add(word)
                tags[word] = labels[predicted[row][position]]
        out.append(tags)
    return out


def answer_spans(pair: ModelPair, records: Sequence[dict[str, Any]], *, batch_size: int = 16,
                 n_best: int = 20, max_answer_length: int = 30) -> list[dict[str, Any]]:
    """The best answer span per question over all its context windows.

    Returns:
        ``[{"answer", "score", "start", "end"}]``: the answer text (``""`` when "no answer" wins), the
        probability of the span (start x end softmax in its window; of "no answer" when empty) and its
        character offsets in the context (None for no answer).
    """
    import numpy as np
    import torch

    from finetune.tasks.qa_features import prepare_qa_eval_features

    model, tokenizer, cfg = pair.model, pair.tokenizer, pair.cfg
    device = next(model.parameters()).device
    batch = {"id": [str(i) for i in range(len(records))], "question": [r["question"] for r in records],
             "context": [r["context"] for r in records]}
    feats = prepare_qa_eval_features(batch, tokenizer, cfg.data.max_length or 384, cfg.data.doc_stride,
                                     padding="max_length")
    starts: list[Any] = []
    ends: list[Any] = []
    for i in range(0, len(feats["input_ids"]), batch_size):
        inputs = {k: torch.tensor(feats[k][i:i + batch_size], device=device)
                  for k in ("input_ids", "attention_mask", "token_type_ids") if k in feats}
        out = model(**inputs)
        starts += out.start_logits.float().cpu().tolist()
        ends += out.end_logits.float().cpu().tolist()
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


def _span_probability(start_logits: Sequence[float], end_logits: Sequence[float], s: int, e: int) -> float:
    def softmax_at(logits: Sequence[float], k: int) -> float:
        top = max(logits)
        return math.exp(logits[k] - top) / sum(math.exp(x - top) for x in logits)

    return softmax_at(start_logits, s) * softmax_at(end_logits, e)


# -- outputs as plain values -----------------------------------------------------------------------
def plain_output(output: dict[str, Any] | None) -> tuple[Any, float | None]:
    """A side's output as the plain prediction a metric scores (label, tags, answer, text) and its score."""
    if output is None:
        return None, None
    for key in ("label", "tags", "answer", "text"):
        if key in output:
            return output[key], output.get("score")
    return None, None


def shown_output(output: dict[str, Any] | None) -> tuple[Any, float | None]:
    """A side's output as one readable value: label, entities as ``text (TYPE)``, answer or text."""
    if output is not None and "entities" in output:
        shown = ", ".join(f"{e['text']} ({e['type']})" for e in output["entities"]) or "(no entities)"
        return shown, None
    return plain_output(output)


# -- streaming -------------------------------------------------------------------------------------
@dataclass
class Generation:
    """One generated answer (decoded as a streamer would, not stripped) with the counts an OpenAI-style API
    reports."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: Literal["stop", "length"]


class TextStream:
    """Text chunks of one streamed generation; counts and finish reason are set once it is exhausted.

    Iterating yields the decoded text piece by piece (``TextIteratorStreamer``) while ``generate`` runs
    in a worker thread; ``close()`` (or leaving a ``for`` loop early) stops the generation.
    """

    def __init__(self, pair: ModelPair, prompt_text: str, adapter: str, options: dict[str, Any]) -> None:
        from transformers import StoppingCriteriaList, TextIteratorStreamer

        self._pair, self._stop, self._error = pair, threading.Event(), ""
        self.prompt_tokens = self.completion_tokens = 0
        self.finish_reason: Literal["stop", "length"] = "length"
        self._streamer = TextIteratorStreamer(pair.tokenizer, skip_prompt=True, skip_special_tokens=True)
        criteria = StoppingCriteriaList([_StopOnEvent(self._stop)])
        self._thread = threading.Thread(target=self._run, daemon=True, name="tunewise-stream",
                                        args=(prompt_text, adapter, {**options, "streamer": self._streamer,
                                                                     "stopping_criteria": criteria}))
        self._thread.start()

    def _run(self, prompt_text: str, adapter: str, options: dict[str, Any]) -> None:
        try:
            result = self._pair._generate_ids([prompt_text], [adapter], options, keep_end=True)[0]
            self.prompt_tokens, self.completion_tokens, self.finish_reason = result[1], result[2], result[3]
        except Exception as exc:  # noqa: BLE001 - reported to the reader, never lost in the thread
            log.exception("streamed generation failed")
            first_line = str(exc).splitlines()[0] if str(exc) else ""
            self._error = f"Generation failed: {type(exc).__name__}: {first_line}"
            self._streamer.end()  # unblock the reader

    def __iter__(self) -> Iterator[str]:
        try:
            for chunk in self._streamer:
                if chunk:
                    yield chunk
        finally:
            self.close()
        self._thread.join()
        if self._error:
            raise ModelError(self._error)

    def close(self) -> None:
        """Stop generating (the worker ends at the next token)."""
        self._stop.set()

    def wait(self, timeout: float | None = 30.0) -> None:
        """Wait for the worker to finish (after :meth:`close` or the last chunk)."""
        self._thread.join(timeout)


class _StopOnEvent:
    """A stopping criterion that ends generation once the reader has gone away."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        stop = self.event.is_set()
        return torch.full((input_ids.shape[0],), stop, dtype=torch.bool, device=input_ids.device)


# -- loading -----------------------------------------------------------------------------------------
def fill_languages(cfg: RunConfig) -> None:
    """Translation prompts name the languages; recover them from the job's data when the config lacks them."""
    if cfg.task != "translation" or (cfg.data.source_lang and cfg.data.target_lang):
        return
    from finetune.data.facade import load_data
    from finetune.workspace import confine

    try:
        loaded = load_data(confine(cfg.data.path), task="translation")
    except TunewiseError as exc:
        log.warning("translation languages unknown (%s); prompts name no language", exc)
        return
    cfg.data.source_lang = cfg.data.source_lang or loaded.source_lang
    cfg.data.target_lang = cfg.data.target_lang or loaded.target_lang


def guard_cpu_packing(model: Any) -> None:
    """Keep bitsandbytes from repacking 4-bit weights for CPU inference where the layer's shape does not
    allow it (out features not a multiple of 32, in features not a multiple of the quantization block):
    the repacking would fail on the first forward. Layers that fit keep the faster packed kernel."""
    for module in model.modules():
        if getattr(module, "support_avx512bf16_for_cpu", False):
            state = getattr(module.weight, "quant_state", None)
            block = getattr(state, "blocksize", 64) or 64
            if module.out_features % 32 or module.in_features % block:
                module.support_avx512bf16_for_cpu = False


@contextlib.contextmanager
def quiet_loading() -> Iterator[None]:
    """Keep transformers' load report, progress bars and deprecation notes out of a served model's logs.

    Loading a task model reports its new head as "MISSING ... newly initialized": true for the bare base,
    but the job's adapter supplies the trained head right after, so the note would only mislead.
    """
    import warnings

    from transformers.utils import logging as hf_logging

    level, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()
