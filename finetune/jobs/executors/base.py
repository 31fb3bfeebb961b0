"""The executor interface, and the record in each job folder of which executor runs the job and how.

An executor takes the jobs the runner starts and owns them until their outcome is recorded: ``local`` starts
training processes on this machine, ``ray`` submits them to a Ray cluster. The runner keeps the queue and the
user's actions; the job store keeps the status. Which executor a job belongs to, with what it needs to find the
job again after an app restart (the Ray address and submission id) and the launch it was given, lives in the
job folder's ``executor.json`` (:class:`ExecutorRecord`); a folder without one is a local job.
"""

from __future__ import annotations

import json
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from finetune.jobs.store import Job, JobStore

RECORD_FILE = "executor.json"


@dataclass
class ExecutorRecord:
    """Which executor runs a job, and what it needs to find the job again.

    Attributes:
        kind: ``local`` or ``ray``.
        launch: The :class:`~finetune.jobs.executors.launch.Launch` as data (empty: decided at start).
        address: The Ray dashboard address (``ray`` only).
        submission_id: The Ray job of the job's current run (``ray`` only; None before it is submitted).
        log_lines: Lines of that Ray job's log already copied into the job folder (``ray`` only).
        first_event: Events in ``events.jsonl`` before that run began (``ray`` only): its own come after.
        nodes: Nodes the job trains on (``ray`` only; more than 1: Ray Train workers, DDP).
    """

    kind: str = "local"
    launch: dict[str, Any] = field(default_factory=dict)
    address: str | None = None
    submission_id: str | None = None
    log_lines: int = 0
    first_event: int = 0
    nodes: int = 1


def read_record(folder: Path) -> ExecutorRecord:
    """The job folder's executor record; a folder without one (or with a torn one) holds a local job."""
    try:
        data = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ExecutorRecord()
    if not isinstance(data, dict):
        return ExecutorRecord()
    return ExecutorRecord(**{k: v for k, v in data.items() if k in ExecutorRecord.__dataclass_fields__})


def write_record(folder: Path, record: ExecutorRecord) -> None:
    """Write the record atomically (a process killed mid-write leaves the old record, never a torn one)."""
    tmp = folder / f".{RECORD_FILE}.{os.getpid()}.{threading.get_ident()}.tmp"
    tmp.write_text(json.dumps(asdict(record), indent=1), encoding="utf-8")
    tmp.replace(folder / RECORD_FILE)


@dataclass
class RunnerContext:
    """What an executor shares with the runner that drives it.

    Attributes:
        store: The job store.
        lock: The runner's lock: starting, finishing and reconciling jobs never interleave within a process.
        cancel_grace_s: Seconds a cancelled job gets to checkpoint and stop before it is killed.
        on_settled: Called after a job's outcome is recorded (the runner starts the next queued job).
    """

    store: JobStore
    lock: threading.RLock
    cancel_grace_s: float
    on_settled: Callable[[], None]


class Executor(ABC):
    """Where jobs run: starts the jobs the runner hands it, passes cancels on, records their outcome.

    Attributes:
        kind: The name jobs record (``executor.json``'s ``kind``).
        remote: Whether jobs queue elsewhere (on a cluster) instead of in this workspace's queue: they start
            at once and do not count against ``TUNEWISE_MAX_JOBS``.
    """

    kind: ClassVar[str]
    remote: ClassVar[bool] = False

    def __init__(self) -> None:
        self._context: RunnerContext | None = None

    def attach(self, context: RunnerContext) -> None:
        """Join a runner: its store, lock, cancel grace and what to call when a job settles."""
        self._context = context

    @property
    def context(self) -> RunnerContext:
        """The runner's context (set by :meth:`attach`)."""
        if self._context is None:
            raise RuntimeError(f"the {self.kind} executor is not attached to a runner")
        return self._context

    @property
    def where(self) -> str:
        """Where its jobs run, for people: ``this machine``, ``the Ray cluster at ...``."""
        return "this machine"

    def record(self) -> ExecutorRecord:
        """The record a new job of this executor starts with."""
        return ExecutorRecord(kind=self.kind)

    def check(self) -> None:
        """Refuse new jobs early when they could not run (an unreachable cluster); nothing to check by default.

        Raises:
            TunewiseError: Saying why and what to do.
        """
        return None

    @abstractmethod
    def start(self, job: Job) -> None:
        """Start a job the runner has marked running (no pid yet); a start that fails fails the job.

        Args:
            job: The job; its folder holds ``config.yaml`` and ``executor.json``.
        """

    @abstractmethod
    def stop(self, job: Job, *, wait: bool) -> None:
        """Pass on a cancel the runner has recorded (``cancel_requested``).

        Args:
            job: The running job.
            wait: Block until the job's outcome is recorded.
        """

    @abstractmethod
    def reconcile(self, jobs: list[Job]) -> None:
        """Settle or adopt running jobs of this executor that no runner of this process watches.

        Args:
            jobs: The running jobs that belong to this executor.
        """
