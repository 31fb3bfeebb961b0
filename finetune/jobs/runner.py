"""``JobRunner``: starts training subprocesses from the queue, watches them, cancels, resumes and retries them.

A runner lives in the app (or CLI) process. It never trains in its own process: each job is
``python -m finetune.train config.yaml`` with its output in the job folder's ``train.log``, in a session
of its own, so it outlives the app. What survives what:

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

import contextlib
import errno
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from catalog.errors import JobError
from finetune.config.run import RunConfig
from finetune.jobs.processes import (
    ME,
    env_number,
    is_training_process,
    is_watched,
    memory_cap,
    signal_group,
    watch_set,
    watcher_alive,
)
from finetune.jobs.store import (
    ACTIVE,
    CANCEL_GRACE_S,
    RESUMABLE,
    Job,
    JobStore,
    Progress,
    disk_nearly_full,
    last_checkpoint_step,
    last_error_line,
    new_job_id,
    oom_kill_count,
    outcome,
    pid_alive,
    repair_event_log,
    run_events,
    set_aside_incomplete_checkpoints,
    summarize,
)
from finetune.redact import child_env
from finetune.train.events import FINAL_EVENTS, EventReader, read_events
from finetune.train.main import describe_failure
from finetune.workspace import jobs_dir

log = logging.getLogger(__name__)

__all__ = ["JobRunner", "outcome", "summarize"]

#: A claimed job whose process has not been recorded yet is left alone this long by other runners.
LAUNCH_GRACE_S = 60.0
#: A live runner elsewhere gets this long to record the exit code of its job before another runner does.
HANDOVER_S = 5.0
#: Reads (``get``/``list``/``progress``) re-check jobs that other processes started at most this often.
RECONCILE_EVERY_S = 2.0
#: How often a job's outcome is retried while the store cannot be written (a full disk).
STORE_RETRY_S = 1.0



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
        self.max_running = max_running or int(env_number("TUNEWISE_MAX_JOBS") or 1)
        memory = max_memory_mb or env_number("TUNEWISE_JOB_MEMORY_MB")
        self.max_memory_mb = int(memory) if memory else None
        grace = cancel_grace_s if cancel_grace_s is not None else env_number("TUNEWISE_CANCEL_GRACE_S")
        self.cancel_grace_s = float(grace) if grace is not None else CANCEL_GRACE_S
        self._lock = threading.RLock()
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._readers: dict[str, EventReader] = {}
        self._oom_baseline: dict[str, int | None] = {}
        self._forced: set[str] = set()
        self._signalled: set[str] = set()
        self._dead_since: dict[tuple[str, int | None], float] = {}
        self._unrecorded: dict[str, tuple[str, str | None]] = {}  # outcomes the store could not take yet
        self._last_reconcile = 0.0
        self.reconcile()

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
            from catalog.errors import PathError
            from finetune.workspace import confine

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
                self._start(job)

    def _start(self, job: Job) -> None:
        watch_set(job.id, True)
        cmd = [sys.executable, "-m", "finetune.train", str(job.path / "config.yaml")]
        if job.resume:
            cmd.append("--resume")
        env = child_env({**os.environ, "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false"})
        try:
            if job.resume:
                set_aside_incomplete_checkpoints(job.path)
            repair_event_log(job.path / "events.jsonl")
            with (job.path / "train.log").open("ab") as logfile:
                logfile.write(f"\n=== tunewise: {'resuming' if job.resume else 'starting'} job {job.id} at "
                              f"{time.strftime('%Y-%m-%d %H:%M:%S')} ===\n".encode())
                logfile.flush()
                proc = subprocess.Popen(cmd, cwd=job.path, stdout=logfile, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=env, start_new_session=True,
                                        preexec_fn=memory_cap(self.max_memory_mb))
        except (OSError, subprocess.SubprocessError) as exc:
            watch_set(job.id, False)
            log.exception("job %s could not be started", job.id)
            self.store.transition(job.id, {"status": "running", "pid": None}, status="failed", finished=time.time(),
                                  reason=f"The training process could not be started. {describe_failure(exc)}")
            return
        self._procs[job.id] = proc
        self._oom_baseline[job.id] = oom_kill_count()
        self.store.update(job.id, pid=proc.pid)
        threading.Thread(target=self._watch, args=(job.id, proc), daemon=True, name=f"job-{job.id}").start()

    def _watch(self, job_id: str, proc: subprocess.Popen[bytes]) -> None:
        while True:
            try:
                code = proc.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                with contextlib.suppress(sqlite3.Error):  # a full disk: keep watching, the cancel is re-read
                    self._enforce_cancel(job_id, proc.pid)
        self._finish_when_recorded(job_id, proc.pid, code)

    def _finish_when_recorded(self, job_id: str, pid: int | None, code: int | None) -> None:
        """``_finish``, retried while the store cannot be written (a full disk, a locked database).

        Otherwise the watching thread would die with the error, and the job would stay "running" for good:
        this process still counts it as watched, so no reconcile would settle it either.
        """
        while True:
            try:
                self._finish(job_id, pid, code)
                return
            except sqlite3.Error as exc:
                log.warning("job %s ended, but the job store cannot record it yet (%s); retrying", job_id, exc)
                time.sleep(STORE_RETRY_S)

    def _enforce_cancel(self, job_id: str, pid: int | None) -> None:
        """Pass a cancel on to the process (SIGTERM), and SIGKILL it when it outlives the grace period.

        The SIGTERM here reaches a process that was still starting when ``cancel`` ran (no pid yet then).
        """
        job = self.store.get(job_id)
        if job is None or not job.cancel_requested:
            return
        if job_id not in self._signalled:
            self._signalled.add(job_id)
            signal_group(pid, signal.SIGTERM)
        if time.time() - job.cancel_requested > self.cancel_grace_s:
            if job_id not in self._forced:
                log.warning("job %s ignored its cancel for %.0f s: killing it", job_id, self.cancel_grace_s)
            self._forced.add(job_id)
            signal_group(pid, signal.SIGKILL)

    def _finish(self, job_id: str, pid: int | None, code: int | None, *, forced: bool = False) -> None:
        """Record how a training process ended (only if the job still runs with that process)."""
        with self._lock:
            job = self.store.get(job_id)
            if job is not None and job.status == "running" and job.pid != pid:
                return  # a newer run of the job (resumed meanwhile) is running: it is not ours to settle
            forced = forced or job_id in self._forced
            baseline = self._oom_baseline.get(job_id)
            if job is None or job.status != "running":
                self._forget(job_id)
                return
            if job_id in self._unrecorded:  # decided while the disk was full: the disk may be freed by now
                status, reason = self._unrecorded[job_id]
            else:
                events = run_events(read_events(job.path / "events.jsonl"), pid)
                last = next((e for e in reversed(events) if e.get("type") in FINAL_EVENTS), None)
                now_oom = oom_kill_count()
                oom_killed = baseline is not None and now_oom is not None and now_oom > baseline
                # Without an exit code (not our child) a cancel counts only when the run confirms it or we forced it.
                cancelled = bool(job.cancel_requested) and (code is not None or forced or
                                                            (last or {}).get("type") == "cancelled")
                status, reason = outcome(code, last, cancelled, forced=forced, oom_killed=oom_killed)
                reason = self._explain(job, status, reason, last)
                self._unrecorded[job_id] = (status, reason)
            done = self.store.transition(job_id, {"status": "running", "pid": pid}, status=status, reason=reason,
                                         exit_code=code, finished=time.time(), pid=None)
            self._forget(job_id)  # only once recorded: a store error above leaves the job watched, to retry
        if done:
            log.info("job %s finished: %s (%s)", job_id, status, reason or "ok")
        self.schedule()

    def _forget(self, job_id: str) -> None:
        """Drop what this runner kept about a job's (ended) training process."""
        self._procs.pop(job_id, None)
        watch_set(job_id, False)
        self._forced.discard(job_id)
        self._signalled.discard(job_id)
        self._oom_baseline.pop(job_id, None)
        self._unrecorded.pop(job_id, None)

    def _explain(self, job: Job, status: str, reason: str | None, last: dict | None) -> str | None:
        """Make a failure reason specific: what the log or the disk says, the memory cap, the checkpoint kept.

        A crash with no readable error event (the process could not even write it) is read from the last
        exception line of ``train.log``; an unexpected crash on a full drive is reported as a full disk
        (libraries often hide the ``ENOSPC`` behind errors of their own).
        """
        error = last if last and last.get("type") == "error" else None
        if status == "failed" and error is None:
            line = last_error_line(job.path / "train.log")
            if line and (reason or "").startswith("The training process exited with code"):
                reason = describe_failure(line)
        if status == "failed" and (error is None or error.get("category") != "user") and \
                not (reason or "").startswith("The disk is full") and disk_nearly_full(job.path):
            reason = describe_failure(OSError(errno.ENOSPC, "No space left on device"))
        if reason and reason.startswith("Out of memory") and self.max_memory_mb:
            reason += f" (Each job may use at most {self.max_memory_mb} MB here: TUNEWISE_JOB_MEMORY_MB.)"
        if status in ("interrupted", "cancelled", "failed") and reason:
            step = last_checkpoint_step(job.path)
            if step is not None:
                reason += f" Last checkpoint: step {step}."
            elif status != "failed":
                reason += " No checkpoint was saved yet, so a resume starts from the beginning."
        return reason

    def reconcile(self) -> None:
        """Settle running jobs that no runner of this process watches, then start queued jobs.

        A training process that is alive is adopted (watched here) unless a live runner elsewhere watches
        it; one that is gone is finished from its events — ``interrupted`` when they do not say it ended.
        Runs at start-up and, rate-limited, on reads, so jobs started by other processes are settled too.
        """
        self._last_reconcile = time.monotonic()
        with self._lock:
            for job in self.store.list(statuses=("running",)):
                if is_watched(job.id):
                    continue
                if job.pid is None:  # claimed by a runner that is starting its process, or died doing so
                    launching = job.watcher == ME or watcher_alive(job.watcher)
                    if launching and job.started and time.time() - job.started < LAUNCH_GRACE_S:
                        continue
                    self._finish(job.id, None, None)
                    continue
                watched_elsewhere = watcher_alive(job.watcher)
                if pid_alive(job.pid) and is_training_process(job):
                    if not watched_elsewhere:
                        self._adopt(job)
                    continue
                if watched_elsewhere:  # let that runner record the exit code first
                    first = self._dead_since.setdefault((job.id, job.pid), time.monotonic())
                    if time.monotonic() - first < HANDOVER_S:
                        continue
                self._dead_since.pop((job.id, job.pid), None)
                self._finish(job.id, job.pid, None)
        self.schedule()

    def _maybe_reconcile(self) -> None:
        if time.monotonic() - self._last_reconcile >= RECONCILE_EVERY_S:
            self.reconcile()

    def _adopt(self, job: Job) -> None:
        """Watch a training process that another (now gone) runner started."""
        if not self.store.transition(job.id, {"status": "running", "pid": job.pid, "watcher": job.watcher},
                                     watcher=ME):
            return
        watch_set(job.id, True)
        log.info("job %s: adopted its running training process %s", job.id, job.pid)
        threading.Thread(target=self._poll_orphan, args=(job,), daemon=True, name=f"job-{job.id}").start()

    def _poll_orphan(self, job: Job) -> None:
        while pid_alive(job.pid):
            with contextlib.suppress(sqlite3.Error):
                self._enforce_cancel(job.id, job.pid)
            time.sleep(0.5)
        self._finish_when_recorded(job.id, job.pid, None)

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
                self._signalled.add(job.id)
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
        self._finish(job.id, job.pid, None, forced=forced)
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
