"""``kill -9`` of a real training process at exact points of its saves, then ``resume``.

``tests/integration/test_jobs_faults.py`` kills a trainer at a random moment after a checkpoint and plants a torn
checkpoint by hand. Here the kill lands, every time, inside the writes themselves (the fault hook stops
the process just before the chosen write or rename, then the test sends SIGKILL):

- while a Trainer checkpoint is half written (weights and optimizer on disk, ``trainer_state.json`` not);
- in the middle of the final adapter save (the temp folder half written);
- after the temp folder is complete, just before it is renamed to ``adapter/``;
- during evaluation (the adapter already in place), and then, on resume, between moving the old adapter
  aside and renaming the new one into place.

Each time: ``adapter/`` is absent or complete and loadable with peft (never torn), the runner marks the
job ``interrupted`` with a readable reason, and ``resume`` finishes it with a loadable adapter and
``metrics.json``.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from finetune.jobs.folder import checkpoint_complete, last_checkpoint_step
from finetune.jobs.runner import JobRunner
from finetune.jobs.store import Job
from finetune.train.events import read_events
from tests.reliability.conftest import (
    JOB_TIMEOUT_S,
    adapter_state,
    load_adapter,
    log_text,
    tiny_config,
    wait_stopped,
)


def kill_at_fault_point(runner: JobRunner, job: Job) -> Job:
    """SIGKILL the job's training process where the hook stopped it; return the job as the runner settles it."""
    pid = wait_stopped(runner, job.id)
    os.killpg(pid, signal.SIGKILL)
    ended = runner.wait(job.id, timeout=30)
    assert ended.status == "interrupted", (ended.status, ended.reason, log_text(job.path))
    assert ended.exit_code == -signal.SIGKILL and ended.pid is None
    reason = ended.reason or ""
    assert "SIGKILL" in reason and "resume" in reason and "Traceback" not in reason
    return ended


def resume_to_success(runner: JobRunner, job: Job) -> Job:
    """Resume a stopped job and wait for it; it must succeed with a loadable adapter and metrics."""
    assert runner.resume(job.id).status in ("queued", "running")
    final = runner.wait(job.id, timeout=JOB_TIMEOUT_S)
    assert final.status == "succeeded", (final.reason, log_text(job.path))
    assert adapter_state(job) == "complete"
    load_adapter(job.path)
    metrics = json.loads((job.path / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["eval_rows"] == 8 and "accuracy" in metrics["tuned"]
    assert not list(job.path.glob(".adapter-tmp-*")) and not list(job.path.glob(".adapter-old-*"))
    return final


def assert_training_not_repeated(job: Job) -> None:
    """Resumed after training had ended, a job only saves and evaluates: no step past ``max_steps``, and the
    adapter holds exactly the weights of the last checkpoint (resume equals uninterrupted)."""
    from safetensors.torch import load_file

    events = read_events(job.path / "events.jsonl")
    assert [e["step"] for e in events if e["type"] == "start"] == [0]
    assert max(e["step"] for e in events if e["type"] in ("log", "checkpoint")) == 12
    assert sorted(p.name for p in (job.path / "checkpoints").iterdir()) == ["checkpoint-12", "checkpoint-8"]
    saved = load_file(str(job.path / "adapter" / "adapter_model.safetensors"))
    trained = load_file(str(job.path / "checkpoints" / "checkpoint-12" / "adapter_model.safetensors"))
    assert saved.keys() == trained.keys() and all(saved[k].equal(trained[k]) for k in saved)


def test_kill_9_while_a_checkpoint_is_half_written_resumes_from_the_one_before(
        make_runner: Callable[..., JobRunner], tiny_data: Path, stop_at: Callable[..., None]) -> None:
    stop_at("open:checkpoint-8/trainer_state.json")
    runner = make_runner()
    job = runner.submit(tiny_config())
    ended = kill_at_fault_point(runner, job)
    torn = job.path / "checkpoints" / "checkpoint-8"
    assert torn.is_dir() and not checkpoint_complete(torn)  # weights on disk, trainer state not: a real tear
    assert (torn / "adapter_model.safetensors").is_file()
    assert last_checkpoint_step(job.path) == 4
    assert "Last checkpoint: step 4." in (ended.reason or "")
    assert adapter_state(job) == "absent"

    stop_at()
    resume_to_success(runner, job)
    events = read_events(job.path / "events.jsonl")
    assert [e["step"] for e in events if e["type"] == "start"] == [0, 4]  # not from the torn step 8, not from 0
    assert [e for e in events if e["type"] == "log"][-1]["step"] == 12
    assert (job.path / "checkpoints" / "incomplete-checkpoint-8").is_dir()  # set aside for inspection


@pytest.mark.parametrize("point", ["open:/.adapter-tmp-", "rename:/.adapter-tmp-"],
                         ids=["mid-write", "before-rename"])
def test_kill_9_during_the_final_adapter_save_leaves_no_torn_adapter(
        point: str, make_runner: Callable[..., JobRunner], tiny_data: Path, stop_at: Callable[..., None]) -> None:
    stop_at(point)
    runner = make_runner()
    job = runner.submit(tiny_config())
    ended = kill_at_fault_point(runner, job)
    assert [e.get("phase") for e in read_events(job.path / "events.jsonl")][-1] == "saving"
    tmp = list(job.path.glob(".adapter-tmp-*"))
    assert len(tmp) == 1  # the kill hit the save itself: its temp folder is there ...
    assert adapter_state(job) == "absent"  # ... and adapter/ is not: no half-written adapter is ever visible
    assert not (job.path / "metrics.json").exists()
    assert "Last checkpoint: step 12." in (ended.reason or "")

    stop_at()
    resume_to_success(runner, job)
    assert_training_not_repeated(job)


def test_kill_9_during_evaluation_and_again_while_replacing_the_adapter(
        make_runner: Callable[..., JobRunner], tiny_data: Path, stop_at: Callable[..., None]) -> None:
    stop_at("open:predictions.jsonl")
    runner = make_runner()
    job = runner.submit(tiny_config())
    kill_at_fault_point(runner, job)
    assert adapter_state(job) == "complete"  # saved before the evaluation began; the job is not 'succeeded'
    load_adapter(job.path)
    first = (job.path / "adapter" / "adapter_model.safetensors").read_bytes()

    # The resumed run saves over the existing adapter: killed between moving it aside and renaming the new one in.
    stop_at("rename:/.adapter-tmp-")
    runner.resume(job.id)
    kill_at_fault_point(runner, job)
    state = adapter_state(job)
    assert state in ("absent", "complete"), state
    old = list(job.path.glob(".adapter-old-*"))
    if state == "absent":  # the previous complete adapter is kept aside, not lost
        assert len(old) == 1 and (old[0] / "adapter_model.safetensors").read_bytes() == first

    stop_at()
    resume_to_success(runner, job)
    assert_training_not_repeated(job)
    assert sum(e["type"] == "done" for e in read_events(job.path / "events.jsonl")) == 1
