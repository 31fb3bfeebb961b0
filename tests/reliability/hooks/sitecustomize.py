"""Fault-injection hook for the reliability tests, loaded only by training processes those tests start.

A test puts this folder on ``PYTHONPATH`` and sets ``TUNEWISE_TEST_STOP_ON`` to a comma-separated list
of ``open:<text>`` / ``rename:<text>`` specs. When the training process (``python -m finetune.train``)
opens a file for writing, or renames a path, whose name contains ``<text>``, it stops itself with
SIGSTOP, just before that write or rename. The test sees the stopped process (state ``T``) and kills
it there: a ``kill -9`` that lands at an exact point of a save, every time. It uses CPython audit
hooks; nothing in tunewise is patched.
"""

from __future__ import annotations

import os
import signal
import sys

_SPECS = [s.split(":", 1) for s in os.environ.get("TUNEWISE_TEST_STOP_ON", "").split(",") if ":" in s]
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND


def _is_trainer() -> bool:
    argv0 = (getattr(sys, "argv", None) or [""])[0]
    return argv0.replace("\\", "/").endswith(("finetune/train/__main__.py", "finetune/train/main.py"))


def _writes(mode: object, flags: object) -> bool:
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    return isinstance(flags, int) and bool(flags & _WRITE_FLAGS)


def _hook(event: str, args: tuple) -> None:
    if event == "open":
        kind, name, hit = "open", args[0], _writes(args[1], args[2])
    elif event == "os.rename":
        kind, name, hit = "rename", args[0], True
    else:
        return
    if not hit or not isinstance(name, (str, os.PathLike)):
        return
    text = os.fspath(name)
    if isinstance(text, bytes):
        return
    for spec in list(_SPECS):
        spec_kind, needle = spec
        if spec_kind == kind and needle in text.replace("\\", "/") and _is_trainer():
            _SPECS.remove(spec)  # each point stops the process once (it may be continued, not killed)
            os.kill(os.getpid(), signal.SIGSTOP)
            return


if _SPECS:
    sys.addaudithook(_hook)
