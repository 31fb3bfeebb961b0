"""Job records and the facts the runner reads from disk: SQLite store (WAL), checkpoints, logs, memory.

States: ``queued → running → succeeded | failed | cancelled``; a job whose process vanished (app
restart, crash of the host, ``kill -9``) becomes ``interrupted`` and can be resumed from its last
checkpoint. By default one job trains at a time (one per accelerator); the others wait in the queue.

Several processes may share one store (the app, a ``tunewise jobs`` command, a restarted app): a queued
job is claimed in one ``BEGIN IMMEDIATE`` transaction, and a job is finished by a conditional update,
so no job starts twice and no outcome is written over another.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import signal
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finetune.train.main import EXIT_CANCELLED
from finetune.workspace import database_path

log = logging.getLogger(__name__)

ACTIVE = ("queued", "running")
FINISHED = ("succeeded", "failed", "cancelled", "interrupted")
RESUMABLE = ("failed", "cancelled", "interrupted")
CANCEL_GRACE_S = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    status TEXT NOT NULL,
    task TEXT NOT NULL,
    model TEXT NOT NULL,
    data TEXT NOT NULL,
    folder TEXT NOT NULL,
    pid INTEGER,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    reason TEXT,
    exit_code INTEGER,
    resume INTEGER NOT NULL DEFAULT 0,
    cancel_requested REAL NOT NULL DEFAULT 0,
    retry_of TEXT,
    watcher TEXT
);
CREATE INDEX IF NOT EXISTS jobs_owner ON jobs(owner, created);
"""

#: Columns added after the first release, with their SQL type (older stores gain them on open).
_ADDED_COLUMNS = {"retry_of": "TEXT", "watcher": "TEXT"}


@dataclass
class Job:
    """One row of the job store."""

    id: str
    owner: str
    status: str
    task: str
    model: str
    data: str
    folder: str
    pid: int | None
    created: float
    started: float | None
    finished: float | None
    reason: str | None
    exit_code: int | None
    resume: int
    cancel_requested: float
    retry_of: str | None = None  # the job this one retries
    watcher: str | None = None  # pid of the process whose runner watches the training process

    @property
    def path(self) -> Path:
        """The job folder."""
        return Path(self.folder)


@dataclass
class Progress:
    """What a poll of a job's events says: for progress bars, ETA and the live loss curve."""

    status: str
    phase: str
    step: int
    total_steps: int
    percent: float
    eta_s: float | None
    loss: float | None
    eval_metrics: dict[str, float]
    losses: list[tuple[int, float]]
    evals: list[tuple[int, dict[str, float]]]
    metrics: dict[str, Any] | None
    reason: str | None


class JobStore:
    """SQLite persistence of jobs. A new connection per call keeps it safe across threads and processes."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or database_path()
        with closing(self._connect()) as db, db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            have = {row["name"] for row in db.execute("PRAGMA table_info(jobs)")}
            for column, kind in _ADDED_COLUMNS.items():
                if column not in have:
                    try:
                        db.execute(f"ALTER TABLE jobs ADD COLUMN {column} {kind}")
                    except sqlite3.OperationalError as exc:  # another process added it first
                        if "duplicate column" not in str(exc):
                            raise
        # Held open, never used: while one connection lives, SQLite keeps the WAL index (``-shm``) file.
        # Without it every call's new connection must rebuild that file, which fails (SQLITE_IOERR) on
        # a full disk: no job could even be read, just when its "disk full" reason matters.
        self._anchor = self._connect()
        self._anchor.execute("SELECT 1 FROM jobs LIMIT 1").fetchall()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA busy_timeout=30000")
        return db

    def insert(self, job: Job) -> None:
        """Add a new job."""
        fields = list(job.__dataclass_fields__)
        with closing(self._connect()) as db, db:
            db.execute(f"INSERT INTO jobs ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})",
                       [getattr(job, f) for f in fields])

    def update(self, job_id: str, **changes: Any) -> None:
        """Change some fields of a job."""
        sets = ", ".join(f"{k} = ?" for k in changes)
        with closing(self._connect()) as db, db:
            db.execute(f"UPDATE jobs SET {sets} WHERE id = ?", [*changes.values(), job_id])

    def transition(self, job_id: str, expect: dict[str, Any], **changes: Any) -> bool:
        """Change some fields only while the row still holds ``expect`` (compare-and-set across processes).

        Args:
            job_id: The job.
            expect: Field values the row must have (``None`` matches NULL; a tuple matches any of its values).
            changes: The new field values.

        Returns:
            Whether the row matched and was changed.
        """
        sets = ", ".join(f"{k} = ?" for k in changes)
        conditions, args = ["id = ?"], [job_id]
        for key, value in expect.items():
            if isinstance(value, tuple):
                conditions.append(f"{key} IN ({', '.join('?' * len(value))})")
                args += list(value)
            else:
                conditions.append(f"{key} IS ?")
                args.append(value)
        with closing(self._connect()) as db, db:
            cursor = db.execute(f"UPDATE jobs SET {sets} WHERE {' AND '.join(conditions)}",
                                [*changes.values(), *args])
            return cursor.rowcount == 1

    def claim_next(self, max_running: int, watcher: str) -> Job | None:
        """Mark the oldest queued job running when fewer than ``max_running`` run, atomically.

        The job is returned with ``pid`` still empty: the caller starts its process and records the pid.
        """
        db = self._connect()
        db.isolation_level = None  # explicit transaction: count and claim under one write lock
        try:
            db.execute("BEGIN IMMEDIATE")
            running = db.execute("SELECT COUNT(*) FROM jobs WHERE status = 'running'").fetchone()[0]
            row = None
            if running < max_running:
                row = db.execute("SELECT * FROM jobs WHERE status = 'queued' ORDER BY created, id LIMIT 1").fetchone()
            if row is not None:
                db.execute("UPDATE jobs SET status = 'running', pid = NULL, watcher = ?, started = ?, finished = NULL, "
                           "reason = NULL, exit_code = NULL WHERE id = ?", (watcher, time.time(), row["id"]))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        finally:
            db.close()
        return self.get(row["id"]) if row is not None else None

    def get(self, job_id: str) -> Job | None:
        """Return a job by id, or None."""
        with closing(self._connect()) as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return Job(**dict(row)) if row else None

    def list(self, owner: str | None = None, statuses: tuple[str, ...] | None = None) -> list[Job]:
        """Jobs, newest first; only ``owner``'s when given."""
        query, args = "SELECT * FROM jobs WHERE 1=1", []
        if owner is not None:
            query += " AND owner = ?"
            args.append(owner)
        if statuses:
            query += f" AND status IN ({', '.join('?' * len(statuses))})"
            args += list(statuses)
        with closing(self._connect()) as db:
            rows = db.execute(query + " ORDER BY created DESC", args).fetchall()
        return [Job(**dict(r)) for r in rows]


def new_job_id() -> str:
    """A sortable, unguessable job id: timestamp plus 48 random bits."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(6)


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


_INTERRUPTING = (signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def outcome(code: int | None, last_event: dict | None, cancel_requested: bool, *, forced: bool = False,
            oom_killed: bool = False) -> tuple[str, str | None]:
    """Map a training process's exit to a job status and a human reason.

    Args:
        code: The exit code (negative: killed by that signal), or None when the process was not our child.
        last_event: The last final event (``done``, ``error``, ``cancelled``) of the job, if any.
        cancel_requested: Whether someone asked for the job to stop.
        forced: Whether the runner killed it after its cancel grace period.
        oom_killed: Whether the kernel's out-of-memory killer acted while it ran.
    """
    kind = (last_event or {}).get("type")
    if kind == "done" and code in (0, None):  # None: a process we re-adopted after a restart
        return "succeeded", None
    if code == EXIT_CANCELLED or kind == "cancelled" or cancel_requested:
        if (forced or code == -signal.SIGKILL) and kind != "cancelled":
            return "cancelled", ("Cancelled on request; it did not stop within the grace period, so it was stopped "
                                 "by force (SIGKILL). It can be resumed.")
        return "cancelled", "Cancelled on request; it can be resumed."
    if kind == "error":
        return "failed", str(last_event.get("reason"))  # type: ignore[union-attr]
    if code is not None and code < 0:
        number = -code
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else "unknown"
        if number == signal.SIGKILL and oom_killed:
            return "failed", ("Out of memory: the system's out-of-memory killer stopped the training process. "
                              "Lower train.batch_size or data.max_length, use 4-bit quantization or a smaller "
                              "model, then retry.")
        if number in _INTERRUPTING:
            return "interrupted", (f"The training process was killed (signal {number}, {name}), by a person or the "
                                   "system, not by an error in the job; resume it to continue.")
        return "failed", f"The training process crashed (signal {number}, {name}); see the job log."
    if code is None:
        return "interrupted", ("The training process stopped while no runner watched it (the app or the machine "
                               "restarted, or it was killed); resume it to continue.")
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


# -- what a job folder says after a crash ---------------------------------------------------------------
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
_ERROR_LINE = re.compile(r"^(?:[A-Za-z_][\w.]*(?:Error|Exception|Exit)\b|Fatal Python error|Killed\b).*")


def run_events(events: list[dict[str, Any]], pid: int | None) -> list[dict[str, Any]]:
    """The events written by the run whose training process had ``pid`` (from its first event on).

    A resumed job's log holds the events of every run; an earlier run's ``error`` or ``cancelled`` must
    not decide how a later run ended. Each run's first event carries its ``pid``; a log in which no event
    does (written by hand or by an older version) is taken whole.
    """
    if not any("pid" in e for e in events):
        return events
    starts = [i for i, e in enumerate(events) if pid is not None and e.get("pid") == pid]
    return events[starts[-1]:] if starts else []


def checkpoint_complete(folder: Path) -> bool:
    """True when a Trainer checkpoint was fully written.

    The Trainer writes ``trainer_state.json`` last; a process killed mid-save (or a full disk) leaves a
    folder without it, or with the weights or optimizer state missing. Resuming from such a folder fails.
    """
    try:
        json.loads((folder / "trainer_state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    names = [p.name for p in folder.iterdir()]
    # weights: adapter_model.safetensors, model.safetensors, model-00001-of-00002..., pytorch_model_fsdp_0/
    return any("model" in n for n in names) and any(n.startswith("optimizer") for n in names)


def checkpoints(folder: Path) -> list[tuple[int, Path, bool]]:
    """The job's Trainer checkpoints as ``(step, path, complete)``, oldest first."""
    root = folder / "checkpoints"
    if not root.is_dir():
        return []
    found = []
    for path in root.iterdir():
        match = _CHECKPOINT.match(path.name)
        if match and path.is_dir():
            found.append((int(match.group(1)), path, checkpoint_complete(path)))
    return sorted(found)


def last_checkpoint_step(folder: Path) -> int | None:
    """The step of the newest complete checkpoint, or None when there is none."""
    complete = [step for step, _, ok in checkpoints(folder) if ok]
    return complete[-1] if complete else None


def set_aside_incomplete_checkpoints(folder: Path) -> list[Path]:
    """Rename torn checkpoints to ``incomplete-checkpoint-N`` so a resume loads the last complete one.

    Nothing is deleted: the partial files stay for inspection.

    Returns:
        The new paths of the folders that were set aside.
    """
    moved = []
    for step, path, ok in checkpoints(folder):
        if ok:
            continue
        target = path.with_name(f"incomplete-checkpoint-{step}")
        n = 1
        while target.exists():
            n += 1
            target = path.with_name(f"incomplete-checkpoint-{step}-{n}")
        path.rename(target)
        log.warning("set aside the incomplete checkpoint %s as %s", path, target.name)
        moved.append(target)
    return moved


def repair_event_log(path: Path) -> None:
    """End a torn last line (a writer killed mid-line) so the next event starts on a line of its own."""
    try:
        with path.open("rb+") as fh:
            fh.seek(0, os.SEEK_END)
            if fh.tell() == 0:
                return
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) != b"\n":
                fh.write(b"\n")
    except FileNotFoundError:
        return


def last_error_line(log_path: Path, tail_bytes: int = 16384) -> str | None:
    """The last line of a job log that names an exception (``OSError: ...``), or None."""
    try:
        with log_path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(fh.tell() - tail_bytes, 0))
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return None
    for line in reversed(text.splitlines()):
        if _ERROR_LINE.match(line.strip()):
            return line.strip()
    return None


def disk_nearly_full(folder: Path) -> bool:
    """True when the drive holding ``folder`` has almost no space left (< 16 MiB and < 5 % of its size)."""
    try:
        usage = shutil.disk_usage(folder)
    except OSError:
        return False
    return usage.free < min(16 * 2**20, 0.05 * usage.total)


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
