"""Job runner: each training job is a subprocess; state lives in SQLite (WAL), progress in events.jsonl.

States: ``queued → running → succeeded | failed | cancelled``; a job whose process vanished (app
restart, crash of the host) becomes ``interrupted`` and can be resumed from its last checkpoint.
By default one job trains at a time (one per accelerator); the others wait in the queue.
"""

from __future__ import annotations

import logging
import os
import secrets
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finetune.workspace import database_path

log = logging.getLogger(__name__)

ACTIVE = ("queued", "running")
FINISHED = ("succeeded", "failed", "cancelled", "interrupted")
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
    cancel_requested REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_owner ON jobs(owner, created);
"""


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
    """SQLite persistence of jobs. A new connection per call keeps it safe across threads."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or database_path()
        with closing(self._connect()) as db, db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

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
