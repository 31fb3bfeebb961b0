"""The whole workspace (job folders *and* the SQLite store) on a small tmpfs that fills up mid-job.

``tests/integration/test_jobs_faults.py`` fills a tmpfs that holds one job folder. Here ``TUNEWISE_HOME`` itself is the
tmpfs: a finished job is on it, then a second job's disk fills while it writes a checkpoint (the fault hook
pauses the trainer just before the write, the test fills the drive, the trainer continues). The trainer
dies on ENOSPC; while the drive is full the store stays readable (a restarted runner lists every job, a new
job is refused with "The disk is full"), the earlier job and the checkpoint before the fault are intact;
once space is freed the job is recorded ``failed`` with "The disk is full" (decided while it was full), and
``resume`` finishes it. Skipped where a tmpfs cannot be mounted (needs root); there, see
``test_failure_reasons_for_real_memory_and_disk_errors`` in ``tests/integration/test_jobs_faults.py`` (``/dev/full``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from catalog.errors import JobError
from finetune.jobs.folder import checkpoint_complete, last_checkpoint_step
from finetune.jobs.processes import pid_alive
from finetune.jobs.runner import JobRunner
from finetune.jobs.store import JobStore
from finetune.train.events import read_events
from tests.helpers.job_helpers import kill_running_jobs
from tests.reliability.conftest import (
    JOB_TIMEOUT_S,
    adapter_state,
    load_adapter,
    log_text,
    tiny_config,
    wait_stopped,
    wait_until,
)


@pytest.fixture
def small_home(workspace: Path) -> Iterator[Path]:
    """Mount a 24 MiB tmpfs over the (still empty) workspace."""
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(workspace)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield workspace
    finally:
        try:
            (workspace / "filler.bin").unlink(missing_ok=True)
            kill_running_jobs()
        finally:
            subprocess.run(["umount", "-l", str(workspace)], capture_output=True)


def fill(folder: Path) -> Path:
    """Write a filler file until the drive refuses with ENOSPC."""
    filler = folder / "filler.bin"
    with contextlib.suppress(OSError), filler.open("wb", buffering=0) as fh:
        while True:
            fh.write(b"\0" * 65536)
    with pytest.raises(OSError) as refused, (folder / "probe").open("wb", buffering=0) as fh:
        fh.write(b"\0" * 65536)
    assert refused.value.errno == 28  # ENOSPC
    (folder / "probe").unlink(missing_ok=True)
    return filler


def test_the_workspace_disk_fills_mid_job_and_nothing_finished_is_lost(
        small_home: Path, tiny_data: Path, make_runner: Callable[..., JobRunner],
        stop_at: Callable[..., None]) -> None:
    runner = make_runner()
    earlier = runner.wait(runner.submit(tiny_config(max_steps=4)).id, timeout=JOB_TIMEOUT_S)
    assert earlier.status == "succeeded", (earlier.reason, log_text(earlier.path))
    earlier_metrics = (earlier.path / "metrics.json").read_bytes()

    stop_at("open:checkpoint-8/trainer_state.json")
    job = runner.submit(tiny_config())
    pid = wait_stopped(runner, job.id)
    filler = fill(small_home)
    os.kill(pid, signal.SIGCONT)
    wait_until(lambda: not pid_alive(pid), "the trainer to die on the full disk")

    # While the drive is still full: the store reads, a restarted runner lists every job, the finished job
    # is intact, and a new job is refused up front. The failed job's outcome waits for space to be written.
    restarted = make_runner()
    assert {j.id: j.status for j in restarted.list()} == {earlier.id: "succeeded", job.id: "running"}
    with pytest.raises(JobError, match="The disk is full"):
        restarted.submit(tiny_config())
    assert len(JobStore().list()) == 2  # the refused job left no row behind
    assert (earlier.path / "metrics.json").read_bytes() == earlier_metrics
    assert adapter_state(earlier) == "complete"
    load_adapter(earlier.path)
    assert checkpoint_complete(job.path / "checkpoints" / "checkpoint-4")
    assert last_checkpoint_step(job.path) == 4

    filler.unlink()  # space again: the watcher records the outcome it decided while the disk was full
    ended = runner.wait(job.id, timeout=JOB_TIMEOUT_S)
    assert ended.status == "failed", (ended.status, ended.reason, log_text(job.path))
    reason = ended.reason or ""
    assert reason.startswith("The disk is full."), (reason, log_text(job.path))
    assert "Last checkpoint: step 4." in reason and "Traceback" not in reason
    assert ended.pid is None and ended.finished is not None and ended.exit_code == 1
    assert restarted.get(job.id).status == "failed"

    stop_at()
    restarted.resume(job.id)
    final = restarted.wait(job.id, timeout=JOB_TIMEOUT_S)
    assert final.status == "succeeded", (final.reason, log_text(job.path))
    assert [e["step"] for e in read_events(job.path / "events.jsonl") if e["type"] == "start"] == [0, 4]
    assert adapter_state(job) == "complete"
