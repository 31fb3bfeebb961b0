"""Multi-process training: accelerate configs, launch commands, rank helpers, and a real 2-process CPU run.

The end-to-end test launches ``python -m finetune.train`` under ``torchrun`` with two CPU processes (gloo)
on a tiny random BERT in 4-bit, and checks that the job folder looks exactly like a one-process job's:
one event stream, one adapter, one metrics file, while both ranks trained.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from finetune import distributed
from finetune.config import RunConfig
from finetune.distributed import FSDP_QLORA_SETTINGS, accelerate_config, describe_launch, launch_command
from finetune.errors import ConfigError
from finetune.events import EventWriter, read_events
from tests.tiny_models import tiny_bert

ROOT = Path(__file__).resolve().parents[1]


# -- accelerate config ------------------------------------------------------------------------------------
@pytest.mark.parametrize("gpus", [2, 4, 8])
def test_ddp_accelerate_config(gpus: int) -> None:
    cfg = yaml.safe_load(accelerate_config(gpus))
    assert cfg["distributed_type"] == "MULTI_GPU" and cfg["num_processes"] == gpus
    assert cfg["mixed_precision"] == "bf16" and cfg["num_machines"] == 1 and cfg["use_cpu"] is False
    assert "fsdp_config" not in cfg


def test_one_gpu_ddp_is_a_plain_run() -> None:
    cfg = yaml.safe_load(accelerate_config(1, mixed_precision="fp16"))
    assert cfg["distributed_type"] == "NO" and cfg["num_processes"] == 1 and cfg["mixed_precision"] == "fp16"


def test_fsdp_qlora_accelerate_config_has_the_documented_settings() -> None:
    cfg = yaml.safe_load(accelerate_config(2, strategy="fsdp-qlora"))
    assert cfg["distributed_type"] == "FSDP" and cfg["num_processes"] == 2
    fsdp = cfg["fsdp_config"]
    assert fsdp == FSDP_QLORA_SETTINGS
    assert fsdp["fsdp_cpu_ram_efficient_loading"] is True and fsdp["fsdp_use_orig_params"] is False
    assert fsdp["fsdp_auto_wrap_policy"] == "TRANSFORMER_BASED_WRAP"
    assert fsdp["fsdp_sharding_strategy"] == "FULL_SHARD" and fsdp["fsdp_offload_params"] is True
    assert fsdp["fsdp_state_dict_type"] == "SHARDED_STATE_DICT" and fsdp["fsdp_sync_module_states"] is True


@pytest.mark.parametrize("strategy", ["ddp", "fsdp-qlora"])
def test_accelerate_reads_the_config_as_written(strategy: str, tmp_path: Path) -> None:
    """accelerate's own loader and ``accelerate launch`` argument check accept the file, FSDP settings intact."""
    from accelerate.commands.config.config_args import load_config_from_file
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser
    from accelerate.utils.launch import prepare_multi_gpu_env

    path = tmp_path / "accelerate.yaml"
    path.write_text(accelerate_config(2, strategy="fsdp-qlora" if strategy == "fsdp-qlora" else "ddp"),
                    encoding="utf-8")
    loaded = load_config_from_file(str(path))
    assert loaded.num_processes == 2
    assert str(loaded.distributed_type).endswith("FSDP" if strategy == "fsdp-qlora" else "MULTI_GPU")
    args = launch_command_parser().parse_args(["--config_file", str(path), "-m", "finetune.train", "c.yaml"])
    args = _validate_launch_command(args)[0]
    env = prepare_multi_gpu_env(args)
    assert env["ACCELERATE_MIXED_PRECISION"] == "bf16"
    if strategy == "fsdp-qlora":
        assert env["ACCELERATE_USE_FSDP"] == "true" and env["FSDP_CPU_RAM_EFFICIENT_LOADING"] == "true"
        assert env["FSDP_USE_ORIG_PARAMS"] == "false" and env["FSDP_STATE_DICT_TYPE"] == "SHARDED_STATE_DICT"
    else:
        assert args.multi_gpu and "ACCELERATE_USE_FSDP" not in env


@pytest.mark.parametrize("kwargs", [{"num_gpus": 0}, {"num_gpus": -2}, {"num_gpus": 2, "strategy": "zero3"},
                                    {"num_gpus": 2, "mixed_precision": "fp8"}])
def test_bad_accelerate_config_arguments_are_refused(kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        accelerate_config(**kwargs)


# -- launch command ----------------------------------------------------------------------------------------
def test_launch_command_uses_torchrun_for_several_gpus() -> None:
    cmd = launch_command("jobs/a/config.yaml", 4)
    assert cmd == [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "4",
                   "-m", "finetune.train", "jobs/a/config.yaml"]
    assert describe_launch(cmd) == "torchrun --standalone --nproc_per_node 4 -m finetune.train jobs/a/config.yaml"


def test_launch_command_uses_accelerate_with_a_config_file() -> None:
    cmd = launch_command(Path("c.yaml"), 2, accelerate_config_path=Path("fsdp.yaml"), python="python3")
    assert cmd == ["python3", "-m", "accelerate.commands.launch", "--config_file", "fsdp.yaml",
                   "--num_processes", "2", "-m", "finetune.train", "c.yaml"]
    assert describe_launch(cmd).startswith("accelerate launch --config_file fsdp.yaml ")


def test_launch_command_for_one_gpu_is_the_plain_entry_point() -> None:
    assert launch_command("c.yaml", 1, python="py") == ["py", "-m", "finetune.train", "c.yaml"]
    with pytest.raises(ConfigError):
        launch_command("c.yaml", 0)


# -- rank helpers ------------------------------------------------------------------------------------------
def test_rank_helpers_read_the_launcher_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    assert distributed.world_size() == 1 and distributed.is_main_process() and not distributed.is_distributed()
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert distributed.world_size() == 4 and distributed.rank() == 3 and distributed.local_rank() == 1
    assert distributed.is_distributed() and not distributed.is_main_process()
    monkeypatch.setenv("RANK", "0")
    assert distributed.is_main_process()
    monkeypatch.setenv("WORLD_SIZE", "not a number")
    assert distributed.world_size() == 1


def test_an_fsdp_launch_is_refused_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.delenv("ACCELERATE_USE_FSDP", raising=False)
    distributed.prepare_process()  # one process, no FSDP: nothing to do
    monkeypatch.setenv("ACCELERATE_USE_FSDP", "true")
    with pytest.raises(ConfigError, match="bnb_4bit_quant_storage"):
        distributed.prepare_process()


def test_disabled_event_writer_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    event = EventWriter(path, enabled=False).emit("done", metrics={})
    assert event["type"] == "done" and not path.exists()


def test_only_rank_zero_writes_the_resolved_config(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from finetune.train import setup

    job = workspace / "jobs" / "r"
    job.mkdir(parents=True)
    source = workspace / "source.yaml"
    RunConfig.from_dict({"output": {"dir": str(job)}}).save(source)
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    _, _, events = setup(source)
    events.emit("phase", phase="loading")
    assert not (job / "config.yaml").exists() and not (job / "events.jsonl").exists()
    monkeypatch.setenv("RANK", "0")
    _, _, events = setup(source)
    events.emit("phase", phase="loading")
    assert (job / "config.yaml").is_file() and len(read_events(job / "events.jsonl")) == 1


# -- a real two-process run --------------------------------------------------------------------------------
def test_two_process_cpu_run_writes_one_job_folder(workspace: Path) -> None:
    model_dir = tiny_bert(workspace / "models" / "tiny-bert")
    rows = ["text,label"] + [f"my card charge was twice {i},billing" for i in range(20)] + \
           [f"where is my parcel it is late {i},delivery" for i in range(20)]
    (workspace / "tiny.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    job = workspace / "jobs" / "ddp"
    job.mkdir(parents=True)
    per_device = 4
    # 4-bit NF4 (the default), as a real run: bitsandbytes' CPU path works under DDP with gloo. Gradient
    # checkpointing as in the GPU presets: DDP's unused-parameter search would fail on its re-entrant backward.
    RunConfig.from_dict({"model": {"name": str(model_dir)}, "data": {"path": "tiny.csv"},
                         "train": {"epochs": 2, "batch_size": per_device, "logging_steps": 1, "device": "cpu",
                                   "gradient_checkpointing": True},
                         "lora": {"target_modules": ["query", "value"]},
                         "output": {"dir": str(job)}}).save(job / "config.yaml")
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    started = time.monotonic()
    out = subprocess.run(launch_command(job / "config.yaml", 2), cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=600)
    elapsed = time.monotonic() - started
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-5000:]

    events = read_events(job / "events.jsonl")
    kinds = [e["type"] for e in events]
    assert kinds.count("start") == 1 and kinds.count("done") == 1 and kinds[-1] == "done", kinds
    phases = [e["phase"] for e in events if e["type"] == "phase"]
    assert len(phases) == len(set(phases)) and "saving" in phases, phases
    assert len({e["pid"] for e in events if "pid" in e}) == 1, "one process wrote the events"
    steps = [e["step"] for e in events if e["type"] == "log"]
    assert steps == sorted(set(steps)) and steps[0] == 1, steps

    start = events[kinds.index("start")]
    assert start["world_size"] == 2 and start["per_device_batch_size"] == per_device
    # each optimizer step consumed one batch on each of the two ranks: half the steps of one process
    steps_per_epoch = math.ceil(start["train_examples"] / (per_device * 2))
    assert start["total_steps"] == 2 * steps_per_epoch == steps[-1]
    epoch_one = next(e for e in events if e["type"] == "log" and e["step"] == steps_per_epoch)
    assert epoch_one["epoch"] == pytest.approx(1.0)

    assert (job / "adapter" / "adapter_model.safetensors").is_file()
    assert not [p.name for p in job.iterdir() if p.name.startswith(".adapter-")], "no leftover temp adapter"
    metrics = json.loads((job / "metrics.json").read_text(encoding="utf-8"))
    assert 0.0 <= metrics["tuned"]["accuracy"] <= 1.0
    predictions = (job / "predictions.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(predictions) == metrics["eval_rows"]
    assert json.loads((job / "splits.json").read_text(encoding="utf-8"))
    assert elapsed < 300, f"two-process run took {elapsed:.0f} s"
