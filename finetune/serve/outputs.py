"""What a served job's answers look like outside the model: plain values, and streamed generations.

``plain_output`` / ``shown_output`` turn one side's output dict (label, entities, answer span or text) into
the value a metric scores or a person reads. ``TextStream`` runs one ``generate`` in a worker thread and
yields its text through transformers' ``TextIteratorStreamer``; ``Generation`` is one whole answer with the
counts an OpenAI-style API reports.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from catalog.errors import ModelError

log = logging.getLogger(__name__)

FinishReason = Literal["stop", "length"]
GenerateOne = Callable[[dict[str, Any]], tuple[str, int, int, FinishReason]]
"""Runs one generation with the given ``generate`` options: ``(text, prompt tokens, completion tokens, finish)``."""


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
    finish_reason: FinishReason


class TextStream:
    """Text chunks of one streamed generation; counts and finish reason are set once it is exhausted.

    Iterating yields the decoded text piece by piece (``TextIteratorStreamer``) while ``generate`` runs
    in a worker thread; ``close()`` (or leaving a ``for`` loop early) stops the generation.
    """

    def __init__(self, tokenizer: Any, generate: GenerateOne, options: dict[str, Any]) -> None:
        """Start generating.

        Args:
            tokenizer: The model's tokenizer (the streamer decodes with it).
            generate: Runs the generation with the options it is given (a streamer and a stop criterion added).
            options: ``generate`` options.
        """
        from transformers import StoppingCriteriaList, TextIteratorStreamer

        self._stop, self._error = threading.Event(), ""
        self.prompt_tokens = self.completion_tokens = 0
        self.finish_reason: FinishReason = "length"
        self._streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        criteria = StoppingCriteriaList([_StopOnEvent(self._stop)])
        self._thread = threading.Thread(target=self._run, daemon=True, name="tunewise-stream",
                                        args=(generate, {**options, "streamer": self._streamer,
                                                         "stopping_criteria": criteria}))
        self._thread.start()

    def _run(self, generate: GenerateOne, options: dict[str, Any]) -> None:
        try:
            _, self.prompt_tokens, self.completion_tokens, self.finish_reason = generate(options)
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
