"""Multi-process training: accelerate configs, launch commands, rank helpers, and a real 2-process CPU run.

The end-to-end test launches ``python -m finetune.train`` under ``torchrun`` with two CPU processes (gloo)
on a tiny random BERT in 4-bit, and checks that the job folder looks exactly like a one-process job's:
one event stream, one adapter, one metrics file, while both ranks trained. The FSDP-QLoRA tests check that
an FSDP launch without GPUs is refused rather than run as DDP, and train the 4-bit tiny Llama sharded over
two CPU processes with torch FSDP (gloo), gathering and saving the adapter as the GPU path does.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from catalog.errors import ConfigError
from finetune.config.run import RunConfig
from finetune.train import distributed
from finetune.train.distributed import FSDP_QLORA_SETTINGS, accelerate_config, describe_launch, launch_command
from finetune.train.events import EventWriter, read_events
from tests.helpers.tiny_models import tiny_bert, tiny_llama

ROOT = Path(__file__).resolve().parents[2]


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
@pytest.mark.parametrize(("batch", "accumulation", "processes", "expected"), [
    (16, 1, 1, (16, 1)), (16, 1, 2, (8, 1)), (16, 2, 4, (4, 2)), (6, 4, 4, (6, 1)), (5, 1, 2, (5, 1))])
def test_the_plans_batch_is_split_over_the_processes(batch: int, accumulation: int, processes: int,
                                                     expected: tuple[int, int]) -> None:
    assert distributed.split_batch(batch, accumulation, processes) == expected


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


def test_an_fsdp_launch_without_gpus_is_refused_with_the_library_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.delenv("ACCELERATE_USE_FSDP", raising=False)
    distributed.prepare_process(RunConfig())  # one process, no FSDP: nothing to do
    monkeypatch.setenv("ACCELERATE_USE_FSDP", "true")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="accelerate only turns an FSDP config into FSDP on accelerator devices"):
        distributed.prepare_process(RunConfig())


def test_fsdp_refuses_only_8_bit_on_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.setenv("ACCELERATE_USE_FSDP", "true")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    for bits in (4, 16, 32):
        distributed.prepare_process(RunConfig.from_dict({"quantization": {"bits": bits}}))
    with pytest.raises(ConfigError, match="int8"):
        distributed.prepare_process(RunConfig.from_dict({"quantization": {"bits": 8}}))


@pytest.mark.parametrize(("compute", "expected"), [("auto", "float32"), ("bfloat16", "bfloat16")])
def test_sharded_4_bit_weights_are_stored_in_the_compute_dtype(compute: str, expected: str) -> None:
    """FSDP flattens a block's tensors into one float tensor: the 4-bit codes must live in the compute dtype."""
    import torch

    from finetune.train.model import quantization_config

    cfg = RunConfig.from_dict({"quantization": {"bits": 4, "compute_dtype": compute}})
    sharded = quantization_config(cfg, "cpu", sharded=True)
    assert sharded.bnb_4bit_quant_storage == getattr(torch, expected) == sharded.bnb_4bit_compute_dtype
    assert quantization_config(cfg, "cpu").bnb_4bit_quant_storage == torch.uint8  # DDP / one process: unchanged


def test_check_fsdp_engaged_catches_a_silent_ddp_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    class Trainer:
        is_fsdp_enabled = False

    monkeypatch.delenv("ACCELERATE_USE_FSDP", raising=False)
    distributed.check_fsdp_engaged(Trainer())
    monkeypatch.setenv("ACCELERATE_USE_FSDP", "true")
    with pytest.raises(ConfigError, match="silently wrap the model in DDP"):
        distributed.check_fsdp_engaged(Trainer())
    Trainer.is_fsdp_enabled = True
    distributed.check_fsdp_engaged(Trainer())


def test_disabled_event_writer_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    event = EventWriter(path, enabled=False).emit("done", metrics={})
    assert event["type"] == "done" and not path.exists()


def test_only_rank_zero_writes_the_resolved_config(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from finetune.train.main import setup

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
    batch = 4
    # 4-bit NF4 (the default), as a real run: bitsandbytes' CPU path works under DDP with gloo. Gradient
    # checkpointing as in the GPU presets: DDP's unused-parameter search would fail on its re-entrant backward.
    RunConfig.from_dict({"model": {"name": str(model_dir)}, "data": {"path": "tiny.csv"},
                         "train": {"epochs": 2, "batch_size": batch, "logging_steps": 1, "device": "cpu",
                                   "gradient_checkpointing": True},
                         "lora": {"target_modules": ["query", "value"]},
                         "output": {"dir": str(job)}}).save(job / "config.yaml")
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    out = subprocess.run(launch_command(job / "config.yaml", 2), cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=600)
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
    assert start["world_size"] == 2 and start["per_device_batch_size"] == batch // 2
    # the plan's batch of 4 per optimizer step, split over the two ranks: the steps of one process
    steps_per_epoch = math.ceil(start["train_examples"] / batch)
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


# -- FSDP-QLoRA: two CPU processes ---------------------------------------------------------------------------
def _two_process_env(workspace: Path) -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "TUNEWISE_HOME": str(workspace),
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}


def test_fsdp_launch_of_the_entry_point_on_cpu_is_refused_not_run_as_ddp(workspace: Path) -> None:
    """``accelerate launch`` with the FSDP-QLoRA config on a machine without GPUs: both ranks stop with the reason.

    accelerate 1.15 keeps a CPU run MULTI_CPU whatever the config says, so without the refusal the Trainer
    would train plain DDP while the user asked for FSDP.
    """
    model_dir = tiny_llama(workspace / "models" / "tiny-chat")
    shutil.copy(ROOT / "examples" / "chat_house_style.jsonl", workspace / "chat.jsonl")
    job = workspace / "jobs" / "fsdp"
    job.mkdir(parents=True)
    RunConfig.from_dict({"task": "chat", "model": {"name": str(model_dir)}, "data": {"path": "chat.jsonl"},
                         "lora": {"target_modules": ["q_proj", "v_proj"]}, "train": {"max_steps": 2, "device": "cpu"},
                         "output": {"dir": str(job)}}).save(job / "config.yaml")
    (workspace / "fsdp.yaml").write_text(accelerate_config(2, strategy="fsdp-qlora", mixed_precision="no"),
                                         encoding="utf-8")
    out = subprocess.run(launch_command(job / "config.yaml", 2, workspace / "fsdp.yaml"), cwd=ROOT,
                         env=_two_process_env(workspace), capture_output=True, text=True, timeout=300)
    assert out.returncode != 0
    assert out.stderr.count("error: FSDP needs GPUs") == 2, out.stderr[-3000:]  # both ranks refused
    events = read_events(job / "events.jsonl")
    assert [e["type"] for e in events] == ["phase", "error"] and "accelerate only turns" in events[-1]["reason"]
    assert not (job / "adapter").exists() and not (job / "checkpoints").exists()


def test_two_process_cpu_fsdp_qlora_trains_a_sharded_4_bit_model(workspace: Path) -> None:
    """torch FSDP (gloo) shards and trains the tiny Llama as ``finetune.train.model`` loads it for FSDP-QLoRA.

    The same pieces the GPU run uses: the 4-bit base with its codes stored in the compute dtype, no
    ``prepare_model_for_kbit_training``, PEFT's FSDP wrap policy (what the Trainer installs for a PEFT
    model), ``FULL_SHARD`` with ``use_orig_params=False`` from :data:`FSDP_QLORA_SETTINGS`, and a full
    state dict gathered from both ranks, rebuilt on a fresh base and saved atomically by rank 0, as
    ``finetune.train.main.save_and_reload`` does. Only accelerate's part is missing on CPU (see the test above);
    the worker is ``_fsdp_worker`` below.
    """
    model_dir = tiny_llama(workspace / "models" / "tiny-chat")
    out_dir = workspace / "fsdp-run"
    out_dir.mkdir()
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           str(Path(__file__).resolve()), str(model_dir), str(out_dir)]
    out = subprocess.run(cmd, cwd=ROOT, env=_two_process_env(workspace), capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-5000:]

    ranks = [json.loads((out_dir / f"rank{r}.json").read_text(encoding="utf-8")) for r in (0, 1)]
    assert [r["rank"] for r in ranks] == [0, 1] and ranks[0]["pid"] != ranks[1]["pid"]
    for r in ranks:
        assert r["world_size"] == 2 and r["weight_class"] == "Params4bit"
        assert r["quant_storage"] == "torch.float32" and r["param_dtypes"] == ["torch.float32"]
        # each rank holds about half of every flat parameter: the model is sharded, not replicated
        assert r["local_numel"] < r["model_numel"] <= r["local_numel"] * 2 + 64
        assert all(math.isfinite(x) for x in r["local_losses"] + r["mean_losses"])
    assert ranks[0]["local_losses"][0] != ranks[1]["local_losses"][0], "each rank trained on its own batch"
    assert ranks[0]["mean_losses"] == ranks[1]["mean_losses"]
    losses = ranks[0]["mean_losses"]
    assert losses[-1] < losses[0] - 0.01, losses

    from finetune.train.model import load_for_inference

    assert (out_dir / "adapter" / "adapter_model.safetensors").is_file()
    cfg = RunConfig.from_dict({"task": "chat", "model": {"name": str(model_dir)}, "train": {"device": "cpu"}})
    model, _ = load_for_inference(out_dir, cfg)
    lora_b = {n: p for n, p in model.named_parameters() if "lora_B" in n}
    assert len(lora_b) == ranks[0]["lora_tensors"] // 2 == 4  # q_proj and v_proj in both layers
    assert all(p.abs().sum() > 0 for p in lora_b.values()), "LoRA B starts at zero: the trained values were saved"


def _fsdp_worker(model_dir: str, out_dir: str, steps: int = 8) -> None:
    """One rank of the FSDP-QLoRA test (run by ``torch.distributed.run``): load, shard, train, gather, save."""
    import torch
    import torch.distributed as dist
    from peft.utils.other import fsdp_auto_wrap_policy
    from torch.distributed.fsdp import FullStateDictConfig, ShardingStrategy, StateDictType
    from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
    from transformers import set_seed

    from finetune.train.model import load_for_training
    from tests.helpers.tiny_models import CHAT_CORPUS

    os.environ["ACCELERATE_USE_FSDP"] = "true"  # what accelerate launch exports: finetune.train.model loads for FSDP
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    cfg = RunConfig.from_dict({"task": "chat", "model": {"name": model_dir},
                               "lora": {"target_modules": ["q_proj", "v_proj"], "r": 8},
                               "train": {"device": "cpu", "seed": 0}})
    set_seed(0)  # identical LoRA init on every rank: torch FSDP's sync_module_states works only on GPUs
    model, tokenizer = load_for_training(cfg)
    weight = model.base_model.model.model.layers[0].self_attn.k_proj.weight
    model_numel = sum(p.numel() for p in model.parameters())
    fsdp = FSDP(model, auto_wrap_policy=fsdp_auto_wrap_policy(model), device_id=torch.device("cpu"),
                sharding_strategy=ShardingStrategy[FSDP_QLORA_SETTINGS["fsdp_sharding_strategy"]],
                use_orig_params=FSDP_QLORA_SETTINGS["fsdp_use_orig_params"], sync_module_states=False)
    optimizer = torch.optim.AdamW([p for p in fsdp.parameters() if p.requires_grad], lr=1e-2)
    batch = tokenizer(CHAT_CORPUS[rank::world], return_tensors="pt", padding=True)
    labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
    local_losses, mean_losses = [], []
    for _ in range(steps):
        loss = fsdp(**batch, labels=labels).loss
        loss.backward()  # FSDP reduce-scatters the LoRA gradients over both ranks
        optimizer.step()
        optimizer.zero_grad()
        mean = loss.detach().clone()
        dist.all_reduce(mean)
        local_losses.append(loss.item())
        mean_losses.append(mean.item() / world)
    # offload_to_cpu=True (what accelerate's get_state_dict passes on GPUs) fails for CPU-resident FSDP in torch
    # 2.13: "setStorage: ... out of bounds for storage of size 0"
    with FSDP.state_dict_type(fsdp, StateDictType.FULL_STATE_DICT,
                              FullStateDictConfig(offload_to_cpu=False, rank0_only=True)):
        state_dict = fsdp.state_dict()
    if rank == 0:  # as finetune.train.main.save_and_reload does after an FSDP run
        from finetune.train.main import save_adapter
        from finetune.train.model import load_trained_adapter

        rebuilt, _ = load_trained_adapter(cfg, None, state_dict)
        save_adapter(rebuilt, tokenizer, Path(out_dir), None)
    result = {"rank": rank, "world_size": world, "pid": os.getpid(), "weight_class": type(weight).__name__,
              "quant_storage": str(weight.dtype), "param_dtypes": sorted({str(p.dtype) for p in model.parameters()}),
              "model_numel": model_numel, "local_numel": sum(p.numel() for p in fsdp.parameters()),
              "lora_tensors": sum("lora_" in k for k in state_dict), "local_losses": local_losses,
              "mean_losses": mean_losses}
    (Path(out_dir) / f"rank{rank}.json").write_text(json.dumps(result), encoding="utf-8")
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    _fsdp_worker(sys.argv[1], sys.argv[2])
