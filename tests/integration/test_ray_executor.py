"""Jobs on a real Ray cluster: a head and one worker on loopback, each limited to one CPU, shared by the module.

Each job trains a tiny random BERT (its folder travels with the job) through the Ray Jobs API end to end: the
events stream back into the job folder while it runs, the adapter, metrics and model card land at the end, a
cancel stops it with a checkpoint that a resume continues from, a killed worker fails the job with Ray's reason,
an unreachable address is refused before anything is queued, and a ``--detach``-ed job is picked up by the next
runner. Ray's gRPC servers listen on every interface by design (Ray has no switch for that); every address used
here is 127.0.0.1, the dashboard listens on 127.0.0.1 only, and usage stats are off.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalog.errors import JobError
from finetune.config.run import RunConfig
from finetune.jobs.executors.base import read_record
from finetune.jobs.executors.ray import RayExecutor
from finetune.jobs.runner import JobRunner
from finetune.jobs.store import ACTIVE, Job
from finetune.train.events import read_events
from tests.helpers.tiny_models import tiny_bert

ray = pytest.importorskip("ray", reason="the ray extra is not installed")

ROOT = Path(__file__).resolve().parents[2]
WORKER = "tunewise_test_worker"  # a custom resource only the worker node has: jobs land there
TIMEOUT_S = 240


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A head and one worker (one CPU each) on 127.0.0.1; stopped when the module's tests are done."""
    from ray.cluster_utils import Cluster

    port = free_port()
    with pytest.MonkeyPatch.context() as env:
        # Ray's processes inherit these. RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 keeps Ray from replacing 127.0.0.1
        # by the machine's network address; the nodes then find each other on loopback.
        for name, value in {"RAY_USAGE_STATS_ENABLED": "0", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
                            "RAY_TMPDIR": str(tmp_path_factory.mktemp("ray", numbered=True)),
                            # the jobs' private folders on the nodes: a killed node cannot remove its own
                            "TMPDIR": str(tmp_path_factory.mktemp("nodes", numbered=True)),
                            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                            "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
                            "TUNEWISE_OFFLINE": "1", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}.items():
            env.setenv(name, value)
        cluster = Cluster(initialize_head=True, head_node_args={
            "num_cpus": 1, "node_ip_address": "127.0.0.1", "include_dashboard": True, "dashboard_host": "127.0.0.1",
            "dashboard_port": port,
            # notice a dead node within seconds, not the default half minute
            "_system_config": {"health_check_period_ms": 500, "health_check_failure_threshold": 4,
                               "health_check_initial_delay_ms": 1000}})
        cluster.worker = cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1", resources={WORKER: 1})
        cluster.dashboard = f"http://127.0.0.1:{port}"
    try:
        yield cluster
    finally:
        cluster.shutdown()


@pytest.fixture
def ray_runner(ray_cluster: Any, workspace: Path) -> Iterator[JobRunner]:
    """A runner whose jobs go to the cluster's worker; cancels what is still active at the end."""
    runner = JobRunner(cancel_grace_s=20, executor=RayExecutor(ray_cluster.dashboard, lost_after_s=30,
                                                               entrypoint_resources={WORKER: 1}))
    yield runner
    for job in runner.list():
        if job.status in ACTIVE:
            runner.cancel(job.id, wait=True)


def tiny_job(workspace: Path, **train: Any) -> RunConfig:
    """A run of the tiny BERT on a small two-label file in the workspace."""
    model = tiny_bert(workspace / "models" / "tiny-bert")
    rows = ["text,label"] + [f"my card charge was twice {i},billing" for i in range(24)] + \
           [f"where is my parcel it is late {i},delivery" for i in range(24)]
    (workspace / "tiny.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    settings = {"epochs": 1, "batch_size": 8, "logging_steps": 1, "device": "cpu", **train}
    return RunConfig.from_dict({"model": {"name": str(model.relative_to(workspace))}, "data": {"path": "tiny.csv"},
                                "lora": {"target_modules": ["query", "value"]}, "train": settings,
                                "eval": {"baseline": "none"}})


def wait_for_step(job: Job, step: int, timeout: float = TIMEOUT_S) -> None:
    """Block until the job's (streamed-back) events reach ``step``."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if any(e.get("type") == "log" and e["step"] >= step for e in read_events(job.path / "events.jsonl")):
            return
        time.sleep(0.3)
    raise AssertionError(f"job {job.id} never reached step {step}: {(job.path / 'train.log').read_text()[-3000:]}")


@contextlib.contextmanager
def worker_node_killed(cluster: Any) -> Iterator[None]:
    """Kill the worker node (not gracefully, as a machine that dies); a fresh one joins afterwards."""
    cluster.remove_node(cluster.worker, allow_graceful=False)
    try:
        yield
    finally:
        cluster.worker = cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1", resources={WORKER: 1})


def log_tail(job: Job) -> str:
    return (job.path / "train.log").read_text(encoding="utf-8", errors="replace")[-4000:]


def test_an_unreachable_cluster_is_refused_before_anything_is_queued(workspace: Path) -> None:
    address = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    runner = JobRunner(executor="ray", ray_address=address)
    with pytest.raises(JobError, match=f"The Ray cluster at {address} cannot be reached"):
        runner.submit(RunConfig())
    assert runner.list() == [] and not list(workspace.glob("jobs/*"))


def test_a_ray_job_streams_its_events_and_lands_like_a_local_job(ray_runner: JobRunner, workspace: Path) -> None:
    job = ray_runner.submit(tiny_job(workspace, epochs=2))
    assert job.status == "running" and job.pid is None
    record = read_record(job.path)
    assert record.kind == "ray" and record.submission_id.startswith(f"tunewise-{job.id}-")
    seen_running_with_events = False
    deadline = time.time() + TIMEOUT_S
    while (progress := ray_runner.progress(job.id)).status in ACTIVE and time.time() < deadline:
        seen_running_with_events |= bool(progress.losses)  # the loss curve fills while the job runs
        time.sleep(0.3)
    done = ray_runner.get(job.id)
    assert done.status == "succeeded", (done.reason, log_tail(job))
    assert seen_running_with_events, "no event came back before the job ended"
    assert progress.percent == 100.0 and [s for s, _ in progress.losses] == list(range(1, progress.total_steps + 1))
    events = read_events(job.path / "events.jsonl")
    assert [e["type"] for e in events].count("done") == 1 and events[-1]["type"] == "done"
    for name in ("adapter/adapter_model.safetensors", "metrics.json", "predictions.jsonl", "splits.json",
                 "labels.json", "README.md", "config.yaml"):
        assert (job.path / name).is_file(), name
    assert RunConfig.from_yaml(job.path / "config.yaml").output.dir == str(job.path)  # the local config stays
    assert "@tunewise:" not in (job.path / "train.log").read_text(encoding="utf-8")
    assert "on the Ray cluster at" in log_tail(job) and "'loss'" in log_tail(job)
    assert read_record(job.path).launch["strategy"] == "single"  # what the node chose came back
    assert not list(job.path.glob(".incoming-*"))


def test_cancel_keeps_a_checkpoint_that_resume_continues_from(ray_runner: JobRunner, workspace: Path) -> None:
    job = ray_runner.submit(tiny_job(workspace, max_steps=400, save_steps=5))
    first_run = read_record(job.path).submission_id
    wait_for_step(job, 7)
    cancelled = ray_runner.cancel(job.id, wait=True)
    assert cancelled.status == "cancelled", (cancelled.reason, log_tail(job))
    assert cancelled.reason.startswith("Cancelled on request; it can be resumed.")
    assert "Last checkpoint: step" in cancelled.reason
    step = max(int(p.name.split("-")[1]) for p in (job.path / "checkpoints").glob("checkpoint-*"))
    assert step >= 5 and (job.path / "checkpoints" / f"checkpoint-{step}" / "trainer_state.json").is_file()
    assert read_events(job.path / "events.jsonl")[-1]["type"] == "cancelled"

    resumed = ray_runner.resume(job.id)
    assert resumed.status == "running" and read_record(job.path).submission_id != first_run
    wait_for_step(job, step + 1)
    ray_runner.cancel(job.id, wait=True)
    runs = [e for e in read_events(job.path / "events.jsonl") if e.get("type") == "start"]
    assert len(runs) == 2 and runs[1]["step"] == step, runs  # the second run began at the checkpoint


def test_a_killed_worker_fails_the_job_with_the_reason(ray_runner: JobRunner, ray_cluster: Any,
                                                      workspace: Path) -> None:
    job = ray_runner.submit(tiny_job(workspace, max_steps=2000, save_steps=1000))
    wait_for_step(job, 2)
    with worker_node_killed(ray_cluster):
        ended = ray_runner.wait(job.id, timeout=120)
        print(f"job store after a killed worker node (one-node job): {ended.status}: {ended.reason}")
        assert ended.status == "failed", (ended.status, ended.reason)
        assert ended.reason.startswith("The Ray cluster lost the job: the node that ran it died"), ended.reason
        assert ended.finished is not None and ended.pid is None


def test_a_detached_job_is_followed_by_the_next_runner(ray_cluster: Any, workspace: Path) -> None:
    tiny_job(workspace)  # writes the model and data
    cmd = [sys.executable, "-m", "assistant.cli.main", "train", "--executor", "ray", "--ray-address",
           ray_cluster.dashboard, "--detach", "--model", "models/tiny-bert", "--data", "tiny.csv", "--epochs", "1",
           "train.device=cpu", "eval.baseline=none", "lora.target_modules=[query,value]"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-3000:]
    assert f"runs on the Ray cluster at {ray_cluster.dashboard}" in out.stderr
    runner = JobRunner()  # the CLI process is gone: this runner follows the job from here
    ended = runner.wait(out.stdout.strip().splitlines()[-1], timeout=TIMEOUT_S)
    folder = ended.path
    assert read_record(folder).kind == "ray"
    assert ended.status == "succeeded", (ended.reason, log_tail(ended))
    assert (folder / "adapter" / "adapter_model.safetensors").is_file() and (folder / "metrics.json").is_file()


# -- over several nodes: Ray Train workers, one per node (no GPUs here), DDP over gloo ----------------------------
@pytest.fixture
def nodes_runner(ray_cluster: Any, workspace: Path) -> Iterator[JobRunner]:
    """A runner whose jobs train over both nodes of the cluster; cancels what is still active at the end."""
    runner = JobRunner(cancel_grace_s=20, executor=RayExecutor(ray_cluster.dashboard, lost_after_s=30, nodes=2))
    yield runner
    for job in runner.list():
        if job.status in ACTIVE:
            runner.cancel(job.id, wait=True)


def training_processes() -> list[Any]:
    """The training processes that Ray Train workers of these tests started (found by their private folder)."""
    import psutil

    found = []
    for proc in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error):
            if "finetune.train" in (proc.info["cmdline"] or []) and "tunewise-rank" in proc.environ().get(
                    "TUNEWISE_HOME", ""):
                found.append(proc)
    return found


def test_a_job_over_two_nodes_trains_with_ddp_through_ray_train(nodes_runner: JobRunner, workspace: Path) -> None:
    job = nodes_runner.submit(tiny_job(workspace))
    done = nodes_runner.wait(job.id, timeout=TIMEOUT_S)
    log = (job.path / "train.log").read_text(encoding="utf-8", errors="replace")
    assert done.status == "succeeded", (done.reason, log[-4000:])
    record = read_record(job.path)
    assert record.nodes == 2 and record.launch["nodes"] == 2 and record.launch["strategy"] == "ddp"
    assert "DDP over 2 nodes x 1 CPU process through Ray Train" in log
    nodes = {line.rsplit("Ray node ", 1)[1].rstrip(")") for line in log.splitlines() if " of 2 on " in line}
    assert len(nodes) == 2, "one rank on each node"
    assert "[rank 1] " in log and "@tunewise:" not in log
    events = read_events(job.path / "events.jsonl")
    kinds = [e["type"] for e in events]
    assert kinds.count("start") == 1 and kinds[-1] == "done", kinds
    assert len({e["pid"] for e in events if "pid" in e}) == 1, "rank 0 alone wrote the events"
    start = events[kinds.index("start")]
    assert start["world_size"] == 2
    # the plan's batch of 8 per optimizer step, 4 on each rank: the steps of one process
    assert start["total_steps"] == math.ceil(start["train_examples"] / 8) and start["per_device_batch_size"] == 4
    for name in ("adapter/adapter_model.safetensors", "metrics.json", "README.md"):
        assert (job.path / name).is_file(), name
    assert not training_processes()


def test_a_cancel_over_two_nodes_checkpoints_and_the_resume_trains_on_both_again(nodes_runner: JobRunner,
                                                                                  workspace: Path) -> None:
    job = nodes_runner.submit(tiny_job(workspace, max_steps=400, save_steps=5))
    wait_for_step(job, 7)
    cancelled = nodes_runner.cancel(job.id, wait=True)
    assert cancelled.status == "cancelled", (cancelled.reason, log_tail(job))
    assert cancelled.reason.startswith("Cancelled on request; it can be resumed."), cancelled.reason
    print(f"job store after a cancel (two-node job): {cancelled.status}: {cancelled.reason}")
    step = max(int(p.name.split("-")[1]) for p in (job.path / "checkpoints").glob("checkpoint-*"))
    assert step >= 5 and (job.path / "checkpoints" / f"checkpoint-{step}" / "trainer_state.json").is_file()

    resumed = nodes_runner.resume(job.id)
    assert resumed.status == "running"
    wait_for_step(job, step + 1)
    nodes_runner.cancel(job.id, wait=True)
    runs = [e for e in read_events(job.path / "events.jsonl") if e.get("type") == "start"]
    assert len(runs) == 2 and runs[1]["step"] == step and runs[1]["world_size"] == 2, runs
    assert not training_processes()


def test_a_killed_node_fails_a_two_node_job_and_leaves_no_training_behind(nodes_runner: JobRunner,
                                                                          ray_cluster: Any, workspace: Path) -> None:
    job = nodes_runner.submit(tiny_job(workspace, max_steps=2000, save_steps=1000))
    wait_for_step(job, 2)
    with worker_node_killed(ray_cluster):
        ended = nodes_runner.wait(job.id, timeout=180)
        print(f"job store after a killed node (two-node job): {ended.status}: {ended.reason}")
        assert ended.status == "failed", (ended.status, ended.reason, log_tail(job))
        # Ray words the failure differently from run to run ("... workers died ...", "Training failed due to worker
        # errors: ..."); what tunewise adds around it is fixed
        assert ended.reason.startswith("The job's run on the Ray cluster failed: "), ended.reason
        assert ended.reason.endswith("Resume the job: it continues from the last checkpoint that came back."), \
            ended.reason
        assert ended.finished is not None and ended.pid is None
        deadline = time.time() + 30
        while training_processes() and time.time() < deadline:
            time.sleep(0.5)
        assert not training_processes(), "a rank's training outlived its Ray Train worker"


def test_more_nodes_than_the_cluster_has_fail_the_job_with_the_count(ray_cluster: Any, workspace: Path) -> None:
    runner = JobRunner(executor=RayExecutor(ray_cluster.dashboard, lost_after_s=30, nodes=3))
    ended = runner.wait(runner.submit(tiny_job(workspace)).id, timeout=TIMEOUT_S)
    print(f"job store for a job asking for 3 nodes of 2: {ended.status}: {ended.reason}")
    assert ended.status == "failed"
    assert "asks for 3 nodes" in ended.reason and "has 2 with a CPU" in ended.reason, ended.reason
