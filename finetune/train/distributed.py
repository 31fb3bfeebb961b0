"""Multi-process training: launch commands, accelerate configs and rank helpers.

``python -m finetune.train CONFIG`` is the same entry point for one process and for many. Under
``torchrun`` or ``accelerate launch`` every process runs it with ``RANK`` / ``LOCAL_RANK`` /
``WORLD_SIZE`` set; the transformers ``Trainer`` reads them and wraps the model in DDP (gloo on CPU,
NCCL on GPUs), or, when ``accelerate launch`` was given an FSDP config (:func:`accelerate_config` with
``fsdp-qlora``), in FSDP, with the 4-bit base sharded over the ranks. Only the main process (rank 0) writes
the job folder: events, splits, adapter, metrics and predictions. Under FSDP every rank joins the gather of
the adapter (:func:`gather_state_dict`) before rank 0 writes it; the others then exit.

The job runner launches through these helpers: :mod:`finetune.jobs.executors.launch` decides per job between
one process, DDP and FSDP-QLoRA (and why), and writes the job's ``accelerate.yaml`` with :func:`accelerate_config`.
This module imports nothing heavy at module level, so the launch helpers (:func:`accelerate_config`,
:func:`launch_command`, :func:`describe_launch`) work without torch.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from catalog.errors import ConfigError

if TYPE_CHECKING:
    from finetune.config.run import RunConfig

Strategy = Literal["ddp", "fsdp-qlora"]
"""How work is split over GPUs: data-parallel replicas (DDP), or a sharded 4-bit base (FSDP-QLoRA)."""
MixedPrecision = Literal["no", "fp16", "bf16"]
"""accelerate's ``mixed_precision`` values."""

STRATEGIES: tuple[str, ...] = ("ddp", "fsdp-qlora")
MIXED_PRECISIONS: tuple[str, ...] = ("no", "fp16", "bf16")

#: The FSDP settings that QLoRA needs, as documented by PEFT ("Use PEFT QLoRA and FSDP", fsdp_config_qlora.yaml)
#: and bitsandbytes ("FSDP-QLoRA"). Why each one:
FSDP_QLORA_SETTINGS: dict[str, Any] = {
    # wrap each decoder block (PEFT's Trainer integration wraps trainable LoRA layers apart from frozen ones)
    "fsdp_auto_wrap_policy": "TRANSFORMER_BASED_WRAP",
    "fsdp_backward_prefetch": "BACKWARD_PRE",
    # only rank 0 reads the checkpoint into CPU memory; the others get the weights by broadcast
    "fsdp_cpu_ram_efficient_loading": True,
    "fsdp_forward_prefetch": False,
    # park the sharded parameters in CPU memory between uses: what lets 70B train on 2 x 24 GB
    "fsdp_offload_params": True,
    # shard parameters, gradients and optimizer state (ZeRO-3-like)
    "fsdp_sharding_strategy": "FULL_SHARD",
    # each rank saves its own shard of a checkpoint: no gather of the full model at every save
    "fsdp_state_dict_type": "SHARDED_STATE_DICT",
    # needed with cpu_ram_efficient_loading: broadcast rank 0's weights to the other ranks
    "fsdp_sync_module_states": True,
    # False is what realises the memory saving with PEFT (frozen and trainable weights in separate flat params)
    "fsdp_use_orig_params": False,
}


#: Why an FSDP launch needs GPUs with the libraries pinned here (accelerate 1.15, torch 2.13). Measured on a
#: 2-process CPU run: torch FSDP itself shards and trains the 4-bit model on CPU over gloo (see
#: tests/test_distributed.py), but accelerate, which the Trainer drives FSDP through, does not.
FSDP_NEEDS_GPUS = (
    "FSDP needs GPUs: accelerate only turns an FSDP config into FSDP on accelerator devices. On CPU its state "
    "stays MULTI_CPU, so the Trainer would silently wrap the model in DDP instead, and the FSDP plugin's "
    "sync_module_states fails with 'There are currently no available devices found, must be one of 'XPU', "
    "'CUDA', 'MLU', 'NPU', 'MUSA', or 'HPU''. On CPU, launch with DDP (torchrun, or an accelerate config with "
    "strategy ddp): QLoRA keeps one replica per process small."
)


def check_fsdp_engaged(trainer: Any) -> None:
    """Fail when FSDP was requested but the Trainer did not set it up (it would train plain DDP instead).

    Raises:
        ConfigError: When ``accelerate launch`` was given an FSDP config and the trainer is not using FSDP.
    """
    if fsdp_requested() and not getattr(trainer, "is_fsdp_enabled", False):
        raise ConfigError(FSDP_NEEDS_GPUS)


# -- rank helpers --------------------------------------------------------------------------------------
def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def world_size() -> int:
    """Number of training processes (``WORLD_SIZE``; 1 when not launched by torchrun / accelerate)."""
    return max(_env_int("WORLD_SIZE", 1), 1)


def rank() -> int:
    """Global rank of this process (``RANK``; 0 when not distributed)."""
    return _env_int("RANK", 0)


def local_rank() -> int:
    """Rank of this process on its machine (``LOCAL_RANK``): the GPU index it should use."""
    return _env_int("LOCAL_RANK", 0)


def is_distributed() -> bool:
    """True when this process is one of several launched together."""
    return world_size() > 1


def is_main_process() -> bool:
    """True for the process that writes the job folder: rank 0, or the only process."""
    return rank() == 0


def split_batch(batch_size: int, accumulation: int, processes: int) -> tuple[int, int]:
    """Per-process batch and accumulation that keep the plan's batch per optimizer step over ``processes``.

    The plan's ``batch_size x gradient_accumulation`` is what one optimizer step sees, however many processes
    share it: over 2 processes a batch of 16 is 8 on each, so the job takes the same steps as on one process (and
    reaches the same result), only faster. When the batch does not divide evenly, the accumulation is split
    instead; when neither does, each process keeps the whole batch and a step sees ``processes`` times it.

    Args:
        batch_size: The config's ``train.batch_size``.
        accumulation: The config's ``train.gradient_accumulation``.
        processes: Training processes (``WORLD_SIZE``).

    Returns:
        ``(per_process_batch, accumulation)``.
    """
    if processes <= 1:
        return batch_size, accumulation
    if batch_size % processes == 0:
        return batch_size // processes, accumulation
    if accumulation % processes == 0:
        return batch_size, accumulation // processes
    return batch_size, accumulation


def fsdp_requested() -> bool:
    """True when ``accelerate launch`` was given an FSDP config (it exports ``ACCELERATE_USE_FSDP``)."""
    return os.environ.get("ACCELERATE_USE_FSDP", "").lower() in ("1", "true", "yes")


def prepare_process(cfg: RunConfig | None = None) -> None:
    """Per-process setup before the model is loaded, in a multi-process run.

    Makes ``cuda`` mean this process's own GPU (``cuda:LOCAL_RANK``). transformers already maps a 4/8-bit
    load's ``device_map="cuda"`` to it, but a 16/32-bit model is moved with ``.to("cuda")``, and an FSDP
    load has no ``device_map`` at all: without this every rank's copy would land on ``cuda:0``. Under FSDP,
    refuses the one setting that cannot be sharded (see :func:`check_fsdp`). Does nothing else in a
    single-process run.

    Args:
        cfg: The run config, checked against FSDP's limits when FSDP was requested.

    Raises:
        ConfigError: When launched with an FSDP accelerate config without a GPU, or with 8-bit quantization.
    """
    import torch

    if fsdp_requested():
        if not torch.cuda.is_available():
            raise ConfigError(FSDP_NEEDS_GPUS)
        if cfg is not None:
            check_fsdp(cfg)
    if not is_distributed():
        return
    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank() % torch.cuda.device_count())


def check_fsdp(cfg: RunConfig) -> None:
    """Refuse a run config that FSDP cannot shard.

    FSDP flattens each wrapped block's parameters into one floating-point tensor. bitsandbytes can store
    4-bit codes in a float tensor (``bnb_4bit_quant_storage``), which is what FSDP-QLoRA builds on, but its
    8-bit weights (``Int8Params``) are always ``int8``.

    Raises:
        ConfigError: For ``quantization.bits: 8``.
    """
    if cfg.quantization.bits == 8:
        raise ConfigError(
            "quantization.bits: 8 cannot be sharded with FSDP: bitsandbytes keeps 8-bit weights as int8 tensors, "
            "and FSDP only shards floating-point tensors (4-bit weights can be stored as floats, 8-bit ones cannot). "
            "Use bits: 4 (FSDP-QLoRA), or launch with DDP."
        )


def gather_state_dict(trainer: Any) -> dict[str, Any] | None:
    """Under FSDP, the model's full (unsharded) state dict, gathered for the final adapter save.

    Every rank must call it: FSDP gathers each shard with a collective. Only rank 0 receives the tensors
    (offloaded to CPU memory); the others get an empty dict. Checkpoints during training stay sharded
    (``fsdp_state_dict_type: SHARDED_STATE_DICT``); only this last save is gathered, as the PEFT FSDP guide
    does. Returns None when the trainer is not using FSDP: the model is whole on every rank already.

    Args:
        trainer: A transformers ``Trainer`` that has trained.
    """
    if not getattr(trainer, "is_fsdp_enabled", False):
        return None
    return trainer.accelerator.get_state_dict(trainer.model)


def release_model(trainer: Any) -> None:
    """Drop the trainer's (sharded) model and wait for every rank to do the same.

    After an FSDP run rank 0 rebuilds the trained model on a fresh base to save and evaluate it; the
    training copy's shards, gradients and optimizer state are freed first on every rank, so that the GPUs
    hold only that copy. Call it after :func:`gather_state_dict`, on every rank.
    """
    import gc

    import torch

    trainer.model = trainer.model_wrapped = trainer.optimizer = trainer.lr_scheduler = None
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()


# -- launch ------------------------------------------------------------------------------------------------
def accelerate_config(num_gpus: int, *, strategy: Strategy = "ddp", mixed_precision: MixedPrecision = "bf16") -> str:
    """An ``accelerate launch --config_file`` YAML for one machine with ``num_gpus`` GPUs.

    ``ddp`` replicates the (4-bit) model on every GPU and averages gradients: the choice whenever the model
    fits one GPU, which QLoRA makes true up to ~30B parameters on 80 GB. ``fsdp-qlora`` shards the 4-bit
    base over the GPUs (and offloads it to CPU memory) for models that do not fit one GPU even in 4-bit,
    following the documented PEFT/bitsandbytes settings (:data:`FSDP_QLORA_SETTINGS`).

    FSDP can only shard floating-point tensors of one dtype, while bitsandbytes stores 4-bit weights as
    ``uint8`` by default. Under an FSDP launch ``finetune.train.model`` therefore sets
    ``BitsAndBytesConfig(bnb_4bit_quant_storage=...)`` to the compute dtype (``bfloat16`` on Ampere and
    newer: keep ``mixed_precision="bf16"``), loads the model in that dtype without a ``device_map`` and
    skips ``prepare_model_for_kbit_training`` (its float32 upcast would mix dtypes); the Trainer then wraps
    LoRA layers apart from the frozen blocks and matches FSDP's mixed precision to the storage dtype. At the
    end every rank joins the gather of the adapter (:func:`gather_state_dict`); rank 0 rebuilds the trained
    model on a fresh base (``finetune.train.model.load_trained_adapter``), saves and evaluates it. It needs GPUs: see :data:`FSDP_NEEDS_GPUS`.

    Args:
        num_gpus: GPUs (= processes) on this machine, at least 1.
        strategy: ``ddp`` or ``fsdp-qlora``.
        mixed_precision: ``bf16`` (Ampere and newer), ``fp16`` or ``no``.

    Returns:
        The YAML text; write it to a file and pass it as ``--config_file``.

    Raises:
        ConfigError: For fewer than one GPU, an unknown strategy or an unknown precision.
    """
    _check_gpus(num_gpus)
    if strategy not in STRATEGIES:
        raise ConfigError(f"strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}.")
    if mixed_precision not in MIXED_PRECISIONS:
        raise ConfigError(f"mixed_precision must be one of {', '.join(MIXED_PRECISIONS)}, not {mixed_precision!r}.")
    config: dict[str, Any] = {"compute_environment": "LOCAL_MACHINE", "debug": False}
    if strategy == "fsdp-qlora":
        # FSDP even on one GPU: its CPU offload of the sharded base is what makes the model fit
        config.update(distributed_type="FSDP", downcast_bf16="no", fsdp_config=dict(FSDP_QLORA_SETTINGS))
    else:
        config.update(distributed_type="MULTI_GPU" if num_gpus > 1 else "NO", downcast_bf16="no", gpu_ids="all")
    config.update({
        "machine_rank": 0,
        "main_training_function": "main",
        "mixed_precision": mixed_precision,
        "num_machines": 1,
        "num_processes": num_gpus,
        "rdzv_backend": "static",
        "same_network": True,
        "tpu_env": [],
        "tpu_use_cluster": False,
        "tpu_use_sudo": False,
        "use_cpu": False,
    })
    header = (f"# accelerate config for {num_gpus} GPU(s), strategy {strategy} (written by tunewise)\n"
              f"# accelerate launch --config_file THIS_FILE -m finetune.train CONFIG.yaml\n")
    return header + yaml.safe_dump(config, sort_keys=False)


def launch_command(config_path: str | Path, num_gpus: int, accelerate_config_path: str | Path | None = None,
                   *, python: str | None = None) -> list[str]:
    """The argv that trains ``config_path`` on ``num_gpus`` processes of this machine.

    Without an accelerate config: ``python -m torch.distributed.run --standalone --nproc_per_node N
    -m finetune.train CONFIG`` (the module form of ``torchrun``, so it uses the same interpreter as the
    caller). With one: ``python -m accelerate.commands.launch --config_file F -m finetune.train CONFIG``
    (``accelerate launch``). One GPU without an accelerate config is a plain ``python -m finetune.train``.

    Args:
        config_path: The run config (a job folder's ``config.yaml``).
        num_gpus: Processes to start, one per GPU.
        accelerate_config_path: A file written from :func:`accelerate_config`, for FSDP or mixed precision.
        python: Interpreter to run; the current one by default.

    Returns:
        The command as a list (``shlex.join`` it to show a user).

    Raises:
        ConfigError: When ``num_gpus`` is below 1.
    """
    _check_gpus(num_gpus)
    python = python or sys.executable
    train = ["-m", "finetune.train", str(config_path)]
    if accelerate_config_path is not None:
        return [python, "-m", "accelerate.commands.launch", "--config_file", str(accelerate_config_path),
                "--num_processes", str(num_gpus), *train]
    if num_gpus == 1:
        return [python, *train]
    return [python, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(num_gpus), *train]


def describe_launch(command: list[str]) -> str:
    """A launch command as a user would type it (``torchrun`` / ``accelerate launch`` / ``python``)."""
    words = list(command)
    if len(words) >= 3 and words[1:3] == ["-m", "torch.distributed.run"]:
        words = ["torchrun", *words[3:]]
    elif len(words) >= 3 and words[1:3] == ["-m", "accelerate.commands.launch"]:
        words = ["accelerate", "launch", *words[3:]]
    elif words:
        words[0] = "python"
    return shlex.join(words)


def _check_gpus(num_gpus: int) -> None:
    if not isinstance(num_gpus, int) or isinstance(num_gpus, bool) or num_gpus < 1:
        raise ConfigError(f"num_gpus must be a whole number of at least 1, not {num_gpus!r}.")
