"""``JobRunner``: starts training subprocesses from the queue, watches them, cancels and resumes them.

One runner lives in the app (or CLI) process. It never trains in its own process: each job is
``python -m finetune.train config.yaml`` with its output in the job folder's ``train.log``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from finetune.config import RunConfig
from finetune.errors import JobError
from finetune.events import FINAL_EVENTS, EventReader, read_events
from finetune.jobs import ACTIVE, CANCEL_GRACE_S, Job, JobStore, Progress, new_job_id, pid_alive
from finetune.train import EXIT_CANCELLED
from finetune.workspace import jobs_dir

log = logging.getLogger(__name__)


class JobRunner:
    """Queue, start, watch, cancel and resume training jobs.

    Args:
        store: The SQLite job store (default: the workspace's).
        max_running: How many jobs train at once (default 1: one per accelerator).
    """

    def __init__(self, store: JobStore | None = None, max_running: int | None = None) -> None:
        self.store = store or JobStore()
        self.max_running = max_running or int(os.environ.get("TUNEWISE_MAX_JOBS", "1"))
        self._lock = threading.RLock()
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._readers: dict[str, EventReader] = {}
        self.reconcile()

    # -- lifecycle -----------------------------------------------------------------------------
    def submit(self, cfg: RunConfig, owner: str = "local", folder: Path | None = None) -> Job:
        """Create a job folder with the resolved config, queue the job and start it if a slot is free.

        Args:
            cfg: The run config.
            owner: The session or user the job belongs to.
            folder: Where the job writes (inside the workspace, new or empty); default ``jobs/<id>``.

        Raises:
            PathError: When ``folder`` is outside the workspace or not empty.
        """
        job_id = new_job_id()
        if folder is None:
            folder = jobs_dir() / job_id
        else:
            from finetune.errors import PathError
            from finetune.workspace import confine

            folder = confine(folder, allow_examples=False, must_exist=False)
            if folder.exists() and any(folder.iterdir()):
                raise PathError(f"{folder.name} already holds files; give a new or empty folder for the job.")
        folder.mkdir(parents=True, exist_ok=True)
        cfg = cfg.model_copy(deep=True)
        cfg.output.dir = str(folder)
        cfg.save(folder / "config.yaml")
        job = Job(id=job_id, owner=owner, status="queued", task=cfg.task, model=cfg.model.name,
                  data=cfg.data.path, folder=str(folder), pid=None, created=time.time(), started=None,
                  finished=None, reason=None, exit_code=None, resume=0, cancel_requested=0)
        self.store.insert(job)
        self.schedule()
        return self.store.get(job_id) or job

    def schedule(self) -> None:
        """Start queued jobs, oldest first, while fewer than ``max_running`` are running."""
        with self._lock:
            running = len(self.store.list(statuses=("running",)))
            for job in reversed(self.store.list(statuses=("queued",))):
                if running >= self.max_running:
                    break
                self._start(job)
                running += 1

    def _start(self, job: Job) -> None:
        cmd = [sys.executable, "-m", "finetune.train", str(job.path / "config.yaml")]
        if job.resume:
            cmd.append("--resume")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false"}
        with (job.path / "train.log").open("ab") as logfile:
            proc = subprocess.Popen(cmd, cwd=job.path, stdout=logfile, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        self._procs[job.id] = proc
        self.store.update(job.id, status="running", pid=proc.pid, started=time.time(), reason=None,
                          exit_code=None, finished=None)
        threading.Thread(target=self._watch, args=(job.id, proc), daemon=True, name=f"job-{job.id}").start()

    def _watch(self, job_id: str, proc: subprocess.Popen[bytes]) -> None:
        while True:
            try:
                code = proc.wait(timeout=1.0)
                break
            except subprocess.TimeoutExpired:
                self._enforce_cancel(job_id, proc.pid)
        self._finish(job_id, code)

    def _enforce_cancel(self, job_id: str, pid: int | None) -> None:
        """SIGKILL a job that ignored its SIGTERM for longer than the grace period."""
        job = self.store.get(job_id)
        if job is not None and job.cancel_requested and time.time() - job.cancel_requested > CANCEL_GRACE_S:
            _signal_group(pid, signal.SIGKILL)

    def _finish(self, job_id: str, code: int | None) -> None:
        with self._lock:
            self._procs.pop(job_id, None)
            job = self.store.get(job_id)
            if job is None or job.status != "running":
                return
            events = read_events(job.path / "events.jsonl")
            last = next((e for e in reversed(events) if e.get("type") in FINAL_EVENTS), None)
            status, reason = outcome(code, last, bool(job.cancel_requested))
            self.store.update(job_id, status=status, reason=reason, exit_code=code, finished=time.time(), pid=None)
        log.info("job %s finished: %s (%s)", job_id, status, reason or "ok")
        self.schedule()

    def reconcile(self) -> None:
        """After a restart: running jobs whose process is gone become interrupted (or finished if they did)."""
        with self._lock:
            for job in self.store.list(statuses=("running",)):
                if job.id in self._procs:
                    continue
                if pid_alive(job.pid) and _is_training_process(job):
                    threading.Thread(target=self._poll_orphan, args=(job,), daemon=True).start()
                    continue
                events = read_events(job.path / "events.jsonl")
                if any(e.get("type") == "done" for e in events):
                    self.store.update(job.id, status="succeeded", finished=time.time(), pid=None)
                else:
                    self.store.update(job.id, status="interrupted", pid=None, finished=time.time(),
                                      reason="The app stopped while this job ran; resume it from its last checkpoint.")
        self.schedule()

    def _poll_orphan(self, job: Job) -> None:
        while pid_alive(job.pid):
            self._enforce_cancel(job.id, job.pid)
            time.sleep(1.0)
        self._finish(job.id, None)

    # -- user actions ---------------------------------------------------------------------------
    def get(self, job_id: str, owner: str | None = None) -> Job:
        """Return a job visible to ``owner`` (None = any owner).

        Raises:
            JobError: When there is no such job for this owner.
        """
        job = self.store.get(job_id.strip())
        if job is None or (owner is not None and job.owner != owner):
            raise JobError(f"No job '{job_id}' was found. List your jobs to see their ids.")
        return job

    def list(self, owner: str | None = None) -> list[Job]:
        """Jobs of ``owner`` (all jobs when None), newest first."""
        return self.store.list(owner=owner)

    def cancel(self, job_id: str, owner: str | None = None, wait: bool = False) -> Job:
        """Cancel a queued job, or stop a running one.

        A running job gets SIGTERM: it finishes its step, writes a checkpoint and exits. Whoever watches
        the process (this runner's watcher thread, or ``wait=True`` here) sends SIGKILL if it is still
        alive ``CANCEL_GRACE_S`` seconds later.
        """
        job = self.get(job_id, owner)
        with self._lock:
            if job.status == "queued":
                self.store.update(job.id, status="cancelled", finished=time.time(), reason="Cancelled before it started.")
            elif job.status == "running":
                self.store.update(job.id, cancel_requested=time.time())
                _signal_group(job.pid, signal.SIGTERM)
            else:
                raise JobError(f"Job {job.id} is {job.status}; only queued or running jobs can be cancelled.")
        if wait and job.status == "running" and job.id not in self._procs:
            deadline = time.time() + CANCEL_GRACE_S
            while pid_alive(job.pid) and time.time() < deadline:
                time.sleep(0.2)
            if pid_alive(job.pid):
                _signal_group(job.pid, signal.SIGKILL)
            self._finish(job.id, None)
        return self.get(job.id)

    def resume(self, job_id: str, owner: str | None = None) -> Job:
        """Queue a stopped job again; it continues from its last checkpoint when one exists."""
        job = self.get(job_id, owner)
        if job.status in ACTIVE or job.status == "succeeded":
            raise JobError(f"Job {job.id} is {job.status}; only failed, cancelled or interrupted jobs resume.")
        self.store.update(job.id, status="queued", resume=1, cancel_requested=0, reason=None, finished=None)
        self.schedule()
        return self.get(job.id)

    def wait(self, job_id: str, timeout: float = 600.0) -> Job:
        """Block until a job leaves the active states (for the CLI and tests)."""
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


def outcome(code: int | None, last_event: dict | None, cancel_requested: bool) -> tuple[str, str | None]:
    """Map a training process's exit to a job status and a human reason."""
    kind = (last_event or {}).get("type")
    if kind == "done" and code in (0, None):  # None: a process we re-adopted after a restart
        return "succeeded", None
    if code == EXIT_CANCELLED or kind == "cancelled" or cancel_requested:
        return "cancelled", "Cancelled on request; the last checkpoint is kept, so it can be resumed."
    if kind == "error":
        return "failed", str(last_event.get("reason"))  # type: ignore[union-attr]
    if code is not None and code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        why = "it ran out of memory or was killed" if name == "SIGKILL" else f"it was stopped by {name}"
        return "failed", f"The training process ended abruptly ({why}); resume it from its last checkpoint."
    if code is None:
        return "interrupted", "The training process disappeared; resume it from its last checkpoint."
    return "failed", f"The training process exited with code {code}; see the job log."


def summarize(job: Job, events: list[dict]) -> Progress:
    """Fold a job's events into a ``Progress``."""
    losses = [(int(e["step"]), float(e["loss"])) for e in events if e.get("type") == "log"]
    evals = [(int(e["step"]), dict(e.get("metrics", {}))) for e in events if e.get("type") == "eval"]
    step, total, eta = 0, 0, None
    phase = "starting" if job.status == "running" else job.status
    for e in events:
        step = int(e.get("step", step))
        total = int(e.get("total_steps", total))
        eta = e.get("eta_s", eta)
        if e.get("type") == "phase":
            phase = str(e.get("phase"))
        elif e.get("type") == "start":
            phase = "training"
    done = next((e for e in reversed(events) if e.get("type") == "done"), None)
    if job.status == "succeeded":
        percent, eta, phase = 100.0, 0.0, "done"
    else:
        percent = round(100.0 * step / total, 1) if total else 0.0
    return Progress(status=job.status, phase=phase, step=step, total_steps=total, percent=percent,
                    eta_s=eta if job.status == "running" else None, loss=losses[-1][1] if losses else None,
                    eval_metrics=evals[-1][1] if evals else {}, losses=losses, evals=evals,
                    metrics=done.get("metrics") if done else None, reason=job.reason)


def _signal_group(pid: int | None, sig: int) -> None:
    if not pid:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _is_training_process(job: Job) -> bool:
    try:
        cmdline = Path(f"/proc/{job.pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return "finetune.train" in cmdline and job.folder in cmdline
