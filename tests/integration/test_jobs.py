"""``JobRunner`` with real training subprocesses and the real SQLite store.

Every job trains the packaged MiniLM in 4-bit on ``data.csv`` (60 train / 21 held-out rows) in the
test's own workspace; the ``runner`` fixture cancels whatever is still active when a test ends.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from catalog.errors import JobError
from finetune.config.run import RunConfig
from finetune.jobs.runner import JobRunner
from finetune.jobs.store import Job, JobStore, new_job_id
from finetune.train.events import read_events
from finetune.train.outcome import EXIT_CANCELLED
from finetune.workspace import database_path, jobs_dir

JOB_TIMEOUT_S = 300


def job_config(**train: Any) -> RunConfig:
    """A small, fast run on the workspace's ``data.csv``."""
    settings = {"epochs": 1, "batch_size": 16, "logging_steps": 1, "save_steps": 50, "device": "cpu", **train}
    return RunConfig.from_dict({
        "model": {"name": "sentence-transformers/all-MiniLM-L6-v2"},
        "data": {"path": "data.csv", "max_length": 32},
        "train": settings,
        "eval": {"baseline": "none"},
    })


def wait_for_event(job: Job, kind: str, timeout: float = JOB_TIMEOUT_S, min_step: int = 0) -> dict[str, Any]:
    """Block until the job's events hold an event of ``kind`` (at ``min_step`` or later)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        events = read_events(job.path / "events.jsonl")
        for event in events:
            if event.get("type") == kind and int(event.get("step", 0)) >= min_step:
                return event
        if any(e.get("type") in ("done", "error", "cancelled") for e in events):
            break
        time.sleep(0.2)
    raise AssertionError(f"no '{kind}' event in job {job.id}: {read_events(job.path / 'events.jsonl')}")


def dead_pid() -> int:
    """The pid of a process that has already exited."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def insert_job(store: JobStore, owner: str = "local", status: str = "succeeded", pid: int | None = None) -> Job:
    """Add a job row directly (no process), with a job folder."""
    job_id = new_job_id()
    folder = jobs_dir() / job_id
    folder.mkdir(parents=True)
    job = Job(id=job_id, owner=owner, status=status, task="text-classification",
              model="sentence-transformers/all-MiniLM-L6-v2", data="data.csv", folder=str(folder), pid=pid,
              created=time.time(), started=time.time(), finished=None, reason=None, exit_code=None, resume=0,
              cancel_requested=0)
    store.insert(job)
    return job


def test_submitted_job_runs_to_success_with_progress(runner: JobRunner, tickets_csv: Path) -> None:
    job = runner.submit(job_config(), owner="local")
    assert job.status == "running" and job.pid
    assert (job.path / "config.yaml").is_file()
    assert RunConfig.from_yaml(job.path / "config.yaml").output.dir == str(job.path)
    seen = set()
    deadline = time.time() + JOB_TIMEOUT_S
    while time.time() < deadline:
        progress = runner.progress(job.id)
        seen.add(progress.status)
        assert 0.0 <= progress.percent <= 100.0
        if progress.status not in ("queued", "running"):
            break
        time.sleep(0.3)
    finished = runner.wait(job.id, timeout=10)
    assert finished.status == "succeeded", (finished.reason, (job.path / "train.log").read_text()[-3000:])
    assert finished.exit_code == 0 and finished.pid is None and finished.finished is not None
    assert "running" in seen
    progress = runner.progress(job.id)
    assert progress.status == "succeeded" and progress.phase == "done"
    assert progress.percent == 100.0
    assert progress.total_steps == 4 and progress.step == 4
    assert [s for s, _ in progress.losses] == [1, 2, 3, 4]
    assert all(math.isfinite(loss) for _, loss in progress.losses)
    assert progress.loss == progress.losses[-1][1]
    assert progress.metrics is not None and 0.0 <= progress.metrics["tuned"]["accuracy"] <= 1.0
    assert progress.evals and "accuracy" in progress.evals[-1][1]
    # Polling again reads nothing new and changes nothing.
    assert runner.progress(job.id).losses == progress.losses
    assert (job.path / "train.log").stat().st_size > 0


def test_jobs_are_scoped_to_their_owner(runner: JobRunner) -> None:
    alice = insert_job(runner.store, owner="alice")
    bob = insert_job(runner.store, owner="bob", status="failed")
    assert runner.get(alice.id, owner="alice").id == alice.id
    assert runner.get(alice.id).id == alice.id  # no owner = admin / single-user view
    with pytest.raises(JobError, match="No job"):
        runner.get(alice.id, owner="bob")
    with pytest.raises(JobError):
        runner.progress(alice.id, owner="bob")
    with pytest.raises(JobError):
        runner.cancel(alice.id, owner="bob")
    with pytest.raises(JobError):
        runner.resume(bob.id, owner="alice")
    assert [j.id for j in runner.list(owner="bob")] == [bob.id]
    assert {j.id for j in runner.list()} == {alice.id, bob.id}
    with pytest.raises(JobError):
        runner.get("20990101-000000-000000000000")


def test_job_ids_are_unique_and_not_sequential() -> None:
    ids = [new_job_id() for _ in range(500)]
    assert len(set(ids)) == len(ids)
    suffixes = [int(i.rsplit("-", 1)[1], 16) for i in ids]
    assert all(len(i.rsplit("-", 1)[1]) == 12 for i in ids)
    steps = {b - a for a, b in zip(suffixes, suffixes[1:], strict=False)}
    assert len(steps) > 400  # random, not a counter


def test_cancel_a_queued_job(runner: JobRunner, tickets_csv: Path) -> None:
    assert runner.max_running == 1
    first = runner.submit(job_config(max_steps=200))
    second = runner.submit(job_config(max_steps=200))
    assert first.status == "running"
    assert second.status == "queued" and second.pid is None
    cancelled = runner.cancel(second.id)
    assert cancelled.status == "cancelled"
    assert cancelled.reason and "before it started" in cancelled.reason
    with pytest.raises(JobError, match="only queued or running"):
        runner.cancel(second.id)
    runner.cancel(first.id)
    assert runner.wait(first.id, timeout=runner.cancel_grace_s + 30).status == "cancelled"
    # The freed slot must not start the cancelled job.
    time.sleep(0.5)
    again = JobStore().get(second.id)
    assert again is not None and again.status == "cancelled" and again.pid is None
    assert not (second.path / "events.jsonl").exists()


def _cancel_after_checkpoint(runner: JobRunner, max_steps: int) -> Job:
    job = runner.submit(job_config(max_steps=max_steps, batch_size=8, save_steps=2))
    wait_for_event(job, "checkpoint", min_step=2)
    assert runner.cancel(job.id).cancel_requested > 0
    return runner.wait(job.id, timeout=runner.cancel_grace_s)


def test_cancel_a_running_job_stops_it_gracefully(runner: JobRunner, tickets_csv: Path) -> None:
    job = _cancel_after_checkpoint(runner, max_steps=400)
    assert job.status == "cancelled"
    assert job.exit_code == EXIT_CANCELLED  # checkpointed and stopped on SIGTERM, not killed
    assert job.reason and "resumed" in job.reason
    events = read_events(job.path / "events.jsonl")
    assert events[-1]["type"] == "cancelled"
    assert events[-1]["step"] < 400
    assert any(job.path.joinpath("checkpoints").glob("checkpoint-*"))
    assert not (job.path / "metrics.json").exists()
    # The outcome is in SQLite, not just in this runner's memory.
    stored = JobStore(database_path()).get(job.id)
    assert stored is not None and stored.status == "cancelled" and stored.exit_code == EXIT_CANCELLED
    assert JobRunner().get(job.id).status == "cancelled"
    assert runner.progress(job.id).status == "cancelled"


def test_reconcile_marks_vanished_jobs(runner: JobRunner) -> None:
    gone = insert_job(runner.store, status="running", pid=dead_pid())
    finished = insert_job(runner.store, status="running", pid=dead_pid())
    (finished.path / "events.jsonl").write_text('{"type": "start"}\n{"type": "done", "metrics": {}}\n',
                                                encoding="utf-8")
    # A live pid that is not a training process (pid reuse after a reboot) is not trusted either.
    impostor = insert_job(runner.store, status="running", pid=os.getpid())
    JobRunner()
    store = JobStore()
    lost = store.get(gone.id)
    assert lost is not None and lost.status == "interrupted" and lost.pid is None
    assert lost.reason and "resume" in lost.reason
    done = store.get(finished.id)
    assert done is not None and done.status == "succeeded"
    other = store.get(impostor.id)
    assert other is not None and other.status == "interrupted"


def test_interrupted_job_resumes_from_its_checkpoint(runner: JobRunner, tickets_csv: Path) -> None:
    job = _cancel_after_checkpoint(runner, max_steps=10)
    assert job.status == "cancelled", job.reason
    stopped_at = read_events(job.path / "events.jsonl")[-1]["step"]
    # The app dies while the job "runs": on restart the job is found interrupted.
    runner.store.update(job.id, status="running", pid=dead_pid())
    restarted = JobRunner(max_running=1)
    assert restarted.get(job.id).status == "interrupted"
    resumed = restarted.resume(job.id)
    assert resumed.status == "running" and resumed.resume == 1
    final = restarted.wait(job.id, timeout=JOB_TIMEOUT_S)
    assert final.status == "succeeded", (final.reason, (job.path / "train.log").read_text()[-3000:])
    events = read_events(job.path / "events.jsonl")
    starts = [e for e in events if e["type"] == "start"]
    assert len(starts) == 2
    assert starts[1]["step"] >= 2 and starts[1]["step"] <= stopped_at  # continued, not restarted
    logs = [e for e in events if e["type"] == "log"]
    assert logs[-1]["step"] == 10
    progress = restarted.progress(job.id)
    assert progress.percent == 100.0 and progress.losses
    assert (job.path / "adapter" / "adapter_model.safetensors").is_file()
    with pytest.raises(JobError, match="only failed, cancelled or interrupted"):
        restarted.resume(job.id)


def test_orphaned_job_that_finishes_is_marked_succeeded(runner: JobRunner, tickets_csv: Path) -> None:
    job = insert_job(runner.store, status="queued")
    cfg = job_config(max_steps=2)
    cfg.output.dir = str(job.path)
    cfg.save(job.path / "config.yaml")
    # A training process started by an app process that has since gone away.
    proc = subprocess.Popen([sys.executable, "-m", "finetune.train", str(job.path / "config.yaml")], cwd=job.path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        runner.store.update(job.id, status="running", pid=proc.pid)
        restarted = JobRunner(max_running=1)
        assert restarted.get(job.id).status == "running"  # still alive: it is watched, not written off
        assert proc.wait(timeout=JOB_TIMEOUT_S) == 0
        assert read_events(job.path / "events.jsonl")[-1]["type"] == "done"
        deadline = time.time() + 10
        while time.time() < deadline and restarted.get(job.id).status == "running":
            time.sleep(0.2)
        assert restarted.get(job.id).status == "succeeded"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_resumed_run_reaches_the_same_loss_curve_as_an_uninterrupted_one(runner: JobRunner,
                                                                        tickets_csv: Path) -> None:
    straight = runner.submit(job_config(max_steps=10, batch_size=8, save_steps=2))
    assert runner.wait(straight.id, timeout=JOB_TIMEOUT_S).status == "succeeded"
    job = _cancel_after_checkpoint(runner, max_steps=10)
    assert job.status == "cancelled", job.reason
    runner.resume(job.id)
    assert runner.wait(job.id, timeout=JOB_TIMEOUT_S).status == "succeeded"
    events = read_events(job.path / "events.jsonl")
    resumed_from = [e for e in events if e["type"] == "start"][1]["step"]
    assert 2 <= resumed_from < 10
    after = {e["step"]: e["loss"] for e in events if e["type"] == "log" and e["step"] > resumed_from}
    reference = {e["step"]: e["loss"] for e in read_events(straight.path / "events.jsonl") if e["type"] == "log"}
    assert after and set(after) <= set(reference)
    for step, loss in after.items():
        assert loss == pytest.approx(reference[step], rel=1e-3, abs=1e-4), (step, after, reference)
