"""The ``local`` executor: jobs train in processes on this machine, started and watched by the Supervisor.

One process per job, or ``accelerate launch`` with one process per GPU when the job's launch says so
(:mod:`finetune.jobs.executors.launch`); the processes outlive the app, and a restarted app adopts them.
"""

from __future__ import annotations

import signal
import time

from finetune.jobs.executors.base import Executor, RunnerContext
from finetune.jobs.processes import is_watched, pid_alive
from finetune.jobs.store import Job
from finetune.jobs.supervisor import Supervisor, descendants, signal_job


class LocalExecutor(Executor):
    """Train jobs as processes of this machine.

    Args:
        max_memory_mb: Address-space cap of each training process in MiB, or None for none.
    """

    kind = "local"
    remote = False

    def __init__(self, max_memory_mb: int | None = None) -> None:
        super().__init__()
        self.max_memory_mb = max_memory_mb
        self._supervisor: Supervisor | None = None

    def attach(self, context: RunnerContext) -> None:
        """Join a runner and build the Supervisor that starts and watches the processes."""
        super().attach(context)
        self._supervisor = Supervisor(context.store, context.lock, max_memory_mb=self.max_memory_mb,
                                      cancel_grace_s=context.cancel_grace_s, on_settled=context.on_settled)

    @property
    def supervisor(self) -> Supervisor:
        """The Supervisor of this executor's processes."""
        if self._supervisor is None:
            raise RuntimeError("the local executor is not attached to a runner")
        return self._supervisor

    def start(self, job: Job) -> None:
        """Start the job's training process(es) and watch them from a thread."""
        self.supervisor.start(job)

    def stop(self, job: Job, *, wait: bool) -> None:
        """SIGTERM the job's processes: each finishes its step, writes a checkpoint and exits.

        Whoever watches the processes sends SIGKILL when they outlive the grace period; with ``wait`` this
        call blocks until the job has ended (and kills the processes itself when no runner watches them).
        """
        if job.pid:
            self.supervisor.note_signalled(job.id)
        ranks = descendants(job.pid)
        signal_job(job.pid, signal.SIGTERM, ranks)
        if not wait or is_watched(job.id):
            return  # the watching thread enforces the grace period and records the outcome
        grace = self.context.cancel_grace_s
        deadline = time.time() + grace
        while pid_alive(job.pid) and time.time() < deadline:
            time.sleep(0.2)
        forced = pid_alive(job.pid)
        if forced:
            signal_job(job.pid, signal.SIGKILL, ranks)
            while pid_alive(job.pid) and time.time() < deadline + 10:
                time.sleep(0.1)
        self.supervisor.finish(job.id, job.pid, None, forced=forced)

    def reconcile(self, jobs: list[Job]) -> None:
        """Adopt the live training processes of ``jobs`` that no runner watches; finish the gone ones."""
        self.supervisor.reconcile(jobs)
