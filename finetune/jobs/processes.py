"""The operating-system side of running jobs: the child's memory cap, process groups, whether a process
lives, the kernel's out-of-memory kills, and which jobs this process is watching (its threads outlive the
runner objects that started them)."""

from __future__ import annotations

import contextlib
import os
import resource
import threading
from collections.abc import Callable
from pathlib import Path

from finetune.jobs.store import Job

ME = str(os.getpid())  #: this process, as the "watcher" recorded on the jobs it watches
_WATCHED: set[str] = set()  # ids of the jobs a runner of this process watches
_WATCHED_LOCK = threading.Lock()


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
    """Mark a job as watched (or no longer watched) by a runner of this process."""
    with _WATCHED_LOCK:
        (_WATCHED.add if watched else _WATCHED.discard)(job_id)


def is_watched(job_id: str) -> bool:
    """Whether a runner of this process watches the job's training process."""
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
    """Send ``sig`` to the process group a training process leads (nothing when it is gone or unknown)."""
    if not pid:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def is_training_process(job: Job) -> bool:
    """Whether the job's pid still belongs to its training process (not to a process that reused the pid)."""
    try:
        cmdline = Path(f"/proc/{job.pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return "finetune.train" in cmdline and job.folder in cmdline


def pid_alive(pid: int | None) -> bool:
    """True when a process with this pid exists and is not a zombie."""
    if not pid:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return fh.read().split(") ")[-1][:1] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True


def oom_kill_count() -> int | None:
    """How many processes the kernel's out-of-memory killer has killed since boot (None if unknown)."""
    try:
        with open("/proc/vmstat", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("oom_kill "):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None
