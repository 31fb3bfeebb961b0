"""Base and tuned side by side from ONE model in memory: predictions, streaming, batched comparison.

    pair = model_pair(job_dir)                    # cached: the 4-bit base with the job's adapter attached
    pair.predict(["my card was charged twice"])   # [{"input", "base": {...}, "tuned": {...}}]
    for chunk in pair.stream("Hi!", which="base"): ...

Base outputs come from the same weights with the adapter switched off, so side by side costs one
model's memory. For generative tasks base and tuned rows go through ONE ``generate`` call as a mixed
batch (peft's ``adapter_names``: ``"__base__"`` = adapter off); greedy outputs are the tokens of the
adapter-off and adapter-on paths. What differs per task (inputs, outputs, prompts) is the job's recipe
(``finetune.tasks.registry``); what "base" means per task:

- text classification: the zero-shot embedding-similarity baseline (``finetune.tasks.metrics.zero_shot_predict``),
  the one the job's metrics use — the untrained head would only guess. It loads the plain encoder once
  (``load_encoder`` caches it), the one exception to "one model in memory".
- token classification and extractive QA: none (``None`` with a ``note``): without training, the task
  head is random, so its output would mean nothing.
- summarization, translation, chat: the base model with the adapter disabled, prompted like the tuned one.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from catalog.env import env_int
from catalog.errors import DataError, JobError, ModelError
from finetune.config.run import RunConfig
from finetune.serve.loading import fill_languages, guard_cpu_packing, quiet_loading
from finetune.serve.outputs import FinishReason, Generation, TextStream, shown_output

__all__ = ["BASE_ADAPTER", "ClassifierPair", "ModelPair", "Side", "Which", "classifier_pair", "clear_pairs",
           "model_pair"]

log = logging.getLogger(__name__)

Which = Literal["base", "tuned", "both"]
Side = Literal["base", "tuned"]
BASE_ADAPTER = "__base__"
"""peft's name for "no adapter" in a mixed batch."""
PAIR_CACHE_SIZE = env_int("TUNEWISE_SERVE_CACHE")
"""How many jobs' models ``model_pair`` keeps loaded (least recently used are dropped)."""


class ModelPair:
    """One job's model in memory (peft model: base + adapter), answering for base and tuned.

    Attributes:
        job_dir: The job folder.
        cfg: The job's run config.
        kind: ``seq-cls`` | ``token-cls`` | ``qa`` | ``seq2seq`` | ``causal``.
        model: The peft model in eval mode (the only copy of the weights).
        tokenizer: Its tokenizer.
        recipe: The job's recipe (inputs, prompts, outputs, references, metrics).
    """

    def __init__(self, job_dir: Path) -> None:
        from finetune.serve.loading import serving_config
        from finetune.tasks.registry import recipe_for
        from finetune.train.model import (
            job_labels,
            load_for_inference,
            model_kind,
            pick_device,
            resolve_model_source,
        )

        if not (job_dir / "config.yaml").is_file():
            raise JobError(f"{job_dir.name} is not a job folder: it has no config.yaml.")
        self.job_dir = job_dir
        self.cfg = RunConfig.from_yaml(job_dir / "config.yaml")
        fill_languages(self.cfg)
        self.base_source = resolve_model_source(self.cfg.model.name)[0]
        self.kind = model_kind(self.cfg.task, self.base_source, revision=self.cfg.model.revision,
                               trust_remote_code=self.cfg.model.trust_remote_code)
        self.labels = job_labels(job_dir)
        served, self.precision_note = serving_config(self.cfg, pick_device(self.cfg.train.device))
        with quiet_loading():
            self.model, self.tokenizer = load_for_inference(job_dir, served)
        guard_cpu_packing(self.model)
        self.adapter = str(self.model.active_adapter)
        self.recipe = recipe_for(self.kind, self.cfg.task, self.cfg, self.labels)
        self._lock = threading.RLock()  # peft's adapter_names hooks and generate are not re-entrant

    @property
    def task(self) -> str:
        """The job's task."""
        return self.cfg.task

    @property
    def generative(self) -> bool:
        """True for summarization, translation and chat (text out)."""
        return self.recipe.generative

    @property
    def base_note(self) -> str | None:
        """Why there is no base output for this task, or None when there is one."""
        return self.recipe.base_note

    # -- inputs -----------------------------------------------------------------------------------
    def to_record(self, item: Any, index: int = 0) -> dict[str, Any]:
        """Turn one user input into the task's canonical record (targets left empty).

        Accepted: a string (the text, document, source sentence or user message); a list of words (NER) or
        of ``{role, content}`` messages (chat); a canonical record; ``{question, context}`` for QA.

        Raises:
            DataError: When the input does not fit the task.
        """
        return self.recipe.to_record(item, index)

    def prompt_text(self, record: dict[str, Any]) -> str:
        """The exact text a generative model sees for a record (task prefix or chat template applied)."""
        return self.recipe.prompt_text(record, self.tokenizer)

    def conversation_prompt(self, turns: Sequence[dict[str, str]]) -> str:
        """The text a generative model sees for a conversation ending with the user's turn: the whole
        conversation through the chat template (decoder-only), the last user message with the task prefix
        (encoder-decoder)."""
        return self.recipe.conversation_prompt(turns, self.tokenizer)

    def chat_text(self, messages: Sequence[dict[str, str]]) -> str:
        """A conversation (ending with the user's turn) rendered with the chat template, ready to answer."""
        rendered = self.tokenizer.apply_chat_template(list(messages), tokenize=False,
                                                      add_generation_prompt=True)
        return str(rendered)

    # -- predictions ------------------------------------------------------------------------------
    def predict(self, inputs: Sequence[Any], which: Which = "both", *, batch_size: int = 16,
                max_new_tokens: int | None = None) -> list[dict[str, Any]]:
        """Base and/or tuned output for each input, in the task's shape.

        Args:
            inputs: See :meth:`to_record`.
            which: ``both``, ``base`` or ``tuned`` (the side not asked for is ``None``).
            batch_size: Inputs per forward / ``generate`` call (a mixed batch holds twice as many rows).
            max_new_tokens: Generated tokens per answer (default: the job's ``eval.max_new_tokens``).

        Returns:
            Per input ``{"input": text, "base": out|None, "tuned": out|None}`` (+ ``"note"`` when a task has
            no base), where ``out`` is ``{"label", "score"}`` (classification), ``{"entities", "tags"}`` (NER;
            entities are ``{text, type, start_token, end_token}``, end exclusive), ``{"answer", "score",
            "start", "end"}`` (QA; character offsets in the context) or ``{"text"}`` (generation).

        Raises:
            DataError: When an input does not fit the task.
        """
        records = [self.to_record(item, i) for i, item in enumerate(inputs)]
        return self.predict_records(records, which, batch_size=batch_size, max_new_tokens=max_new_tokens)

    def predict_records(self, records: Sequence[dict[str, Any]], which: Which = "both", *,
                        batch_size: int = 16, max_new_tokens: int | None = None) -> list[dict[str, Any]]:
        """:meth:`predict` for canonical records (the rows of a dataset file)."""
        if which not in ("base", "tuned", "both"):
            raise DataError(f"which must be base, tuned or both, not {which!r}.")
        want_base, want_tuned = which in ("base", "both"), which in ("tuned", "both")
        if not records:
            return []
        with self._lock, _inference_mode():
            base, tuned = self.recipe.outputs(self, list(records), want_base=want_base, want_tuned=want_tuned,
                                              batch_size=batch_size, max_new_tokens=max_new_tokens)
        rows = []
        for i, record in enumerate(records):
            row: dict[str, Any] = {"input": self.recipe.input_text(record), "base": base[i], "tuned": tuned[i]}
            if want_base and self.base_note:
                row["note"] = self.base_note
            rows.append(row)
        return rows

    # -- generation -------------------------------------------------------------------------------
    def generation_options(self, max_new_tokens: int | None = None, temperature: float | None = None,
                           top_p: float | None = None) -> dict[str, Any]:
        """``generate`` arguments: the job's greedy / beam settings, or sampling at a temperature > 0."""
        ev = self.cfg.eval
        options: dict[str, Any] = {"max_new_tokens": max_new_tokens or ev.max_new_tokens, "num_beams": ev.num_beams,
                                   "do_sample": False, "repetition_penalty": ev.repetition_penalty,
                                   "no_repeat_ngram_size": ev.no_repeat_ngram_size}
        if temperature:
            options.update(do_sample=True, temperature=temperature, num_beams=1, top_p=top_p or 1.0)
        return options

    def generate_pairs(self, prompts: list[str], want_base: bool, want_tuned: bool, batch_size: int,
                       max_new_tokens: int | None) -> dict[str, list[str]]:
        """Generate for each prompt with the adapter off and/or on: both sides of one chunk of prompts
        share one mixed batch, padded like a batch of that chunk alone."""
        sides = [s for s, wanted in ((BASE_ADAPTER, want_base), (self.adapter, want_tuned)) if wanted]
        options = self.generation_options(max_new_tokens)
        out: dict[str, list[str]] = {"base": [], "tuned": []}
        for i in range(0, len(prompts), batch_size):
            chunk = prompts[i:i + batch_size]
            results = self._generate_ids(chunk * len(sides), [s for s in sides for _ in chunk], options)
            for j, side in enumerate(sides):
                side_rows = results[j * len(chunk):(j + 1) * len(chunk)]
                texts = [r[0].strip() for r in side_rows]  # stripped, as the recipe's predict does
                out["base" if side == BASE_ADAPTER else "tuned"] += texts
        return out

    def generate(self, prompts: Sequence[str], sides: Sequence[Side], *, max_new_tokens: int | None = None,
                 temperature: float | None = None, top_p: float | None = None) -> list[Generation]:
        """Generate from already-rendered prompts (see :meth:`prompt_text`, :meth:`chat_text`), one side per
        prompt, all in one mixed batch. A decoder-only model keeps the end of an over-long prompt.

        Raises:
            ModelError: When the job's model does not generate text.
        """
        self._require_generative()
        if len(prompts) != len(sides) or any(s not in ("base", "tuned") for s in sides):
            raise DataError("generate() takes one side, 'base' or 'tuned', per prompt.")
        names = [BASE_ADAPTER if s == "base" else self.adapter for s in sides]
        options = self.generation_options(max_new_tokens, temperature, top_p)
        with self._lock, _inference_mode():
            return [Generation(*r) for r in self._generate_ids(list(prompts), names, options, keep_end=True)]

    def stream(self, prompt: Any, which: Side = "tuned", *, raw: bool = False,
               max_new_tokens: int | None = None, temperature: float | None = None,
               top_p: float | None = None) -> TextStream:
        """Stream one answer as text chunks (``"".join(chunks)`` is the answer; greedy unless a temperature).

        Args:
            prompt: An input as for :meth:`predict`, or with ``raw=True`` the exact text the model sees.
            which: ``tuned`` (adapter on) or ``base`` (adapter off).
            raw: Use ``prompt`` as it is (no task prefix or chat template).
            max_new_tokens: Generated tokens at most (default: the job's ``eval.max_new_tokens``).
            temperature: Sample at this temperature (None or 0 = greedy).
            top_p: Nucleus sampling mass when sampling.

        Raises:
            ModelError: When the job's model does not generate text.
        """
        self._require_generative()
        if which not in ("base", "tuned"):
            raise DataError(f"stream() takes which='base' or 'tuned', not {which!r}.")
        text = str(prompt) if raw else self.prompt_text(self.to_record(prompt))
        options = self.generation_options(max_new_tokens, temperature, top_p)
        options["num_beams"] = 1  # streamers follow a single sequence
        adapter = BASE_ADAPTER if which == "base" else self.adapter

        def generate_one(opts: dict[str, Any]) -> tuple[str, int, int, FinishReason]:
            return self._generate_ids([text], [adapter], opts, keep_end=True)[0]

        return TextStream(self.tokenizer, generate_one, options)

    def quiet_loading(self) -> contextlib.AbstractContextManager[None]:
        """A context that keeps a model load's report out of the logs (a baseline's own model loads in it)."""
        return quiet_loading()

    def _context_budget(self, max_new_tokens: int) -> int:
        """Prompt tokens a decoder-only model can take next to ``max_new_tokens`` generated ones."""
        context = getattr(self.model.config, "max_position_embeddings", None) or 4096
        return max(context - max_new_tokens, 16)

    def _require_generative(self) -> None:
        if not self.generative:
            raise ModelError(f"This {self.task} job does not generate text; use predict() for its output.")

    def _generate_ids(self, prompts: list[str], adapters: list[str], options: dict[str, Any], *,
                      keep_end: bool = False) -> list[tuple[str, int, int, FinishReason]]:
        """One ``generate`` call over prompts with one adapter name per row (``__base__`` = off).

        Prompts are cut to ``data.max_length`` tokens from the right, as training's evaluation did, unless
        ``keep_end``: then a decoder-only model keeps the END of a long prompt (where its answer starts) up
        to its context length less the tokens to generate.
        """
        tok, model = self.tokenizer, self.model
        device = next(model.parameters()).device
        causal = self.recipe.decoder_only
        limit = self.cfg.data.max_length
        if keep_end and causal:
            limit = self._context_budget(options["max_new_tokens"])
        with self._lock, _inference_mode(), _tokenizer_sides(tok, causal, keep_end and causal):
            enc = tok(prompts, add_special_tokens=not causal, truncation=True, max_length=limit, padding=True,
                      return_tensors="pt").to(device)
            out = model.generate(**enc, **options, adapter_names=adapters, pad_token_id=tok.pad_token_id)
        # the answer: after the prompt (decoder-only), after the decoder start token (encoder-decoder)
        new = out[:, enc["input_ids"].shape[1]:] if causal else out[:, 1:]
        texts = tok.batch_decode(new, skip_special_tokens=True)
        eos = tok.eos_token_id
        results: list[tuple[str, int, int, FinishReason]] = []
        prompt_lengths = enc["attention_mask"].sum(dim=1).tolist()
        for row, text, prompt_length in zip(new.tolist(), texts, prompt_lengths, strict=True):
            stop = eos in row
            used = row.index(eos) + 1 if stop else len([t for t in row if t != tok.pad_token_id])
            results.append((text, int(prompt_length), used, "stop" if stop else "length"))
        return results


class ClassifierPair:
    """The flat rows the Compare tab and the ``compare`` tool show (``classifier_pair(job).predict``)."""

    def __init__(self, job_dir: Path) -> None:
        self.pair = model_pair(job_dir)

    def predict(self, texts: list[str]) -> list[dict[str, Any]]:
        """Both models' output and score for each input: ``{input, base, base_score, tuned, tuned_score}``.

        ``base`` / ``tuned`` are the label (classification), the entities as ``text (TYPE), ...`` (NER), the
        answer (QA) or the generated text; ``base`` is None with a ``note`` where the task has no baseline.
        """
        rows = []
        for row in self.pair.predict(texts):
            flat: dict[str, Any] = {"input": row["input"]}
            for side in ("base", "tuned"):
                flat[side], flat[f"{side}_score"] = shown_output(row[side])
            if row.get("note"):
                flat["note"] = row["note"]
            rows.append(flat)
        return rows


def classifier_pair(job_dir: Path) -> ClassifierPair:
    """The side-by-side view of a job (its model loaded once per process; see :func:`model_pair`)."""
    return ClassifierPair(job_dir)


_PAIRS_LOCK = threading.Lock()


@functools.lru_cache(maxsize=PAIR_CACHE_SIZE)
def _cached_pair(folder: str, adapter_stamp: int) -> ModelPair:
    return ModelPair(Path(folder))


def model_pair(job_dir: Path) -> ModelPair:
    """The job's :class:`ModelPair`, loaded once per process (a retrained adapter is reloaded).

    Raises:
        ModelError: When the job has no trained adapter or its model cannot be loaded.
    """
    folder = Path(job_dir).resolve()
    weights = folder / "adapter" / "adapter_config.json"
    stamp = weights.stat().st_mtime_ns if weights.is_file() else 0
    with _PAIRS_LOCK:
        return _cached_pair(str(folder), stamp)


def clear_pairs() -> None:
    """Drop every loaded pair (frees their memory once no one else holds them)."""
    with _PAIRS_LOCK:
        _cached_pair.cache_clear()


# -- helpers ---------------------------------------------------------------------------------------
@contextlib.contextmanager
def _inference_mode() -> Iterator[None]:
    import torch

    with torch.inference_mode():
        yield


@contextlib.contextmanager
def _tokenizer_sides(tokenizer: Any, left_padding: bool, left_truncation: bool) -> Iterator[None]:
    """Decoder-only generation pads on the left so every prompt ends where its answer starts; a long prompt
    loses its start, not the end that asks for the answer, when truncated on the left."""
    sides = tokenizer.padding_side, tokenizer.truncation_side
    if left_padding:
        tokenizer.padding_side = "left"
    if left_truncation:
        tokenizer.truncation_side = "left"
    try:
        yield
    finally:
        tokenizer.padding_side, tokenizer.truncation_side = sides
