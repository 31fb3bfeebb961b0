"""How a training process ends: its exit codes, and a readable reason for an unexpected failure.

The trainer (``finetune.train.main``) exits with these codes and writes these reasons into its ``error``
event; the job runner reads both back without importing the trainer, so nothing here imports torch,
transformers or any other part of ``finetune``.
"""

from __future__ import annotations

import errno

EXIT_SUCCEEDED = 0
EXIT_FAILED = 1
"""The reason is the last ``error`` event of the job (or, when it could not be written, the job log)."""
EXIT_CANCELLED = 3
"""Stopped on request (SIGTERM/SIGINT) after a checkpoint; the job can be resumed."""

_OUT_OF_MEMORY = ("out of memory", "memoryerror", "can't allocate memory", "cannot allocate memory",
                  "failed to map segment from shared object", "std::bad_alloc")


def describe_failure(exc: BaseException | str) -> str:
    """A one-line, human reason for an unexpected failure (out of memory, disk full, ...).

    Args:
        exc: The exception (its causes and context are searched too: a full disk often surfaces as a
            library's own error raised while handling the ``OSError``), or the last error line of a job log.

    Returns:
        The reason with its fix for out-of-memory and full-disk failures, else the first line of the error.
    """
    chain: list[BaseException] = []
    current = exc if isinstance(exc, BaseException) else None
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    texts = [exc] if isinstance(exc, str) else [f"{type(e).__name__}: {e}" for e in chain]
    lowered = "\n".join(texts).lower()
    codes = {getattr(e, "errno", None) for e in chain}
    if any(isinstance(e, MemoryError) for e in chain) or errno.ENOMEM in codes or \
            any(p in lowered for p in _OUT_OF_MEMORY):
        return ("Out of memory: the training process could not get the memory it needed. Lower "
                "train.batch_size or data.max_length, use 4-bit quantization or a smaller model, then retry.")
    if errno.ENOSPC in codes or errno.EDQUOT in codes or any(p in lowered for p in ("no space left",
                                                                                     "disk quota exceeded")):
        return "The disk is full. Free space in the workspace and resume the job."
    return texts[0].splitlines()[0][:500] if texts[0] else "The training process failed; see the job log."
