"""Job records: the SQLite store (WAL) of every job, its states, and new job ids.

States: ``queued → running → succeeded | failed | cancelled``; a job whose process vanished (app
restart, crash of the host, ``kill -9``) becomes ``interrupted`` and can be resumed from its last
checkpoint. By default one job trains at a time (one per accelerator); the others wait in the queue.

Several processes may share one store (the app, a ``tunewise jobs`` command, a restarted app): a queued
job is claimed in one ``BEGIN IMMEDIATE`` transaction, and a job is finished by a conditional update,
so no job starts twice and no outcome is written over another.

Imports only ``finetune.workspace``: reading or listing jobs never loads the trainer (torch, transformers).
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finetune.workspace import database_path

ACTIVE = ("queued", "running")
RESUMABLE = ("failed", "cancelled", "interrupted")

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
