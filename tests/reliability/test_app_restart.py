"""The app (the process holding a ``JobRunner``) dies with ``kill -9`` while its jobs run or wait.

``tests/integration/test_jobs_faults.py`` covers a restarted runner adopting a trainer that is still alive, and one
finding app and trainer both dead. Here: the trainer finishes while no app is alive at all; a queued job
waits behind the orphan; and two restarted apps (separate processes) race to adopt the same orphan. In
every case no finished job is lost, no job runs twice and nothing stays "running".
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from finetune.jobs.processes import pid_alive
from finetune.jobs.runner import JobRunner
from finetune.jobs.store import JobStore
from finetune.train.events import read_events
from tests.reliability.conftest import (
    JOB_TIMEOUT_S,
    ROOT,
    adapter_state,
    log_text,
    process_state,
    start_app,
    tiny_config,
    wait_stopped,
    wait_until,
)

#: A restarted app: a runner that reconciles the store and waits for the given jobs, then prints them.
RESTARTED_APP = """
import json, sys
from finetune.jobs.runner import JobRunner
runner = JobRunner(max_running=1)
print(json.dumps([runner.wait(i, timeout=float(sys.argv[1])).__dict__ for i in sys.argv[2:]]), flush=True)
"""


def kill_app(app: subprocess.Popen[str]) -> None:
    app.send_signal(signal.SIGKILL)
    app.wait(timeout=10)


def test_a_job_that_finishes_while_no_app_runs_is_found_succeeded(
        make_runner: Callable[..., JobRunner], tiny_data: Path, workspace: Path) -> None:
    config = workspace / "run.yaml"
    tiny_config().save(config)
    app, (job_id,) = start_app(config)
    job = JobStore().get(job_id)
    assert job is not None and job.pid and job.watcher == str(app.pid)
    kill_app(app)
    # Nobody watches the trainer now; it runs to the end and exits on its own.
    wait_until(lambda: not pid_alive(job.pid), "the orphaned trainer to finish")
    assert JobStore().get(job_id).status == "running"  # type: ignore[union-attr]  # nobody has looked yet
    restarted = make_runner()
    found = restarted.get(job_id)
    assert found.status == "succeeded", (found.reason, log_text(job.path))
    assert found.pid is None and found.finished is not None and found.reason is None
    progress = restarted.progress(job_id)
    assert progress.percent == 100.0 and progress.metrics is not None and progress.step == 12
    assert adapter_state(job.path) == "complete"
    assert (job.path / "metrics.json").is_file()


@pytest.mark.slow
def test_two_restarted_apps_race_for_an_orphan_and_its_queue_and_each_job_runs_once(
        tiny_data: Path, workspace: Path, stop_at: Callable[..., None],
        make_runner: Callable[..., JobRunner]) -> None:
    first, second = workspace / "first.yaml", workspace / "second.yaml"
    tiny_config().save(first)
    tiny_config(max_steps=8).save(second)
    stop_at("open:checkpoint-4/trainer_state.json")  # the first trainer pauses mid-run: it is alive for sure
    app, ids = start_app(first, second)
    store = JobStore()
    pid = wait_stopped(store, ids[0])
    assert [store.get(i).status for i in ids] == ["running", "queued"]  # type: ignore[union-attr]
    kill_app(app)
    stop_at()  # the second job, started by a restarted app, must not stop

    apps = [subprocess.Popen([sys.executable, "-c", RESTARTED_APP, str(JOB_TIMEOUT_S), *ids], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        # Both have reconciled (one adopted the orphan) once the orphan is watched by one of them.
        wait_until(lambda: store.get(ids[0]).watcher in {str(a.pid) for a in apps},  # type: ignore[union-attr]
                   "a restarted app to adopt the orphan", timeout=60)
        assert process_state(pid) == "T"
        os.kill(pid, signal.SIGCONT)
        outputs = [a.communicate(timeout=JOB_TIMEOUT_S) for a in apps]
    finally:
        for a in apps:
            if a.poll() is None:
                a.kill()
    for (out, err), a in zip(outputs, apps, strict=True):
        assert a.returncode == 0, err[-2000:]
        seen = json.loads(out)
        assert [j["status"] for j in seen] == ["succeeded", "succeeded"], [(j["id"], j["reason"]) for j in seen]
    for job_id in ids:
        job = store.get(job_id)
        assert job is not None and job.status == "succeeded" and job.pid is None
        events = read_events(job.path / "events.jsonl")
        assert sum(e.get("phase") == "loading" for e in events) == 1  # started once, never twice
        assert sum(e["type"] == "done" for e in events) == 1
        assert adapter_state(job.path) == "complete"
    # The queued job started only after the orphan had ended: one training process at a time.
    orphan, queued = (store.get(i) for i in ids)
    assert orphan is not None and queued is not None and queued.started and orphan.finished
    assert queued.started >= orphan.finished
    assert read_events(queued.path / "events.jsonl")[0]["time"] > read_events(orphan.path / "events.jsonl")[-1]["time"]
    assert not [j for j in make_runner().list() if j.status in ("running", "queued")]
