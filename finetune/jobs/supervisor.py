"""``Supervisor``: the training processes of one runner, from start to the recorded outcome.

It starts each claimed job as its launch says (:mod:`finetune.jobs.executors.launch`): one process,
``python -m finetune.train config.yaml``, or on a machine with several GPUs ``accelerate launch`` with one
process per GPU running that same entry point (DDP, or FSDP-QLoRA when the model does not fit one GPU). The
output goes to the job folder's ``train.log``, in a session of its own, so it outlives the app. It watches
the launcher from a thread, passes a cancel on (SIGTERM, then SIGKILL after the grace period) to every
training process (torchrun starts each rank in a session of its own, so signalling the launcher's group is not
enough), and records how the job ended; ranks left behind by a launcher that died are killed. After an app
restart it settles running jobs that no live runner watches: a training process that is still alive is
adopted and watched to the end, one that is gone is finished from its events. The local executor
(:mod:`finetune.jobs.executors.local`) drives it for the runner.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import psutil

from catalog.errors import TunewiseError
from finetune.jobs.executors.base import read_record, write_record
from finetune.jobs.executors.launch import Launch, launch_argv
from finetune.jobs.folder import repair_event_log, run_events, set_aside_incomplete_checkpoints
from finetune.jobs.processes import (
    ME,
    is_training_process,
    is_watched,
    memory_cap,
    oom_kill_count,
    pid_alive,
    signal_group,
    watch_set,
    watcher_alive,
)
from finetune.jobs.status import explain, outcome
from finetune.jobs.store import Job, JobStore
from finetune.redact import child_env
from finetune.train.events import FINAL_EVENTS, read_events
from finetune.train.outcome import describe_failure

log = logging.getLogger(__name__)

#: A claimed job whose process has not been recorded yet is left alone this long by other runners.
LAUNCH_GRACE_S = 60.0
#: A live runner elsewhere gets this long to record the exit code of its job before another runner does.
HANDOVER_S = 5.0
#: How often a job's outcome is retried while the store cannot be written (a full disk).
STORE_RETRY_S = 1.0


class Supervisor:
    """Start, watch, stop and settle the training processes of one runner.

    Args:
        store: The job store.
        lock: The runner's lock: claiming, finishing and reconciling jobs never interleave within a process.
        max_memory_mb: Address-space cap of each training process in MiB, or None for none.
        cancel_grace_s: Seconds a cancelled job gets to stop before it is killed.
        on_settled: Called after a job's outcome is recorded (the runner starts the next queued job).
    """

    def __init__(self, store: JobStore, lock: threading.RLock, *, max_memory_mb: int | None,
                 cancel_grace_s: float, on_settled: Callable[[], None]) -> None:
        self.store = store
        self.max_memory_mb = max_memory_mb
        self.cancel_grace_s = cancel_grace_s
        self._lock = lock
        self._on_settled = on_settled
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._oom_baseline: dict[str, int | None] = {}
        self._forced: set[str] = set()
        self._signalled: set[str] = set()
        self._dead_since: dict[tuple[str, int | None], float] = {}
        self._ranks: dict[str, list[psutil.Process]] = {}  # the launcher's descendants, last seen
        self._unrecorded: dict[str, tuple[str, str | None]] = {}  # outcomes the store could not take yet

    def start(self, job: Job) -> None:
        """Start the training process of a job this runner has just claimed, and watch it from a thread.

        A process that cannot be started fails the job with the reason, instead of raising.

        Args:
            job: The claimed job (status ``running``, no pid yet).
        """
        watch_set(job.id, True)
        env = child_env({**os.environ, "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false"})
        try:
            record = read_record(job.path)
            launch = Launch.from_dict(record.launch)  # a folder without one: one process
            cmd = launch_argv(launch, job.path / "config.yaml", job.path, resume=bool(job.resume),
                              python=sys.executable)
            if job.resume:
                set_aside_incomplete_checkpoints(job.path)
            repair_event_log(job.path / "events.jsonl")
            if launch.processes > 1:  # rank 0's events carry its own pid, not the launcher's: count them instead
                record.first_event = len(read_events(job.path / "events.jsonl"))
                write_record(job.path, record)
            with (job.path / "train.log").open("ab") as logfile:
                logfile.write(f"\n=== tunewise: {'resuming' if job.resume else 'starting'} job {job.id} "
                              f"({launch.describe()}) at {time.strftime('%Y-%m-%d %H:%M:%S')} ===\n".encode())
                logfile.flush()
                proc = subprocess.Popen(cmd, cwd=job.path, stdout=logfile, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=env, start_new_session=True,
                                        preexec_fn=memory_cap(self.max_memory_mb))
        except (OSError, subprocess.SubprocessError, TunewiseError) as exc:
            watch_set(job.id, False)
            log.exception("job %s could not be started", job.id)
            self.store.transition(job.id, {"status": "running", "pid": None}, status="failed", finished=time.time(),
                                  reason=f"The training process could not be started. {describe_failure(exc)}")
            return
        self._procs[job.id] = proc
        self._oom_baseline[job.id] = oom_kill_count()
        self.store.update(job.id, pid=proc.pid)
        threading.Thread(target=self._watch, args=(job.id, proc), daemon=True, name=f"job-{job.id}").start()

    def note_signalled(self, job_id: str) -> None:
        """Remember that the job's process already got its SIGTERM (the runner's ``cancel`` sent it)."""
        self._signalled.add(job_id)

    def _watch(self, job_id: str, proc: subprocess.Popen[bytes]) -> None:
        while True:
            try:
                code = proc.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                self._ranks[job_id] = descendants(proc.pid) or self._ranks.get(job_id, [])
                with contextlib.suppress(sqlite3.Error):  # a full disk: keep watching, the cancel is re-read
                    self._enforce_cancel(job_id, proc.pid)
        kill_leftovers(self._ranks.pop(job_id, []))
        self._finish_when_recorded(job_id, proc.pid, code)

    def _finish_when_recorded(self, job_id: str, pid: int | None, code: int | None) -> None:
        """``finish``, retried while the store cannot be written (a full disk, a locked database).

        Otherwise the watching thread would die with the error, and the job would stay "running" for good:
        this process still counts it as watched, so no reconcile would settle it either.
        """
        while True:
            try:
                self.finish(job_id, pid, code)
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
            signal_job(pid, signal.SIGTERM, self._ranks.get(job_id))
        if time.time() - job.cancel_requested > self.cancel_grace_s:
            if job_id not in self._forced:
                log.warning("job %s ignored its cancel for %.0f s: killing it", job_id, self.cancel_grace_s)
            self._forced.add(job_id)
            signal_job(pid, signal.SIGKILL, self._ranks.get(job_id))

    def finish(self, job_id: str, pid: int | None, code: int | None, *, forced: bool = False) -> None:
        """Record how a training process ended (only if the job still runs with that process).

        Args:
            job_id: The job.
            pid: The process that ended (None: it never started).
            code: Its exit code (negative: killed by that signal), or None when it was not our child.
            forced: Whether it was killed after its cancel grace period.
        """
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
                events = self._run_events(job, pid)
                last = next((e for e in reversed(events) if e.get("type") in FINAL_EVENTS), None)
                now_oom = oom_kill_count()
                oom_killed = baseline is not None and now_oom is not None and now_oom > baseline
                # Without an exit code (not our child) a cancel counts only when the run confirms it or we forced it.
                cancelled = bool(job.cancel_requested) and (code is not None or forced or
                                                            (last or {}).get("type") == "cancelled")
                status, reason = outcome(code, last, cancelled, forced=forced, oom_killed=oom_killed)
                reason = explain(job, status, reason, last, max_memory_mb=self.max_memory_mb)
                self._unrecorded[job_id] = (status, reason)
            done = self.store.transition(job_id, {"status": "running", "pid": pid}, status=status, reason=reason,
                                         exit_code=code, finished=time.time(), pid=None)
            self._forget(job_id)  # only once recorded: a store error above leaves the job watched, to retry
        if done:
            log.info("job %s finished: %s (%s)", job_id, status, reason or "ok")
        self._on_settled()

    @staticmethod
    def _run_events(job: Job, pid: int | None) -> list[dict]:
        """The events of the job's run whose launcher had ``pid``.

        A one-process run's first event names its pid. In a multi-process run rank 0 writes the events with
        its own pid, so the run's events are those after the count recorded when its launcher started.
        """
        events = read_events(job.path / "events.jsonl")
        record = read_record(job.path)
        if Launch.from_dict(record.launch).processes > 1:
            return events[record.first_event:]
        return run_events(events, pid)

    def _forget(self, job_id: str) -> None:
        """Drop what this runner kept about a job's (ended) training process."""
        self._procs.pop(job_id, None)
        watch_set(job_id, False)
        self._forced.discard(job_id)
        self._signalled.discard(job_id)
        self._oom_baseline.pop(job_id, None)
        self._unrecorded.pop(job_id, None)

    def reconcile(self, jobs: list[Job] | None = None) -> None:
        """Settle running jobs that no runner of this process watches.

        A training process that is alive is adopted (watched here) unless a live runner elsewhere watches
        it; one that is gone is finished from its events — ``interrupted`` when they do not say it ended.

        Args:
            jobs: The running jobs to look at (default: every running job in the store).
        """
        with self._lock:
            for job in self.store.list(statuses=("running",)) if jobs is None else jobs:
                if is_watched(job.id):
                    continue
                if job.pid is None:  # claimed by a runner that is starting its process, or died doing so
                    launching = job.watcher == ME or watcher_alive(job.watcher)
                    if launching and job.started and time.time() - job.started < LAUNCH_GRACE_S:
                        continue
                    self.finish(job.id, None, None)
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
                self.finish(job.id, job.pid, None)

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
            self._ranks[job.id] = descendants(job.pid) or self._ranks.get(job.id, [])
            with contextlib.suppress(sqlite3.Error):
                self._enforce_cancel(job.id, job.pid)
            time.sleep(0.5)
        kill_leftovers(self._ranks.pop(job.id, []))
        self._finish_when_recorded(job.id, job.pid, None)


def descendants(pid: int | None) -> list[psutil.Process]:
    """Every process below ``pid`` (the ranks under a launcher), or none when it is gone."""
    if not pid:
        return []
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def signal_job(pid: int | None, sig: int, known: list[psutil.Process] | None = None) -> None:
    """Send ``sig`` to a training job: the launcher's process group and the group of each of its ranks.

    torchrun (under ``accelerate launch``) starts every rank in a session of its own, so a signal to the
    launcher's group alone would leave the ranks running. ``known`` adds ranks seen earlier, which a launcher
    that already died no longer lists as its children.
    """
    signal_group(pid, sig)
    groups: set[int] = set()
    for proc in {*descendants(pid), *(known or [])}:
        with contextlib.suppress(psutil.Error):
            if proc.is_running():  # also checks the start time: a reused pid is not ours
                groups.add(os.getpgid(proc.pid))
    for group in groups - {pid}:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, sig)


def kill_leftovers(ranks: list[psutil.Process]) -> None:
    """SIGKILL the ranks a launcher left behind when it ended (killed by a person or the OOM killer)."""
    for proc in ranks:
        with contextlib.suppress(psutil.Error):
            if proc.is_running():
                log.warning("killing training process %s, left behind by its launcher", proc.pid)
                proc.kill()
