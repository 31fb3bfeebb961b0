"""The append-only progress log of a job (``events.jsonl``): one JSON object per line.

The training process writes it; the UI, CLI and agent read it incrementally (``EventReader`` keeps
its byte offset, so a poll reads only what is new). A torn last line (a crash mid-write) is skipped
until it is complete.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from finetune.redact import redact

#: Events after which nothing more will be written by that process.
FINAL_EVENTS = ("done", "error", "cancelled")


class EventWriter:
    """Appends events to a job's ``events.jsonl``, flushed line by line.

    In a multi-process run only rank 0 writes: the other ranks get a writer with ``enabled=False``,
    whose ``emit`` builds the event but appends nothing, so the job has one event stream.
    """

    def __init__(self, path: Path, *, enabled: bool = True) -> None:
        self.path = path
        self.enabled = enabled

    def emit(self, event_type: str, **fields: Any) -> dict[str, Any]:
        """Append one event ``{"type": event_type, "time": ..., **fields}`` and return it."""
        event = {"type": event_type, "time": round(time.time(), 3), **fields}
        if not self.enabled:
            return event
        line = event_line(event) + "\n"
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            if event_type in FINAL_EVENTS:
                os.fsync(fh.fileno())
        return event


def event_line(event: dict[str, Any]) -> str:
    """An event as its line of ``events.jsonl`` (JSON, secrets redacted, no newline)."""
    return redact(json.dumps(event, ensure_ascii=False, default=str))


class EventReader:
    """Reads a job's events incrementally: each ``read_new()`` returns only lines added since."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.events: list[dict[str, Any]] = []

    def read_new(self) -> list[dict[str, Any]]:
        """Return the complete events appended since the last call (and remember them)."""
        try:
            with self.path.open("rb") as fh:
                fh.seek(self.offset)
                chunk = fh.read()
        except FileNotFoundError:
            return []
        end = chunk.rfind(b"\n")
        if end < 0:
            return []
        self.offset += end + 1
        new = []
        for raw in chunk[: end + 1].splitlines():
            try:
                event = json.loads(raw)
            except json.JSONDecodeError:
                continue
            if isinstance(event, dict):
                new.append(event)
        self.events.extend(new)
        return new


def read_events(path: Path) -> list[dict[str, Any]]:
    """Read every complete event of a job."""
    reader = EventReader(path)
    reader.read_new()
    return reader.events
