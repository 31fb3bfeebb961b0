"""The operating-system side of running jobs: environment limits, the child's memory cap, process groups,
and which jobs this process is watching (its threads outlive the runner objects that started them)."""

from __future__ import annotations

import contextlib
import os
import resource
import threading
from collections.abc import Callable
from pathlib import Path

from catalog.errors import ConfigError
from finetune.jobs.store import Job, pid_alive

ME = str(os.getpid())  #: this process, as the "watcher" recorded on the jobs it watches
_WATCHED: set[str] = set()  # ids of the jobs a runner of this process watches
_WATCHED_LOCK = threading.Lock()


def env_number(name: str) -> float | None:
    """A positive number from the environment, or None when unset.

    Raises:
        ConfigError: When it is set to something else.
    """
    text = os.environ.get(name, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise ConfigError(f"{name}={text!r} is not a positive number; set a positive number or unset it.")
    return value


def memory_cap(max_memory_mb: int | None) -> Callable[[], None] | None:
    """A ``preexec_fn`` that caps the child's address space (RLIMIT_AS), or None for no cap."""
    if not max_memory_mb:
        return None
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = max_memory_mb * 2**20
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)

    def apply() -> None:  # runs in the child between fork and exec: a plain system call, nothing else
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))

    return apply


def watch_set(job_id: str, watched: bool) -> None:
    with _WATCHED_LOCK:
        (_WATCHED.add if watched else _WATCHED.discard)(job_id)


def is_watched(job_id: str) -> bool:
    with _WATCHED_LOCK:
        return job_id in _WATCHED


def watcher_alive(watcher: str | None) -> bool:
    """Whether another process that may be watching a job still lives (this process answers via ``_WATCHED``)."""
    if not watcher or watcher == ME:
        return False
    try:
        return pid_alive(int(watcher))
    except ValueError:
        return False


def signal_group(pid: int | None, sig: int) -> None:
    if not pid:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def is_training_process(job: Job) -> bool:
    try:
        cmdline = Path(f"/proc/{job.pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return "finetune.train" in cmdline and job.folder in cmdline
