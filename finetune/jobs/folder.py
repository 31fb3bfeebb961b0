"""What a job folder says about its runs: each run's events, its checkpoints (complete or torn), a torn
event log, the last error line of ``train.log`` and whether its drive is full.

The runner reads these after a training process ends (or vanished) to settle the job, and before a resume.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

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
