"""The executor logic without processes or a cluster: the launch rule, the job folder's executor record, the
log protocol a Ray job's results travel by, how a Ray job's end reads as a status, and choosing an executor."""

from __future__ import annotations

import io
import json
import os
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from catalog.errors import ConfigError
from catalog.hardware import Hardware
from finetune.config.run import RunConfig
from finetune.jobs.executors.base import RECORD_FILE, ExecutorRecord, read_record, write_record
from finetune.jobs.executors.launch import (
    ACCELERATE_FILE,
    Launch,
    choose_launch,
    choose_nodes_launch,
    launch_argv,
    plan_launch,
    plan_nodes_launch,
)
from finetune.jobs.executors.ray import RayExecutor, ray_outcome
from finetune.jobs.executors.ray_stream import LogIngest, LogWriter, pack
from finetune.jobs.runner import JobRunner
from finetune.train.outcome import EXIT_CANCELLED


# -- which launch --------------------------------------------------------------------------------------------
def test_no_gpu_or_one_gpu_is_one_process() -> None:
    assert choose_launch(0, need_gb=None, gpu_budget_gb=None, bits=4) == Launch(
        reason="No GPU here: the job trains as one process on the CPU.")
    one = choose_launch(1, need_gb=90.0, gpu_budget_gb=72.0, bits=4)
    assert (one.processes, one.strategy, one.device) == (1, "single", "cuda")


def test_several_gpus_and_a_model_that_fits_one_is_ddp() -> None:
    launch = choose_launch(4, need_gb=12.0, gpu_budget_gb=72.0, bits=4)
    assert (launch.processes, launch.strategy, launch.device) == (4, "ddp", "cuda")
    assert "fits one (about 12.0 GB of 72 GB)" in launch.reason and "DDP" in launch.reason
    assert launch.describe() == "DDP over 4 GPUs"
    unknown = choose_launch(2, need_gb=None, gpu_budget_gb=72.0, bits=4)  # a model folder: size not estimated
    assert unknown.strategy == "ddp"


def test_several_gpus_and_a_model_that_does_not_fit_one_is_fsdp_qlora() -> None:
    launch = choose_launch(2, need_gb=100.0, gpu_budget_gb=72.0, bits=4, mixed_precision="bf16")
    assert (launch.processes, launch.strategy, launch.mixed_precision) == (2, "fsdp-qlora", "bf16")
    assert "does not fit one GPU (about 100.0 GB of 72 GB)" in launch.reason and "50.0 GB each" in launch.reason
    assert launch.describe() == "FSDP-QLoRA over 2 GPUs"
    eight_bit = choose_launch(2, need_gb=100.0, gpu_budget_gb=72.0, bits=8)
    assert eight_bit.strategy == "ddp" and "8-bit weights cannot be sharded" in eight_bit.reason


def test_plan_launch_estimates_the_model_against_one_gpu() -> None:
    gpu = Hardware(device="cuda", gpu_name="test GPU", gpu_memory_gb=24.0, ram_gb=256.0, cpu_count=32)
    small = RunConfig.from_dict({"model": {"name": "sentence-transformers/all-MiniLM-L6-v2"}})
    assert plan_launch(small, gpu, gpus=4).strategy == "ddp"
    big = RunConfig.from_dict({"task": "chat", "model": {"name": "Qwen/Qwen2.5-14B-Instruct"},
                               "data": {"max_length": 4096}, "train": {"batch_size": 16}})
    assert plan_launch(big, gpu, gpus=4).strategy == "fsdp-qlora"
    on_cpu = RunConfig.from_dict({"train": {"device": "cpu"}})
    assert plan_launch(on_cpu, gpu, gpus=8).strategy == "single"


@pytest.mark.parametrize("bad", [{"processes": 0}, {"processes": 1, "strategy": "ddp"},
                                 {"processes": 2, "strategy": "single"}])
def test_impossible_launches_are_refused(bad: dict) -> None:
    with pytest.raises(ConfigError):
        Launch(**bad)


def test_launch_commands(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    assert launch_argv(Launch(), config, tmp_path, resume=True, python="py") == \
        ["py", "-m", "finetune.train", str(config), "--resume"]
    assert not (tmp_path / ACCELERATE_FILE).exists()
    ddp = Launch(processes=2, strategy="ddp", device="cpu")
    cmd = launch_argv(ddp, config, tmp_path, python="py")
    assert cmd == ["py", "-m", "accelerate.commands.launch", "--config_file", str(tmp_path / ACCELERATE_FILE),
                   "--num_processes", "2", "-m", "finetune.train", str(config)]
    written = yaml.safe_load((tmp_path / ACCELERATE_FILE).read_text(encoding="utf-8"))
    assert written["num_processes"] == 2 and written["distributed_type"] == "MULTI_GPU"
    fsdp = Launch(processes=4, strategy="fsdp-qlora", device="cuda", mixed_precision="bf16")
    launch_argv(fsdp, config, tmp_path, python="py")
    written = yaml.safe_load((tmp_path / ACCELERATE_FILE).read_text(encoding="utf-8"))
    assert written["distributed_type"] == "FSDP" and written["mixed_precision"] == "bf16"
    assert Launch.from_dict({**fsdp.to_dict(), "unknown": 1}) == fsdp


# -- the executor record ---------------------------------------------------------------------------------------
def test_the_record_round_trips_and_a_missing_or_torn_one_means_local(tmp_path: Path) -> None:
    assert read_record(tmp_path) == ExecutorRecord()
    record = ExecutorRecord(kind="ray", launch={"processes": 1}, address="http://h:8265", submission_id="s",
                            log_lines=7, first_event=3)
    write_record(tmp_path, record)
    assert read_record(tmp_path) == record and not list(tmp_path.glob(f".{RECORD_FILE}*"))  # no temp file left
    (tmp_path / RECORD_FILE).write_text('{"kind": "ray", "addr', encoding="utf-8")
    assert read_record(tmp_path).kind == "local"


# -- the log protocol ------------------------------------------------------------------------------------------
def written_log(tmp_path: Path, write: callable) -> str:  # type: ignore[valid-type]
    """What a LogWriter writes (through a real file descriptor)."""
    path = tmp_path / "ray.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        write(LogWriter(fd))
    finally:
        os.close(fd)
    return path.read_text(encoding="utf-8")


def test_events_checkpoints_and_results_come_back_through_the_log(tmp_path: Path) -> None:
    node = tmp_path / "node"
    (node / "adapter").mkdir(parents=True)
    (node / "adapter" / "adapter_model.safetensors").write_bytes(os.urandom(200_000))  # several chunks
    (node / "metrics.json").write_text('{"tuned": {"accuracy": 0.9}}', encoding="utf-8")
    (node / "checkpoint-5").mkdir()
    (node / "checkpoint-5" / "trainer_state.json").write_text("{}", encoding="utf-8")

    def job(writer: LogWriter) -> None:
        writer.line("Loading weights")
        writer.event(0, '{"type": "start", "step": 0}')
        writer.event(1, '{"type": "log", "step": 1, "loss": 1.2}')
        writer.blob("checkpoint-5", pack(node, ["checkpoint-5"]))
        writer.line("{'loss': '1.2'}")
        writer.blob("result", pack(node, ["adapter", "metrics.json"]))
        writer.launch(Launch().to_dict())
        writer.exit(0)

    text = written_log(tmp_path, job)
    folder = tmp_path / "job"
    folder.mkdir()
    ingest = LogIngest(folder)
    for start in range(0, len(text), 777):  # chunks that cut lines (and blob lines) anywhere
        ingest.feed(text[start:start + 777])
    ingest.flush()
    assert (folder / "train.log").read_text(encoding="utf-8") == "Loading weights\n{'loss': '1.2'}\n"
    assert [json.loads(line)["type"] for line in (folder / "events.jsonl").read_text().splitlines()] == ["start", "log"]
    assert (folder / "adapter" / "adapter_model.safetensors").read_bytes() == \
        (node / "adapter" / "adapter_model.safetensors").read_bytes()
    assert (folder / "metrics.json").is_file() and (folder / "checkpoints" / "checkpoint-5").is_dir()
    assert ingest.exit_code == 0 and ingest.launch == Launch().to_dict()
    assert not list(folder.glob(".incoming-*"))

    again = LogIngest(folder)  # a second reader of the same log changes nothing
    again.feed(text)
    assert (folder / "train.log").read_text(encoding="utf-8").count("Loading weights") == 2  # plain lines repeat
    assert len((folder / "events.jsonl").read_text().splitlines()) == 2  # events do not


def test_a_new_stream_skips_what_was_read_and_a_blob_in_flight_is_not_lost(tmp_path: Path) -> None:
    node = tmp_path / "node"
    node.mkdir()
    (node / "metrics.json").write_bytes(os.urandom(150_000))
    text = written_log(tmp_path, lambda w: (w.event(0, '{"type": "start"}'), w.blob("result", pack(node, ["metrics.json"])),
                                            w.exit(0)))
    lines = text.splitlines(keepends=True)
    folder = tmp_path / "job"
    folder.mkdir()
    ingest = LogIngest(folder)
    ingest.feed("".join(lines[:3]))  # the event, the blob's first line and one chunk; then the stream drops
    assert ingest.safe_lines == 1  # a reader starting over must begin before the blob
    ingest.restart()
    ingest.feed(text)
    assert (folder / "metrics.json").read_bytes() == (node / "metrics.json").read_bytes()
    fresh = LogIngest(folder, skip_lines=1)  # e.g. after an app restart, from the record's safe line count
    fresh.feed(text)
    assert len((folder / "events.jsonl").read_text().splitlines()) == 1


def test_damaged_or_escaping_blobs_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "job"
    folder.mkdir()
    ingest = LogIngest(folder)
    good = written_log(tmp_path, lambda w: w.blob("result", b"not a tar at all"))
    ingest.feed(good.replace(good.splitlines()[1].split(" ")[-1], "QUJD"))  # another payload: hash mismatch
    assert list(folder.iterdir()) == []
    ingest.feed(good)  # intact, but not a tar file
    assert list(folder.iterdir()) == []
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    ingest.feed(written_log(tmp_path, lambda w: w.blob("result", buffer.getvalue())))
    assert not (tmp_path / "escaped.txt").exists()
    ingest.feed(written_log(tmp_path, lambda w: w.line("@tunewise:blob-begin ../../x 1 0")))
    assert not (tmp_path / "x").exists()


def test_only_the_newest_checkpoints_are_kept(tmp_path: Path) -> None:
    node = tmp_path / "node"
    for step in (5, 10, 15):
        (node / f"checkpoint-{step}").mkdir(parents=True)
    folder = tmp_path / "job"
    folder.mkdir()
    ingest = LogIngest(folder)
    for step in (5, 10, 15):
        ingest.feed(written_log(tmp_path, lambda w, s=step: w.blob(f"checkpoint-{s}", pack(node, [f"checkpoint-{s}"]))))
    assert sorted(p.name for p in (folder / "checkpoints").iterdir()) == ["checkpoint-10", "checkpoint-15"]


# -- how a Ray job ended ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("ray_status", "code", "message", "last", "cancel", "landed", "status", "reason"), [
    ("SUCCEEDED", 0, None, {"type": "done"}, False, True, "succeeded", None),
    ("SUCCEEDED", 0, None, {"type": "done"}, False, False, "failed", "did not come back"),
    ("STOPPED", EXIT_CANCELLED, None, {"type": "cancelled"}, True, False, "cancelled", "Cancelled on request"),
    ("STOPPED", None, None, None, True, False, "cancelled", "by force (SIGKILL)"),
    ("STOPPED", None, None, None, False, False, "cancelled", "not from here"),
    ("FAILED", 1, None, {"type": "error", "reason": "Bad labels"}, False, False, "failed", "Bad labels"),
    ("FAILED", -9, None, None, False, False, "interrupted", "signal 9"),
    ("FAILED", None, "Job supervisor actor died: ... The actor died because its node has died.", None, False,
     False, "failed", "The Ray cluster lost the job: the node that ran it died"),
    ("FAILED", None, "runtime env setup failed: no space\nmore", None, False, False, "failed",
     "lost the job: runtime env setup failed: no space."),
])
def test_how_a_ray_job_ended_reads_as_a_status(ray_status: str, code: int | None, message: str | None,
                                               last: dict | None, cancel: bool, landed: bool, status: str,
                                               reason: str | None) -> None:
    got, why = ray_outcome(ray_status, code, message, last, cancel, landed=landed)
    assert got == status
    assert (why is None) if reason is None else (reason in why), why


# -- choosing the executor --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("given", "expected"), [("127.0.0.1:8265", "http://127.0.0.1:8265"),
                                                 (" https://ray.example:443/ ", "https://ray.example:443")])
def test_ray_addresses_are_normalized(given: str, expected: str) -> None:
    assert RayExecutor.normalize_address(given) == expected


@pytest.mark.parametrize("bad", ["ray://head:10001", "ftp://head", "http://"])
def test_addresses_that_are_not_a_jobs_api_are_refused(bad: str) -> None:
    with pytest.raises(ConfigError):
        RayExecutor.normalize_address(bad)


def test_the_executor_comes_from_the_arguments_or_the_environment(workspace: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    assert JobRunner().executor.kind == "local"
    with pytest.raises(ConfigError, match="needs the cluster's address"):
        JobRunner(executor="ray")
    with pytest.raises(ConfigError, match="Unknown executor"):
        JobRunner(executor="slurm")
    monkeypatch.setenv("TUNEWISE_RAY_ADDRESS", "127.0.0.1:1")  # nothing is contacted until a job is submitted
    runner = JobRunner()
    assert runner.executor.kind == "ray" and runner.executor.where == "the Ray cluster at http://127.0.0.1:1"
    assert JobRunner(executor="local").executor.kind == "local"


def test_several_nodes_are_ddp_with_one_worker_per_gpu_or_per_node() -> None:
    gpus = choose_nodes_launch(2, 8, need_gb=10.0, gpu_budget_gb=70.0)
    assert (gpus.processes, gpus.nodes, gpus.strategy, gpus.device) == (16, 2, "ddp", "cuda")
    assert gpus.describe() == "DDP over 2 nodes x 8 GPUs" and "one worker per GPU" in gpus.reason
    cpus = choose_nodes_launch(3, 0, need_gb=None, gpu_budget_gb=None)
    assert (cpus.processes, cpus.device) == (3, "cpu") and cpus.describe() == "DDP over 3 nodes x 1 CPU process"
    assert Launch.from_dict(gpus.to_dict()) == gpus  # the record keeps the node count


def test_a_model_that_does_not_fit_one_gpu_is_not_spread_over_nodes() -> None:
    with pytest.raises(ConfigError, match=r"does not fit one GPU \(about 90.0 GB of 70 GB\).*--ray-nodes 1"):
        choose_nodes_launch(2, 8, need_gb=90.0, gpu_budget_gb=70.0)
    with pytest.raises(ConfigError, match="needs 2 or more"):
        choose_nodes_launch(1, 8, need_gb=None, gpu_budget_gb=None)


@pytest.mark.parametrize("bad", [{"processes": 3, "strategy": "ddp", "nodes": 2},
                                 {"processes": 4, "strategy": "fsdp-qlora", "nodes": 2},
                                 {"processes": 2, "strategy": "ddp", "nodes": 0}])
def test_impossible_node_launches_are_refused(bad: dict) -> None:
    with pytest.raises(ConfigError):
        Launch(**bad)


def test_the_node_plan_checks_the_fit_only_with_the_gpu_nodes_hardware() -> None:
    cfg = RunConfig.from_dict({"model": {"name": "Qwen/Qwen2.5-14B-Instruct"}, "data": {"path": "x.csv"},
                               "task": "chat"})
    assert plan_nodes_launch(cfg, 2, 8).processes == 16  # the head may have no GPU: nothing to measure against
    small = Hardware(device="cuda", gpu_name="test GPU", gpu_memory_gb=4.0, ram_gb=64.0, cpu_count=16)
    with pytest.raises(ConfigError, match="does not fit one GPU"):
        plan_nodes_launch(cfg, 2, 8, small)
    cpu = cfg.model_copy(update={"train": cfg.train.model_copy(update={"device": "cpu"})})
    assert plan_nodes_launch(cpu, 2, 8).device == "cpu"


def test_several_nodes_need_a_ray_cluster(workspace: Path) -> None:
    with pytest.raises(ConfigError, match="Training on 2 nodes needs a Ray cluster"):
        JobRunner(ray_nodes=2)
    runner = JobRunner(ray_address="127.0.0.1:1", ray_nodes=3)
    assert runner.executor.record().nodes == 3
    with pytest.raises(ConfigError, match="at least 1"):
        RayExecutor("127.0.0.1:1", nodes=0)


def test_the_ray_entry_point_imports_without_ray_or_torch() -> None:
    import subprocess

    code = ("import sys, finetune.jobs.executors.ray_entry, finetune.jobs.runner; "
            "print(sorted(m for m in ('torch', 'ray') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[3])
    assert out.stdout.strip() == "[]"


# -- following a Ray job, with a stand-in for the Jobs API ------------------------------------------------------
class StubJobs:
    """Answers like ``JobSubmissionClient`` for one job: a status, a log, or errors."""

    def __init__(self, status: str = "RUNNING", log: str = "", error: Exception | None = None) -> None:
        self.status, self.log, self.error = status, log, error
        self.submitted: list[dict] = []
        self.stopped: list[str] = []

    def submit_job(self, **kwargs: object) -> str:
        self.submitted.append(kwargs)
        return str(kwargs["submission_id"])

    def get_job_info(self, sid: str) -> object:
        if self.error is not None:
            raise self.error
        return type("Info", (), {"status": self.status, "message": None, "driver_exit_code": None})()

    def get_job_logs(self, sid: str) -> str:
        return self.log

    def stop_job(self, sid: str) -> bool:
        self.stopped.append(sid)
        self.status = "STOPPED"
        return True

    async def tail_job_logs(self, sid: str):  # noqa: ANN201 - an async generator, like the real one
        for line in self.log.splitlines(keepends=True)[:1]:
            yield line


def ray_job(workspace: Path, stub: StubJobs, **executor: float) -> tuple[JobRunner, str]:
    """A runner on a Ray executor whose client is ``stub``, with a job submitted through it."""
    (workspace / "d.csv").write_text("text,label\n" + "\n".join(f"t {i},{'ab'[i % 2]}" for i in range(10)),
                                     encoding="utf-8")
    executor_ = RayExecutor("http://127.0.0.1:1", **executor)
    executor_._client = stub
    runner = JobRunner(executor=executor_)
    job = runner.submit(RunConfig.from_dict({"data": {"path": "d.csv"}, "train": {"device": "cpu"}}))
    return runner, job.id


def test_a_job_lands_from_the_whole_log_when_the_stream_missed_its_end(workspace: Path, tmp_path: Path) -> None:
    node = tmp_path / "node"
    (node / "adapter").mkdir(parents=True)
    (node / "adapter" / "adapter_model.safetensors").write_bytes(b"weights")
    log = written_log(tmp_path, lambda w: (w.line("Running entrypoint"), w.event(0, '{"type": "start", "step": 0}'),
                                           w.event(1, '{"type": "done", "metrics": {}}'),
                                           w.blob("result", pack(node, ["adapter"])), w.exit(0)))
    stub = StubJobs(status="SUCCEEDED", log=log)
    runner, job_id = ray_job(workspace, stub)
    job = runner.wait(job_id, timeout=30)
    assert job.status == "succeeded", job.reason
    assert (job.path / "adapter" / "adapter_model.safetensors").read_bytes() == b"weights"
    submitted = stub.submitted[0]
    assert submitted["entrypoint"] == "python -m finetune.jobs.executors.ray_entry"
    assert submitted["entrypoint_num_cpus"] == 1 and submitted["entrypoint_num_gpus"] is None  # train.device: cpu
    assert read_record(job.path).submission_id == submitted["submission_id"]


def test_lost_contact_fails_the_job_naming_the_ray_job(workspace: Path) -> None:
    stub = StubJobs(error=ConnectionError("Connection refused"))
    runner, job_id = ray_job(workspace, stub, lost_after_s=0.3)
    job = runner.wait(job_id, timeout=30)
    assert job.status == "failed" and job.reason.startswith("Lost contact with the Ray cluster at http://127.0.0.1:1")
    assert f"ray job stop {read_record(job.path).submission_id}" in job.reason


def test_a_job_the_cluster_does_not_know_fails(workspace: Path) -> None:
    stub = StubJobs(error=RuntimeError("Request failed with status code 404: Job tunewise-x does not exist."))
    runner, job_id = ray_job(workspace, stub)
    job = runner.wait(job_id, timeout=30)
    assert job.status == "failed" and "has no job" in job.reason


def test_a_cancel_stops_the_ray_job(workspace: Path) -> None:
    stub = StubJobs(status="RUNNING")
    runner, job_id = ray_job(workspace, stub)
    job = runner.cancel(job_id, wait=True)
    assert stub.stopped == [read_record(job.path).submission_id]
    assert job.status == "cancelled" and "by force" in job.reason  # no cancelled event came back from the stub
