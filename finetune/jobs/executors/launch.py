"""Which launch a job gets, and why: one process, DDP over the GPUs, or FSDP-QLoRA over them.

The rule (:func:`choose_launch`): without a GPU, or with one, a job is one process. With several GPUs it is
``accelerate launch`` with one process per GPU: DDP when the model fits one GPU (each GPU trains a full copy
on its share of every batch), FSDP-QLoRA when it does not (the 4-bit base is sharded over the GPUs). The
plan shows the same :class:`Launch` the runner starts, with its reason; the job folder keeps it
(``executor.json``), so a resumed job launches the same way.

Nothing here imports torch at module level: the job runner lives in the app process.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from catalog.errors import ConfigError
from finetune.train.distributed import MixedPrecision, accelerate_config, launch_command

if TYPE_CHECKING:
    from catalog.hardware import Hardware
    from finetune.config.run import RunConfig

LaunchStrategy = Literal["single", "ddp", "fsdp-qlora"]
"""``single``: one process; ``ddp``: a model copy per GPU; ``fsdp-qlora``: the 4-bit base sharded over the GPUs."""

ACCELERATE_FILE = "accelerate.yaml"
"""The accelerate config a multi-process job is launched with, written into its job folder."""


@dataclass(frozen=True)
class Launch:
    """How a job's training processes are started.

    Attributes:
        processes: Training processes on the machine, one per GPU (1: a plain ``python -m finetune.train``).
        strategy: ``single``, ``ddp`` or ``fsdp-qlora``.
        device: ``cuda`` or ``cpu`` (several CPU processes only in tests: DDP over gloo).
        reason: Why, in one sentence for the plan.
        mixed_precision: accelerate's ``mixed_precision`` for a multi-process launch.
        nodes: Machines the processes are spread over (more than 1: Ray Train workers on a Ray cluster, DDP
            only; ``processes`` counts all of them).
    """

    processes: int = 1
    strategy: LaunchStrategy = "single"
    device: Literal["cpu", "cuda"] = "cpu"
    reason: str = ""
    mixed_precision: MixedPrecision = "no"
    nodes: int = 1

    def __post_init__(self) -> None:
        if self.processes < 1 or (self.strategy == "ddp" and self.processes < 2):
            raise ConfigError(f"A {self.strategy} launch needs {'2' if self.strategy == 'ddp' else '1'} or more "
                              f"processes, not {self.processes}.")
        if self.strategy == "single" and self.processes != 1:
            raise ConfigError("A single-process launch has exactly one process.")
        if self.nodes < 1 or self.processes % self.nodes:
            raise ConfigError(f"{self.processes} processes cannot be spread evenly over {self.nodes} nodes.")
        if self.nodes > 1 and self.strategy != "ddp":
            raise ConfigError(f"Over several nodes tunewise trains with DDP only, not {self.strategy}.")

    def describe(self) -> str:
        """The launch in a few words, e.g. ``DDP over 4 GPUs`` or ``DDP over 2 nodes x 8 GPUs``."""
        if self.strategy == "single":
            return "one process" + (" on one GPU" if self.device == "cuda" else " on the CPU")
        name = "DDP" if self.strategy == "ddp" else "FSDP-QLoRA"
        units = ("GPU", "GPUs") if self.device == "cuda" else ("CPU process", "CPU processes")
        per_node = self.processes // self.nodes
        if self.nodes > 1:
            return f"{name} over {self.nodes} nodes x {per_node} {units[per_node > 1]}"
        return f"{name} over {self.processes} {units[self.processes > 1]}"

    def to_dict(self) -> dict[str, Any]:
        """The launch as JSON-ready data (the job folder's ``executor.json`` keeps it)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Launch:
        """Read a launch back from :meth:`to_dict` data (unknown keys are ignored)."""
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def choose_launch(gpus: int, *, need_gb: float | None, gpu_budget_gb: float | None, bits: int,
                  mixed_precision: MixedPrecision = "bf16") -> Launch:
    """The launch rule: one process, DDP when the model fits one GPU, FSDP-QLoRA when it does not.

    Args:
        gpus: GPUs the job may use on its machine (0: CPU only).
        need_gb: Estimated peak training memory of one full model copy in GB (None: unknown, assumed to fit).
        gpu_budget_gb: What one GPU may hold for training, in GB (None: unknown).
        bits: The config's ``quantization.bits``.
        mixed_precision: accelerate's precision for an FSDP launch (the 4-bit codes are stored in it).

    Returns:
        The launch, with its reason.
    """
    if gpus <= 0:
        return Launch(reason="No GPU here: the job trains as one process on the CPU.")
    if gpus == 1:
        return Launch(device="cuda", reason="One GPU here: the job trains as one process on it.")
    fits_one = need_gb is None or gpu_budget_gb is None or need_gb <= gpu_budget_gb
    size = "" if need_gb is None or gpu_budget_gb is None else f" (about {need_gb:.1f} GB of {gpu_budget_gb:.0f} GB)"
    if fits_one:
        return Launch(processes=gpus, strategy="ddp", device="cuda", reason=(
            f"{gpus} GPUs and the model fits one{size}: each GPU trains a full copy on its share of every batch "
            f"(DDP), about {gpus}x the examples per second of one GPU."))
    if bits == 8:
        return Launch(processes=gpus, strategy="ddp", device="cuda", reason=(
            f"The model does not fit one GPU{size}, and 8-bit weights cannot be sharded (FSDP needs float "
            "tensors): each GPU holds a full copy (DDP), which may run out of memory. Use 4-bit to shard it."))
    share = need_gb / gpus if need_gb is not None else None
    return Launch(processes=gpus, strategy="fsdp-qlora", device="cuda", mixed_precision=mixed_precision, reason=(
        f"The model does not fit one GPU{size}: FSDP-QLoRA shards its 4-bit base over the {gpus} GPUs (about "
        f"{share:.1f} GB each) and parks the shards in CPU memory between uses."))


def choose_nodes_launch(nodes: int, gpus_per_node: int, *, need_gb: float | None,
                        gpu_budget_gb: float | None) -> Launch:
    """The launch over several nodes of a Ray cluster: DDP, one process per GPU (per node without GPUs).

    FSDP-QLoRA is kept to one machine: its checkpoints are sharded per rank, and without storage that every
    node shares, each node's shards would stay on its own disk, where no resume could gather them.

    Args:
        nodes: Nodes to train on, at least 2.
        gpus_per_node: GPUs each node gives the job (0: one CPU process per node).
        need_gb: Estimated peak training memory of one full model copy in GB (None: unknown, assumed to fit).
        gpu_budget_gb: What one GPU may hold for training, in GB (None: unknown).

    Raises:
        ConfigError: For fewer than 2 nodes, or a model that does not fit one GPU.
    """
    if nodes < 2:
        raise ConfigError(f"A launch over several nodes needs 2 or more, not {nodes}; one node is a normal launch.")
    if gpus_per_node > 0 and need_gb is not None and gpu_budget_gb is not None and need_gb > gpu_budget_gb:
        raise ConfigError(
            f"The model does not fit one GPU (about {need_gb:.1f} GB of {gpu_budget_gb:.0f} GB), and over several "
            "nodes tunewise trains with DDP only, a full copy per GPU: FSDP checkpoints are sharded per rank, and "
            "each node would keep its shards on its own disk, out of reach of a resume. Train on one node with "
            "several GPUs (--ray-nodes 1): the plan shards the model there with FSDP-QLoRA.")
    per_node = max(gpus_per_node, 1)
    device: Literal["cpu", "cuda"] = "cuda" if gpus_per_node > 0 else "cpu"
    unit = "GPU" if gpus_per_node > 0 else "CPU process"
    return Launch(processes=nodes * per_node, strategy="ddp", device=device, nodes=nodes, reason=(
        f"{nodes} nodes asked for, {per_node} {unit}{'s' if per_node > 1 else ''} each: Ray Train starts one "
        f"worker per {unit} and each trains a full copy on its share of every batch (DDP over gloo/NCCL); rank 0 "
        "sends the events, checkpoints and results back."))


def plan_nodes_launch(cfg: RunConfig, nodes: int, gpus_per_node: int, hardware: Hardware | None = None) -> Launch:
    """The launch of ``cfg`` over ``nodes`` nodes with ``gpus_per_node`` GPUs each (see :func:`choose_nodes_launch`).

    Whether the model fits one GPU is checked only when ``hardware`` describes the GPU nodes: the Ray job's
    entry point may run on a head node without GPUs, whose hardware says nothing about them.

    Raises:
        ConfigError: As :func:`choose_nodes_launch`.
    """
    gpus = 0 if cfg.train.device == "cpu" else gpus_per_node
    need = budget = None
    if gpus > 0 and hardware is not None:  # the GPU nodes' memory: this process may run on a CPU-only head
        from catalog import load_catalog
        from catalog.estimate import memory_budget_gb
        from catalog.plan_fit import estimate_for_entry
        from finetune.config.defaults import estimate_shape

        entry = load_catalog().get(cfg.model.name)
        if entry is not None:
            need, budget = estimate_for_entry(entry, hardware, estimate_shape(cfg)).total_gb, memory_budget_gb(hardware)
    return choose_nodes_launch(nodes, gpus, need_gb=need, gpu_budget_gb=budget)


def gpu_count() -> int:
    """CUDA GPUs visible to this process (``CUDA_VISIBLE_DEVICES`` respected); 0 without torch or CUDA."""
    try:
        import torch

        return int(torch.cuda.device_count()) if torch.cuda.is_available() else 0
    except Exception:  # a broken driver or torch: train on the CPU rather than fail the launch
        return 0


def plan_launch(cfg: RunConfig, hardware: Hardware | None = None, gpus: int | None = None) -> Launch:
    """The launch for ``cfg`` on this machine: its GPUs and whether the model fits one of them.

    The memory of a catalog model is estimated for the config's shape; a model outside the catalog is
    assumed to fit one GPU (DDP), as its size is not known without reading it.

    Args:
        cfg: The run config.
        hardware: The machine (detected when None).
        gpus: GPUs to use (all visible ones when None).
    """
    if cfg.train.device == "cpu":
        return choose_launch(0, need_gb=None, gpu_budget_gb=None, bits=cfg.quantization.bits)
    gpus = gpu_count() if gpus is None else gpus
    if gpus <= 1:
        return choose_launch(gpus, need_gb=None, gpu_budget_gb=None, bits=cfg.quantization.bits)
    from catalog import load_catalog
    from catalog.estimate import memory_budget_gb
    from catalog.hardware import detect_hardware
    from catalog.plan_fit import estimate_for_entry
    from finetune.config.defaults import estimate_shape

    hardware = hardware or detect_hardware()
    entry = load_catalog().get(cfg.model.name)
    need = estimate_for_entry(entry, hardware, estimate_shape(cfg)).total_gb if entry is not None else None
    return choose_launch(gpus, need_gb=need, gpu_budget_gb=memory_budget_gb(hardware), bits=cfg.quantization.bits,
                         mixed_precision=fsdp_precision(cfg))


def fsdp_precision(cfg: RunConfig) -> MixedPrecision:
    """FSDP's mixed precision, matched to the compute dtype the 4-bit codes are stored in."""
    chosen = cfg.quantization.compute_dtype
    if chosen == "auto":
        try:
            import torch

            return "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "no"
        except Exception:
            return "no"
    return {"bfloat16": "bf16", "float16": "fp16"}.get(chosen, "no")  # type: ignore[return-value]


def launch_argv(launch: Launch, config_path: Path, job_dir: Path, *, resume: bool = False,
                python: str | None = None) -> list[str]:
    """The command that trains a job as ``launch`` says; a multi-process launch gets its accelerate config.

    One process is ``python -m finetune.train CONFIG``; several are ``accelerate launch --config_file
    JOB/accelerate.yaml -m finetune.train CONFIG`` (written here), the same entry point in every process.

    Args:
        launch: The launch.
        config_path: The job's ``config.yaml``.
        job_dir: The job folder (where ``accelerate.yaml`` goes).
        resume: Continue from the last checkpoint.
        python: The interpreter (this one by default).

    Returns:
        The argv.
    """
    python = python or sys.executable
    tail = ["--resume"] if resume else []
    if launch.strategy == "single":
        return [*launch_command(config_path, 1, python=python), *tail]
    text = accelerate_config(launch.processes, strategy="ddp" if launch.strategy == "ddp" else "fsdp-qlora",
                             mixed_precision=launch.mixed_precision)
    path = job_dir / ACCELERATE_FILE
    path.write_text(text, encoding="utf-8")
    return [*launch_command(config_path, launch.processes, path, python=python), *tail]
