"""What a job's state says to people: how a training process's exit reads as a status and a reason, and
the progress folded from its events.

Pure functions over a ``Job``, its events and its folder; nothing here starts or signals a process.
"""

from __future__ import annotations

import errno
import signal
from dataclasses import dataclass
from typing import Any

from finetune.jobs.folder import disk_nearly_full, last_checkpoint_step, last_error_line
from finetune.jobs.store import Job
from finetune.train.outcome import EXIT_CANCELLED, describe_failure


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


def explain(job: Job, status: str, reason: str | None, last: dict | None, *,
            max_memory_mb: int | None = None) -> str | None:
    """Make a failure reason specific: what the log or the disk says, the memory cap, the checkpoint kept.

    A crash with no readable error event (the process could not even write it) is read from the last
    exception line of ``train.log``; an unexpected crash on a full drive is reported as a full disk
    (libraries often hide the ``ENOSPC`` behind errors of their own).

    Args:
        job: The job whose training process ended.
        status: The status :func:`outcome` gave it.
        reason: The reason :func:`outcome` gave it.
        last: The run's last final event (``done``, ``error``, ``cancelled``), if any.
        max_memory_mb: The runner's memory cap per job, named in an out-of-memory reason.

    Returns:
        The reason to record.
    """
    error = last if last and last.get("type") == "error" else None
    if status == "failed" and error is None:
        line = last_error_line(job.path / "train.log")
        if line and (reason or "").startswith("The training process exited with code"):
            reason = describe_failure(line)
    if status == "failed" and (error is None or error.get("category") != "user") and \
            not (reason or "").startswith("The disk is full") and disk_nearly_full(job.path):
        reason = describe_failure(OSError(errno.ENOSPC, "No space left on device"))
    if reason and reason.startswith("Out of memory") and max_memory_mb:
        reason += f" (Each job may use at most {max_memory_mb} MB here: TUNEWISE_JOB_MEMORY_MB.)"
    if status in ("interrupted", "cancelled", "failed") and reason:
        step = last_checkpoint_step(job.path)
        if step is not None:
            reason += f" Last checkpoint: step {step}."
        elif status != "failed":
            reason += " No checkpoint was saved yet, so a resume starts from the beginning."
    return reason


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
