"""``JobRunner``: the job queue and what people do with jobs: submit, list, follow, cancel, resume, retry.

A runner lives in the app (or CLI) process. It never trains in its own process: each job is
``python -m finetune.train config.yaml`` with its output in the job folder's ``train.log``, in a session
of its own, so it outlives the app; its :class:`~finetune.jobs.supervisor.Supervisor` starts, watches and
settles those processes. What survives what:

- the training process killed (``kill -9``, the OOM killer): the job ends ``interrupted`` (or ``failed``
  with "Out of memory" when the kernel's OOM killer acted) with a readable reason; ``resume`` continues
  from the last complete checkpoint (a checkpoint torn by the kill is set aside, not loaded);
- the app killed: a new runner finds the job; a training process that is still alive is adopted and
  watched to the end, one that is gone becomes ``interrupted`` (or ``succeeded`` / ``failed`` when its
  events say it finished) — nothing stays "running" forever;
- a full disk or too little memory: ``failed`` with "The disk is full" / "Out of memory" and the fix;
- a cancel that is ignored: SIGTERM, then SIGKILL after ``cancel_grace_s`` (the reason says it was forced).

Several runners (the app, ``tunewise jobs ...``) may share one workspace: the store claims queued jobs
atomically, so ``max_running`` holds across them, and each running job records which process watches it.
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

from catalog.env import env_float, env_int
from catalog.errors import JobError, PathError
from finetune.config.run import RunConfig
from finetune.jobs.processes import ME, is_watched, pid_alive, signal_group
from finetune.jobs.status import Progress, summarize
from finetune.jobs.store import ACTIVE, RESUMABLE, Job, JobStore, new_job_id
from finetune.jobs.supervisor import Supervisor
from finetune.train.events import EventReader
from finetune.train.outcome import describe_failure
from finetune.workspace import confine, jobs_dir

#: Reads (``get``/``list``/``progress``) re-check jobs that other processes started at most this often.
RECONCILE_EVERY_S = 2.0


class JobRunner:
    """Queue, start, watch, cancel, resume and retry training jobs.

    Args:
        store: The SQLite job store (default: the workspace's).
        max_running: How many jobs train at once (default ``TUNEWISE_MAX_JOBS`` or 1: one per accelerator).
        max_memory_mb: Address-space cap of each training process in MiB (default ``TUNEWISE_JOB_MEMORY_MB``;
            none when unset). A job over it fails with "Out of memory" instead of starving the host. Meant
            for CPU hosts: CUDA reserves far more address space than it uses.
        cancel_grace_s: Seconds a cancelled job gets to checkpoint and stop before it is killed
            (default ``TUNEWISE_CANCEL_GRACE_S`` or 30).
    """

    def __init__(self, store: JobStore | None = None, max_running: int | None = None, *,
                 max_memory_mb: int | None = None, cancel_grace_s: float | None = None) -> None:
        self.store = store or JobStore()
        self.max_running = max_running or env_int("TUNEWISE_MAX_JOBS")
        memory = max_memory_mb or env_int("TUNEWISE_JOB_MEMORY_MB")
        grace = cancel_grace_s if cancel_grace_s is not None else env_float("TUNEWISE_CANCEL_GRACE_S")
        self._lock = threading.RLock()
        self._readers: dict[str, EventReader] = {}
        self._supervisor = Supervisor(self.store, self._lock, max_memory_mb=int(memory) if memory else None,
                                      cancel_grace_s=float(grace), on_settled=self.schedule)
        self._last_reconcile = 0.0
        self.reconcile()

    @property
    def max_memory_mb(self) -> int | None:
        """Address-space cap of each training process in MiB, or None for none."""
        return self._supervisor.max_memory_mb

    @property
    def cancel_grace_s(self) -> float:
        """Seconds a cancelled job gets to checkpoint and stop before it is killed."""
        return self._supervisor.cancel_grace_s

    # -- lifecycle -----------------------------------------------------------------------------
    def submit(self, cfg: RunConfig, owner: str = "local", folder: Path | None = None, *,
               retry_of: str | None = None) -> Job:
        """Create a job folder with the resolved config, queue the job and start it if a slot is free.

        Args:
            cfg: The run config.
            owner: The session or user the job belongs to.
            folder: Where the job writes (inside the workspace, new or empty); default ``jobs/<id>``.
            retry_of: The id of the job this one retries.

        Raises:
            PathError: When ``folder`` is outside the workspace or not empty.
            JobError: When the job folder cannot be written (a full disk, no permission).
        """
        job_id = new_job_id()
        if folder is None:
            folder = jobs_dir() / job_id
        else:
            folder = confine(folder, allow_examples=False, must_exist=False)
            if folder.exists() and any(folder.iterdir()):
                raise PathError(f"{folder.name} already holds files; give a new or empty folder for the job.")
        cfg = cfg.model_copy(deep=True)
        cfg.output.dir = str(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            cfg.save(folder / "config.yaml")
        except OSError as exc:
            raise JobError(f"The job folder {folder} could not be written: {describe_failure(exc)}") from exc
        job = Job(id=job_id, owner=owner, status="queued", task=cfg.task, model=cfg.model.name,
                  data=cfg.data.path, folder=str(folder), pid=None, created=time.time(), started=None,
                  finished=None, reason=None, exit_code=None, resume=0, cancel_requested=0, retry_of=retry_of)
        self.store.insert(job)
        self.schedule()
        return self.store.get(job_id) or job

    def schedule(self) -> None:
        """Start queued jobs, oldest first, while fewer than ``max_running`` run (counted over all runners)."""
        with self._lock:
            while (job := self.store.claim_next(self.max_running, watcher=ME)) is not None:
                self._supervisor.start(job)

    def reconcile(self) -> None:
        """Settle running jobs that no runner of this process watches, then start queued jobs.

        A training process that is alive is adopted (watched here) unless a live runner elsewhere watches
        it; one that is gone is finished from its events — ``interrupted`` when they do not say it ended.
        Runs at start-up and, rate-limited, on reads, so jobs started by other processes are settled too.
        """
        self._last_reconcile = time.monotonic()
        self._supervisor.reconcile()
        self.schedule()

    def _maybe_reconcile(self) -> None:
        if time.monotonic() - self._last_reconcile >= RECONCILE_EVERY_S:
            self.reconcile()

    # -- user actions ---------------------------------------------------------------------------
    def get(self, job_id: str, owner: str | None = None) -> Job:
        """Return a job visible to ``owner`` (None = any owner).

        Raises:
            JobError: When there is no such job for this owner.
        """
        self._maybe_reconcile()
        job = self.store.get(job_id.strip())
        if job is None or (owner is not None and job.owner != owner):
            raise JobError(f"No job '{job_id}' was found. List your jobs to see their ids.")
        return job

    def list(self, owner: str | None = None) -> list[Job]:
        """Jobs of ``owner`` (all jobs when None), newest first."""
        self._maybe_reconcile()
        return self.store.list(owner=owner)

    def cancel(self, job_id: str, owner: str | None = None, wait: bool = False) -> Job:
        """Cancel a queued job, or stop a running one.

        A running job gets SIGTERM: it finishes its step, writes a checkpoint and exits. Whoever watches
        the process sends SIGKILL if it is still alive ``cancel_grace_s`` seconds later; with ``wait=True``
        this call blocks until the job has ended (and kills it itself when no runner watches it).

        Raises:
            JobError: When the job is not queued or running, or not ``owner``'s.
        """
        job = self.get(job_id, owner)
        with self._lock:
            if job.status == "queued" and self.store.transition(
                    job.id, {"status": "queued"}, status="cancelled", finished=time.time(),
                    reason="Cancelled before it started."):
                return self.get(job.id)
            job = self.get(job.id)
            if job.status != "running":
                raise JobError(f"Job {job.id} is {job.status}; only queued or running jobs can be cancelled.")
            self.store.update(job.id, cancel_requested=time.time())
            if job.pid:
                self._supervisor.note_signalled(job.id)
            signal_group(job.pid, signal.SIGTERM)
        if not wait:
            return self.get(job.id)
        if is_watched(job.id):
            return self.wait(job.id, timeout=self.cancel_grace_s + 60)
        deadline = time.time() + self.cancel_grace_s
        while pid_alive(job.pid) and time.time() < deadline:
            time.sleep(0.2)
        forced = pid_alive(job.pid)
        if forced:
            signal_group(job.pid, signal.SIGKILL)
            while pid_alive(job.pid) and time.time() < deadline + 10:
                time.sleep(0.1)
        self._supervisor.finish(job.id, job.pid, None, forced=forced)
        return self.get(job.id)

    def resume(self, job_id: str, owner: str | None = None) -> Job:
        """Queue a stopped job again; it continues from its last complete checkpoint when one exists.

        Raises:
            JobError: When the job is queued, running or succeeded, or not ``owner``'s.
        """
        job = self.get(job_id, owner)
        if not self.store.transition(job.id, {"status": RESUMABLE}, status="queued", resume=1, cancel_requested=0,
                                     reason=None, finished=None, exit_code=None):
            raise JobError(f"Job {job.id} is {self.get(job.id).status}; only failed, cancelled or interrupted "
                           "jobs resume.")
        self.schedule()
        return self.get(job.id)

    def retry(self, job_id: str, owner: str | None = None) -> Job:
        """Start a stopped job over as a new job with the same config; the new job names the old in ``retry_of``.

        Unlike ``resume`` it starts from step 0 in a new folder, and the old job's folder stays as it was.

        Raises:
            JobError: When the job is queued, running or succeeded, its config is gone, or it is not ``owner``'s.
        """
        job = self.get(job_id, owner)
        if job.status not in RESUMABLE:
            raise JobError(f"Job {job.id} is {job.status}; only failed, cancelled or interrupted jobs can be retried.")
        config = job.path / "config.yaml"
        if not config.is_file():
            raise JobError(f"Job {job.id} has no config.yaml left in {job.path}; start a new job instead.")
        return self.submit(RunConfig.from_yaml(config), owner=job.owner, retry_of=job.id)

    def wait(self, job_id: str, timeout: float = 600.0) -> Job:
        """Block until a job leaves the active states (for the CLI and tests).

        Raises:
            JobError: When the job is still active after ``timeout`` seconds.
        """
        deadline = time.time() + timeout
        while time.time() < deadline:
            job = self.get(job_id)
            if job.status not in ACTIVE:
                return job
            time.sleep(0.25)
        raise JobError(f"Job {job_id} is still {self.get(job_id).status} after {timeout:.0f} s.")

    def progress(self, job_id: str, owner: str | None = None) -> Progress:
        """Progress of a job, read incrementally from its events (only new lines are parsed)."""
        job = self.get(job_id, owner)
        reader = self._readers.setdefault(job.id, EventReader(job.path / "events.jsonl"))
        reader.read_new()
        return summarize(job, reader.events)
