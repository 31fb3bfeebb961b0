"""What a Ray node sends back of a job: events, finished checkpoints and results, as marked log lines.

Used by the entry point of a one-node job (:mod:`finetune.jobs.executors.ray_entry`) and by rank 0's Ray Train
worker of a job over several nodes (:mod:`finetune.jobs.executors.ray_nodes`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from finetune.jobs.executors.ray_stream import RESULT, LogWriter, count_lines, pack
from finetune.jobs.folder import checkpoints
from finetune.train.events import EventWriter
from finetune.train.outcome import EXIT_FAILED

INPUTS_FILE = ".tunewise-inputs.json"
"""Lists the top-level entries of the working directory that are inputs (data, model): never sent back."""
NOT_RESULTS = ("config.yaml", "events.jsonl", "train.log", "checkpoints", "executor.json", INPUTS_FILE)
"""What the result blob leaves out: the job folder has these already, or gets them on their own."""


class NodeRun:
    """What a node sends back of a job running there: its events as they are written, each finished checkpoint
    once, and at the end its results (the rank that writes the job folder does this, through ``writer``).

    Args:
        folder: The node's private copy of the job's working directory.
        writer: Where the marked lines go: the entry point's log, or the queue to the driver.
    """

    def __init__(self, folder: Path, writer: LogWriter) -> None:
        self.folder = folder
        self.writer = writer
        self.events_path = folder / "events.jsonl"
        self._events_offset = self.events_path.stat().st_size if self.events_path.exists() else 0
        self._events_seq = count_lines(self.events_path)
        self.shipped = {step for step, _, ok in checkpoints(folder) if ok}  # the job folder has these

    def forward_events(self) -> None:
        """Send the events written since the last call (only complete lines)."""
        try:
            with self.events_path.open("rb") as fh:
                fh.seek(self._events_offset)
                chunk = fh.read()
        except FileNotFoundError:
            return
        end = chunk.rfind(b"\n")
        if end < 0:
            return
        self._events_offset += end + 1
        for raw in chunk[:end + 1].splitlines():
            self.writer.event(self._events_seq, raw.decode("utf-8", errors="replace"))
            self._events_seq += 1

    def ship_checkpoints(self) -> None:
        """Send each finished checkpoint once (the Trainer may rotate one away meanwhile: then it is skipped)."""
        for step, path, complete in checkpoints(self.folder):
            if not complete or step in self.shipped:
                continue
            try:
                data = pack(path.parent, [path.name])
            except OSError as exc:
                self.writer.line(f"tunewise: checkpoint {step} could not be sent ({exc}); it was rotated away")
                continue
            self.writer.blob(path.name, data)
            self.shipped.add(step)

    def ship_results(self) -> None:
        """Send the job's results: adapter, metrics, predictions, splits, labels, model card."""
        try:
            inputs = set(json.loads((self.folder / INPUTS_FILE).read_text(encoding="utf-8")))
        except (OSError, ValueError):
            inputs = set()
        names = sorted(p.name for p in self.folder.iterdir()
                       if p.name not in NOT_RESULTS and p.name not in inputs and not p.name.startswith("."))
        if names:
            self.writer.blob(RESULT, pack(self.folder, names))

    def fail(self, reason: str) -> int:
        """Record a failure before training started, as the trainer would (an ``error`` event)."""
        EventWriter(self.events_path).emit("error", reason=reason, category="user", pid=os.getpid())
        self.forward_events()
        self.writer.exit(EXIT_FAILED)
        return EXIT_FAILED


def pump(stream: Any, writer: LogWriter) -> None:
    """Copy a training process's output into ``writer``, line by line, until it closes."""
    for raw in iter(stream.readline, b""):
        writer.line(raw)
