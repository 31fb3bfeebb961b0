"""Faults a job must survive, with real processes: ``kill -9`` of the trainer and of the app, a busy queue,
concurrent readers, too little memory, a full disk, a cancel that is ignored, retry, and ``logs --follow``.

Every job trains the packaged MiniLM in 4-bit on ``data.csv`` (see ``tests/integration/test_jobs.py``). Nothing is
mocked: processes are killed with real signals, memory is capped with ``RLIMIT_AS``, and the full disk
is a real 12 MiB tmpfs (skipped where it cannot be mounted).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from catalog.errors import JobError
from finetune.config.run import RunConfig
from finetune.jobs.folder import last_checkpoint_step
from finetune.jobs.processes import pid_alive
from finetune.jobs.runner import JobRunner
from finetune.jobs.status import outcome
from finetune.jobs.store import ACTIVE, JobStore
from finetune.train.events import EventReader, read_events
from finetune.train.outcome import describe_failure
from tests.helpers.job_helpers import kill_running_jobs
from tests.integration.test_jobs import JOB_TIMEOUT_S, insert_job, job_config, wait_for_event

ROOT = Path(__file__).resolve().parents[2]

#: A training process under this address-space cap cannot load MiniLM (it needs about 2 GB of address space).
MEMORY_CAP_MB = 1300

#: Starts a runner in a process of its own, submits one job and idles: the "app" that gets killed.
APP_SCRIPT = """
import sys, time
from finetune.config.run import RunConfig
from finetune.jobs.runner import JobRunner
runner = JobRunner(max_running=1)
job = runner.submit(RunConfig.from_yaml(sys.argv[1]))
print(job.id, flush=True)
time.sleep(600)
"""


@pytest.fixture
def make_runner(workspace: Path) -> Iterator[Callable[..., JobRunner]]:
    """Build real ``JobRunner``s; at the end every training process still running is killed."""
    made: list[JobRunner] = []

    def factory(**kwargs: Any) -> JobRunner:
        kwargs.setdefault("max_running", 1)
        made.append(JobRunner(**kwargs))
        return made[-1]

    yield factory
    kill_running_jobs()




def tunewise(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the real ``tunewise`` CLI on the test's workspace."""
    return subprocess.run([sys.executable, "-m", "assistant.cli.main", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def log_text(path: Path) -> str:
    """The job's train.log (for assertion messages)."""
    log = path / "train.log"
    return log.read_text(encoding="utf-8", errors="replace")[-3000:] if log.exists() else "(no log)"


def start_app(config: Path) -> tuple[subprocess.Popen[str], str]:
    """Start the app process; return it and the id of the job it submitted."""
    app = subprocess.Popen([sys.executable, "-c", APP_SCRIPT, str(config)], cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
    assert app.stdout is not None
    job_id = app.stdout.readline().strip()
    assert job_id, "the app process did not submit its job"
    return app, job_id


# -- kill -9 of the training process ---------------------------------------------------------------------
def test_kill_9_of_the_training_process_interrupts_it_and_resume_keeps_the_progress(
        make_runner: Callable[..., JobRunner], tickets_csv: Path) -> None:
    runner = make_runner()
    job = runner.submit(job_config(max_steps=24, batch_size=8, save_steps=4))
    wait_for_event(job, "checkpoint", min_step=4)
    pid = runner.get(job.id).pid
    assert pid
    os.kill(pid, signal.SIGKILL)
    ended = runner.wait(job.id, timeout=30)
    assert ended.status == "interrupted", (ended.reason, log_text(job.path))
    assert ended.exit_code == -signal.SIGKILL and ended.pid is None
    reason = ended.reason or ""
    assert "killed (signal 9, SIGKILL)" in reason and "resume" in reason and "Traceback" not in reason
    kept = last_checkpoint_step(job.path)
    assert kept is not None and kept >= 4
    assert f"Last checkpoint: step {kept}." in reason
    before = read_events(job.path / "events.jsonl")
    # A kill -9 that lands mid-save leaves a checkpoint without trainer_state.json: plant such a torn one.
    torn = job.path / "checkpoints" / f"checkpoint-{kept + 1}"
    torn.mkdir()
    shutil.copy(job.path / "checkpoints" / f"checkpoint-{kept}" / "adapter_model.safetensors", torn)
    # ... and a writer killed mid-line leaves a torn last event: the next run must not glue onto it.
    with (job.path / "events.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"type": "log", "step": 9')

    assert runner.resume(job.id).status == "running"
    final = runner.wait(job.id, timeout=JOB_TIMEOUT_S)
    assert final.status == "succeeded", (final.reason, log_text(job.path))
    events = read_events(job.path / "events.jsonl")
    assert events[:len(before)] == before  # nothing written before the kill was lost
    starts = [e for e in events if e["type"] == "start"]
    assert [s["step"] for s in starts] == [0, kept]  # continued from the checkpoint, not from 0
    loading = [e for e in events if e.get("phase") == "loading"]
    assert len(loading) == 2 and loading[0]["pid"] == pid != loading[1]["pid"]  # the resumed run's first event
    assert [e for e in events if e["type"] == "log"][-1]["step"] == 24
    assert (job.path / "checkpoints" / f"incomplete-checkpoint-{kept + 1}").is_dir()  # set aside, not deleted
    assert (job.path / "adapter" / "adapter_model.safetensors").is_file()
    log = (job.path / "train.log").read_text(encoding="utf-8")
    assert f"starting job {job.id}" in log and f"resuming job {job.id}" in log  # one log, both runs


# -- kill -9 of the app ------------------------------------------------------------------------------------
def test_kill_9_of_the_app_leaves_the_job_running_and_a_new_runner_sees_it_to_the_end(
        make_runner: Callable[..., JobRunner], tickets_csv: Path, workspace: Path) -> None:
    config = workspace / "run.yaml"
    job_config(max_steps=24, batch_size=8, save_steps=4).save(config)
    app, job_id = start_app(config)
    try:
        job = JobStore().get(job_id)
        assert job is not None and job.status == "running" and job.watcher == str(app.pid)
        wait_for_event(job, "checkpoint", min_step=4)
        app.kill()
        app.wait(timeout=10)
    finally:
        if app.poll() is None:
            app.kill()
    orphan = JobStore().get(job_id)
    assert orphan is not None and orphan.status == "running" and pid_alive(orphan.pid)  # the trainer lives on
    restarted = make_runner()
    adopted = restarted.get(job_id)
    assert adopted.status == "running" and adopted.watcher == str(os.getpid())  # watched by the new runner
    final = restarted.wait(job_id, timeout=JOB_TIMEOUT_S)
    assert final.status == "succeeded", (final.reason, log_text(job.path))
    assert final.pid is None and final.finished is not None
    progress = restarted.progress(job_id)
    assert progress.percent == 100.0 and progress.step == 24 and progress.metrics is not None


def test_kill_9_of_the_app_and_its_trainer_is_reconciled_as_interrupted(
        make_runner: Callable[..., JobRunner], tickets_csv: Path, workspace: Path) -> None:
    config = workspace / "run.yaml"
    job_config(max_steps=200, batch_size=8, save_steps=4).save(config)
    app, job_id = start_app(config)
    job = JobStore().get(job_id)
    assert job is not None and job.pid
    try:
        wait_for_event(job, "checkpoint", min_step=4)
    finally:  # the machine restarts: app and trainer die at once
        app.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(job.pid, signal.SIGKILL)
        app.wait(timeout=10)
    wait_until(lambda: not pid_alive(job.pid), 10, "the trainer to die")
    assert JobStore().get(job_id).status == "running"  # type: ignore[union-attr]  # nobody has looked yet
    restarted = make_runner()
    lost = restarted.get(job_id)
    assert lost.status == "interrupted" and lost.pid is None and lost.finished is not None
    kept = last_checkpoint_step(job.path)
    assert kept is not None and kept >= 4
    assert lost.reason and "resume" in lost.reason and f"Last checkpoint: step {kept}." in lost.reason
    assert "Traceback" not in lost.reason
    assert not any(j.status == "running" for j in restarted.list())  # nothing is left "running"


# -- the queue ----------------------------------------------------------------------------------------------
def test_five_jobs_submitted_at_once_run_one_at_a_time_and_all_succeed(
        make_runner: Callable[..., JobRunner], tickets_csv: Path, workspace: Path) -> None:
    runner = make_runner()
    other = make_runner()  # a second runner on the same store: the limit holds across runners
    config = workspace / "run.yaml"
    job_config(max_steps=2, batch_size=8, save_steps=50).save(config)
    ids = [runner.submit(job_config(max_steps=2, batch_size=8, save_steps=50)).id,
           other.submit(job_config(max_steps=2, batch_size=8, save_steps=50)).id]
    detached = tunewise("train", str(config), "--detach")  # a third process queues one as well
    assert detached.returncode == 0, detached.stderr
    ids.append(Path(detached.stdout.strip().splitlines()[-1]).name)
    ids += [runner.submit(job_config(max_steps=2, batch_size=8, save_steps=50)).id for _ in range(2)]
    statuses = [JobStore().get(i).status for i in ids]  # type: ignore[union-attr]
    assert statuses.count("running") == 1 and statuses[-1] == "queued", statuses

    most, stop = [0], threading.Event()

    def sample() -> None:  # how many trainers are alive at once, sampled while the queue drains
        while not stop.is_set():
            alive = sum(pid_alive(j.pid) for j in JobStore().list(statuses=("running",)))
            most[0] = max(most[0], alive)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        finals = [runner.wait(i, timeout=JOB_TIMEOUT_S) for i in ids]
    finally:
        stop.set()
        sampler.join(timeout=5)
    assert [f.status for f in finals] == ["succeeded"] * 5, [(f.id, f.reason) for f in finals]
    assert most[0] == 1
    order = sorted(finals, key=lambda f: f.started or 0)
    assert [f.id for f in order] == ids  # first come, first served
    for earlier, later in zip(order, order[1:], strict=False):
        assert later.started is not None and earlier.finished is not None
        assert later.started >= earlier.finished
        first = read_events(later.path / "events.jsonl")[0]["time"]
        last = read_events(earlier.path / "events.jsonl")[-1]["time"]
        assert first > last  # the trainers' own clocks agree: no overlap


# -- readers --------------------------------------------------------------------------------------------
def test_two_readers_and_a_log_follower_poll_while_a_job_writes(make_runner: Callable[..., JobRunner],
                                                                tickets_csv: Path) -> None:
    runner = make_runner()
    job = runner.submit(job_config(max_steps=16, batch_size=8, save_steps=50))
    follower = subprocess.Popen([sys.executable, "-m", "assistant.cli.main", "jobs", "logs", job.id, "--follow"],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: dict[int, list[tuple[int, int, float, str]]] = {0: [], 1: []}
    errors: list[BaseException] = []

    def poll(index: int, reader: JobRunner) -> None:
        try:
            while True:
                p = reader.progress(job.id)
                seen[index].append((p.step, len(p.losses), p.percent, p.status))
                if p.status not in ACTIVE:
                    return
                time.sleep(0.1)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    readers = [make_runner(), make_runner()]
    threads = [threading.Thread(target=poll, args=(i, r), daemon=True) for i, r in enumerate(readers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=JOB_TIMEOUT_S)
    assert not errors, errors
    for polls in seen.values():
        steps = [s for s, _, _, _ in polls]
        assert steps == sorted(steps) and [n for _, n, _, _ in polls] == sorted(n for _, n, _, _ in polls)
        assert len({s for s in steps if 0 < s < 16}) >= 2  # saw the job move, not only its end
        assert polls[-1] == (16, 16, 100.0, "succeeded")
    for reader in readers:  # incremental: each reader has consumed the file exactly once
        events_reader: EventReader = reader._readers[job.id]
        assert events_reader.offset == (job.path / "events.jsonl").stat().st_size
        assert events_reader.events == read_events(job.path / "events.jsonl")

    out, err = follower.communicate(timeout=60)  # it stops by itself when the job ends
    assert follower.returncode == 0, err
    assert f"starting job {job.id}" in out and "train_runtime" in out
    assert f"job {job.id} succeeded" in err
    shown = tunewise("jobs", "show", job.id, "--json")
    info = json.loads(shown.stdout)
    assert {"status", "pid", "progress", "reason", "folder"} <= set(info)
    assert (info["status"], info["pid"], info["progress"], info["reason"]) == ("succeeded", None, 100.0, None)
    assert info["folder"] == str(job.path) and info["step"] == info["total_steps"] == 16


# -- memory -------------------------------------------------------------------------------------------------
def test_a_job_out_of_memory_fails_with_a_readable_reason_and_retry_starts_it_over(
        make_runner: Callable[..., JobRunner], tickets_csv: Path) -> None:
    runner = make_runner(max_memory_mb=MEMORY_CAP_MB)
    job = runner.submit(job_config(max_steps=2, batch_size=8, save_steps=50))
    ended = runner.wait(job.id, timeout=JOB_TIMEOUT_S)
    assert ended.status == "failed", (ended.reason, log_text(job.path))
    reason = ended.reason or ""
    assert reason.startswith("Out of memory:"), (reason, log_text(job.path))
    assert "train.batch_size" in reason and f"{MEMORY_CAP_MB} MB" in reason and "Traceback" not in reason
    log = (job.path / "train.log").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" in log  # the full trace stays in the job log
    assert any(s in log for s in ("MemoryError", "Cannot allocate memory", "can't allocate memory",
                                  "failed to map segment"))
    # Retry from the CLI (no memory cap there): a new job with the same config, linked to the old one.
    out = tunewise("jobs", "retry", job.id, "--json")
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["retry_of"] == job.id and info["id"] != job.id and info["folder"] != job.folder
    new = runner.wait(info["id"], timeout=JOB_TIMEOUT_S)  # the CLI has exited: this runner adopts the job
    assert new.status == "succeeded", (new.reason, log_text(new.path))
    old_cfg, new_cfg = (RunConfig.from_yaml(j.path / "config.yaml").model_dump() for j in (job, new))
    assert old_cfg["output"].pop("dir") == job.folder and new_cfg["output"].pop("dir") == new.folder
    assert old_cfg == new_cfg
    assert runner.get(job.id).status == "failed"  # the old job is left as it was
    with pytest.raises(JobError, match="only failed, cancelled or interrupted"):
        runner.retry(new.id)


# -- disk ---------------------------------------------------------------------------------------------------
@pytest.fixture
def small_disk(workspace: Path) -> Iterator[Path]:
    """A 12 MiB tmpfs inside the workspace: room for one MiniLM checkpoint (8.6 MB), not two."""
    folder = workspace / "jobs" / "small-disk"
    folder.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(folder)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        kill_running_jobs()
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def test_a_full_disk_fails_the_job_with_a_readable_reason_and_resume_finishes_it(
        make_runner: Callable[..., JobRunner], tickets_csv: Path, small_disk: Path) -> None:
    runner = make_runner()
    job = runner.submit(job_config(max_steps=6, batch_size=8, save_steps=2), folder=small_disk)
    ended = runner.wait(job.id, timeout=JOB_TIMEOUT_S)
    assert ended.status == "failed", (ended.reason, log_text(job.path))
    reason = ended.reason or ""
    assert reason.startswith("The disk is full."), (reason, log_text(job.path))
    assert "Last checkpoint: step 2." in reason and "Traceback" not in reason
    assert last_checkpoint_step(job.path) == 2  # the checkpoint written before the disk filled is intact
    assert [e["step"] for e in read_events(job.path / "events.jsonl") if e["type"] == "log"][:2] == [1, 2]
    # While the disk is full, a new job there is refused up front, with the same reason.
    with contextlib.suppress(OSError), (small_disk / "filler").open("wb", buffering=0) as fh:
        while True:
            fh.write(b"\0" * 65536)
    with pytest.raises(JobError, match="The disk is full"):
        runner.submit(job_config(), folder=small_disk / "another")
    # Free space (grow the drive) and resume: it continues from step 2 and finishes.
    (small_disk / "filler").unlink()
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True, capture_output=True)
    runner.resume(job.id)
    final = runner.wait(job.id, timeout=JOB_TIMEOUT_S)
    assert final.status == "succeeded", (final.reason, log_text(job.path))
    starts = [e["step"] for e in read_events(job.path / "events.jsonl") if e["type"] == "start"]
    assert starts == [0, 2]


def test_failure_reasons_for_real_memory_and_disk_errors() -> None:
    """``describe_failure`` on exceptions raised for real (the fallback where no small disk can be mounted)."""
    import torch

    try:
        torch.empty(2**50, dtype=torch.uint8)  # a petabyte: DefaultCPUAllocator refuses
    except RuntimeError as exc:
        assert describe_failure(exc).startswith("Out of memory:")
    full = os.open("/dev/full", os.O_WRONLY)  # the kernel's always-full device: writes fail with ENOSPC
    try:
        os.write(full, b"x")
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
        assert describe_failure(exc).startswith("The disk is full.")
        try:  # a library that hides the ENOSPC behind its own error
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 141952 vs 141840")
        except RuntimeError as hidden:
            assert hidden.__context__ is exc
            assert describe_failure(hidden).startswith("The disk is full.")
    else:
        raise AssertionError("writing to /dev/full succeeded")
    finally:
        os.close(full)
    assert describe_failure(MemoryError()).startswith("Out of memory:")
    assert describe_failure("MemoryError: Cannot allocate memory (os error 12)").startswith("Out of memory:")
    assert describe_failure("ValueError: bad label 'x'") == "ValueError: bad label 'x'"
    # A SIGKILL while the kernel's OOM killer acted is "out of memory", otherwise "killed".
    assert outcome(-9, None, False, oom_killed=True)[1].startswith("Out of memory:")  # type: ignore[union-attr]
    assert outcome(-9, None, False)[0] == "interrupted"
    assert outcome(-11, None, False)[0] == "failed"


# -- cancel that is ignored -------------------------------------------------------------------------------
def test_a_cancel_that_is_ignored_is_forced_after_the_grace_period(make_runner: Callable[..., JobRunner],
                                                                   tickets_csv: Path) -> None:
    runner = make_runner(cancel_grace_s=1.0)
    job = runner.submit(job_config(max_steps=200))
    assert job.pid
    os.kill(job.pid, signal.SIGSTOP)  # a stopped process cannot act on SIGTERM
    runner.cancel(job.id)
    assert pid_alive(job.pid), "the grace period comes before the kill, not an immediate SIGKILL"
    ended = runner.wait(job.id, timeout=30)
    assert ended.status == "cancelled" and ended.exit_code == -signal.SIGKILL
    assert ended.reason and "by force" in ended.reason and "Traceback" not in ended.reason
    assert not pid_alive(job.pid)
    # From the CLI, whose runner does not watch the job: it waits its own grace period, then kills.
    patient = make_runner(cancel_grace_s=600.0)
    second = patient.submit(job_config(max_steps=200))
    assert second.pid
    os.kill(second.pid, signal.SIGSTOP)
    out = tunewise("jobs", "cancel", second.id, "--json", env={"TUNEWISE_CANCEL_GRACE_S": "1"})
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["status"] == "cancelled" and "by force" in info["reason"]
    assert patient.wait(second.id, timeout=30).status == "cancelled"
    assert not pid_alive(second.pid)


# -- retry and scoping without processes -----------------------------------------------------------------
def test_retry_only_takes_stopped_jobs_of_their_owner(make_runner: Callable[..., JobRunner]) -> None:
    runner = make_runner()
    done = insert_job(runner.store, owner="alice", status="succeeded")
    failed = insert_job(runner.store, owner="alice", status="failed")
    with pytest.raises(JobError, match="only failed, cancelled or interrupted"):
        runner.retry(done.id)
    with pytest.raises(JobError, match="No job"):
        runner.retry(failed.id, owner="bob")
    with pytest.raises(JobError, match="no config.yaml"):
        runner.retry(failed.id, owner="alice")
