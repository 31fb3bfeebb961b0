"""Multi-GPU from the product, on CPU: the job runner itself starts ``accelerate launch`` with two gloo processes.

The launch is the one a machine with two GPUs gets when the model fits one (DDP), with the device set to the CPU:
the runner writes the job's ``accelerate.yaml``, starts the same ``python -m finetune.train`` in both processes,
and the job folder looks like a one-process job's (one event stream, one adapter, one metrics file). A cancel
reaches both ranks (torchrun starts each in a session of its own), and ranks left behind by a launcher that was
killed are killed too.
"""

from __future__ import annotations

import math
import os
import signal
import time
from pathlib import Path
from typing import Any

import psutil
import yaml

from finetune.config.run import RunConfig
from finetune.jobs.executors.base import read_record
from finetune.jobs.executors.launch import ACCELERATE_FILE, Launch
from finetune.jobs.runner import JobRunner
from finetune.jobs.store import Job
from finetune.train.events import read_events
from tests.helpers.tiny_models import tiny_bert

TWO_CPU_PROCESSES = Launch(processes=2, strategy="ddp", device="cpu",
                           reason="the test's stand-in for two GPUs: two gloo processes on the CPU")
TIMEOUT_S = 300


def tiny_job(workspace: Path, **train: Any) -> RunConfig:
    model = tiny_bert(workspace / "models" / "tiny-bert")
    rows = ["text,label"] + [f"my card charge was twice {i},billing" for i in range(20)] + \
           [f"where is my parcel it is late {i},delivery" for i in range(20)]
    (workspace / "tiny.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    # gradient checkpointing as in the GPU presets: DDP's unused-parameter search fails on its re-entrant backward
    settings = {"epochs": 2, "batch_size": 4, "logging_steps": 1, "device": "cpu", "gradient_checkpointing": True,
                **train}
    return RunConfig.from_dict({"model": {"name": str(model)}, "data": {"path": "tiny.csv"}, "train": settings,
                                "lora": {"target_modules": ["query", "value"]}, "eval": {"baseline": "none"}})


def ranks_of(job: Job, timeout: float = 120) -> list[psutil.Process]:
    """The two training processes under the job's launcher, once both are up."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        ranks = [p for p in psutil.Process(job.pid).children(recursive=True)
                 if "finetune.train" in " ".join(p.cmdline()) and "accelerate" not in " ".join(p.cmdline())]
        if len(ranks) == 2:
            return ranks
        time.sleep(0.2)
    raise AssertionError("the two ranks never started")


def wait_for_step(job: Job, step: int) -> None:
    deadline = time.time() + TIMEOUT_S
    while time.time() < deadline:
        if any(e.get("type") == "log" and e["step"] >= step for e in read_events(job.path / "events.jsonl")):
            return
        time.sleep(0.2)
    raise AssertionError((job.path / "train.log").read_text()[-3000:])


def test_the_runner_launches_one_process_per_device_and_the_job_folder_is_one_job(
        runner: JobRunner, workspace: Path) -> None:
    job = runner.submit(tiny_job(workspace), launch=TWO_CPU_PROCESSES)
    assert read_record(job.path).launch == TWO_CPU_PROCESSES.to_dict()
    config = yaml.safe_load((job.path / ACCELERATE_FILE).read_text(encoding="utf-8"))
    assert config["num_processes"] == 2 and config["mixed_precision"] == "no"
    ranks = ranks_of(job)
    assert len({os.getsid(p.pid) for p in ranks}) == 2, "torchrun starts each rank in a session of its own"
    done = runner.wait(job.id, timeout=TIMEOUT_S)
    log = (job.path / "train.log").read_text(encoding="utf-8")
    assert done.status == "succeeded", (done.reason, log[-3000:])
    assert "(DDP over 2 CPU processes)" in log

    events = read_events(job.path / "events.jsonl")
    kinds = [e["type"] for e in events]
    assert kinds.count("start") == 1 and kinds.count("done") == 1 and kinds[-1] == "done", kinds
    assert len({e["pid"] for e in events if "pid" in e}) == 1, "rank 0 alone wrote the events"
    start = events[kinds.index("start")]
    assert start["world_size"] == 2
    # each optimizer step took the plan's batch of 4, 2 on each rank: the steps of one process
    assert start["total_steps"] == 2 * math.ceil(start["train_examples"] / 4)
    assert (job.path / "adapter" / "adapter_model.safetensors").is_file() and (job.path / "metrics.json").is_file()
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in ranks)


def test_a_cancel_reaches_every_rank(runner: JobRunner, workspace: Path) -> None:
    job = runner.submit(tiny_job(workspace, max_steps=2000, save_steps=1000), launch=TWO_CPU_PROCESSES)
    ranks = ranks_of(job)
    wait_for_step(job, 3)
    ended = runner.cancel(job.id, wait=True)
    assert ended.status == "cancelled", ended.reason
    psutil.wait_procs(ranks, timeout=30)
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in ranks), "a rank outlived the cancel"


def test_ranks_left_behind_by_a_killed_launcher_are_killed(runner: JobRunner, workspace: Path) -> None:
    job = runner.submit(tiny_job(workspace, max_steps=2000, save_steps=1000), launch=TWO_CPU_PROCESSES)
    ranks = ranks_of(job)
    wait_for_step(job, 2)
    os.kill(job.pid, signal.SIGKILL)  # the launcher alone, as the OOM killer would pick it
    ended = runner.wait(job.id, timeout=60)
    assert ended.status == "interrupted", ended.reason
    gone, alive = psutil.wait_procs(ranks, timeout=30)
    assert not alive, "ranks outlived their launcher"


def test_a_stop_signal_reaching_one_rank_stops_every_rank_at_the_same_step(runner: JobRunner,
                                                                          workspace: Path) -> None:
    """The ranks agree on stopping after each step: a rank that stopped alone would leave the other waiting in
    the next gradient all-reduce forever."""
    job = runner.submit(tiny_job(workspace, max_steps=2000, save_steps=1000), launch=TWO_CPU_PROCESSES)
    ranks = ranks_of(job)
    wait_for_step(job, 2)
    late = next(p for p in ranks if p.environ().get("RANK") == "1")
    late.send_signal(signal.SIGTERM)  # rank 1 only; rank 0 never hears of it
    gone, alive = psutil.wait_procs(ranks, timeout=TIMEOUT_S)
    assert not alive, "a rank kept training (or hung in an all-reduce) after the other stopped"
    ended = runner.wait(job.id, timeout=60)
    assert ended.status != "running"
    saved = sorted(int(p.name.split("-")[1]) for p in (job.path / "checkpoints").glob("checkpoint-*"))
    assert saved, "the agreed stop saves a checkpoint to resume from"
