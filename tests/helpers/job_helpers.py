"""Helpers shared by the job fault tests (tests/integration/test_jobs_faults.py, tests/reliability/)."""

from __future__ import annotations

import contextlib
import os
import signal
import time

from finetune.jobs.processes import pid_alive
from finetune.jobs.store import ACTIVE, JobStore


def kill_running_jobs() -> None:
    """SIGKILL (after SIGCONT) the process group of every job the store says is active."""
    for job in JobStore().list(statuses=ACTIVE):
        if job.pid and pid_alive(job.pid):
            for sig in (signal.SIGCONT, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(job.pid, sig)
    deadline = time.time() + 10
    while time.time() < deadline and any(pid_alive(j.pid) for j in JobStore().list(statuses=ACTIVE)):
        time.sleep(0.1)
