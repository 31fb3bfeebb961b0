"""What a job sends to a Ray cluster: its working directory and runtime environment.

The working directory is a fresh folder holding ``config.yaml`` with its data and model paths rewritten to
copies inside that folder (a path inside the workspace keeps its relative name; one outside it goes under
``data/`` or ``models/``), the data, the model folder when the model is a local folder, and for a resume the
event log and the newest complete checkpoint. The runtime environment adds the ``catalog`` and ``finetune``
packages of this install (``py_modules``), so the cluster runs the same code as the app; the cluster's nodes
bring the libraries (torch, transformers, peft, bitsandbytes, accelerate). Ray caps a working directory at its
gRPC message size (512 MiB): a bigger model folder must be on the nodes or on the Hub instead.
"""

from __future__ import annotations

import importlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from catalog.errors import JobError, PathError
from finetune.config.run import RunConfig
from finetune.jobs.executors.ray_run import INPUTS_FILE
from finetune.jobs.folder import checkpoints, repair_event_log
from finetune.jobs.store import Job
from finetune.workspace import job_input, workspace_root

MAX_STAGED_MB = 400
"""Largest working directory sent (raw size, before Ray zips it): under Ray's 512 MiB upload cap."""
CODE_PACKAGES = ("catalog", "finetune")
"""The packages sent along as ``py_modules`` (the entry point and everything it imports from this project)."""


def stage(job: Job, *, resume: bool) -> Path:
    """Build the Ray working directory of ``job`` in a new temporary folder (the caller removes it).

    Args:
        job: The job; its folder holds ``config.yaml`` (and, for a resume, events and checkpoints).
        resume: Send the event log and the newest complete checkpoint, to continue from it.

    Returns:
        The folder.

    Raises:
        JobError: When the data is missing or the folder would exceed :data:`MAX_STAGED_MB`.
    """
    cfg = RunConfig.from_yaml(job.path / "config.yaml")
    folder = Path(tempfile.mkdtemp(prefix=f"tunewise-ray-{job.id}-"))
    try:
        inputs = _stage_inputs(cfg, folder)
        remote = cfg.model_copy(deep=True)
        remote.output.dir = None  # the job's folder on the node is the copy of this folder
        remote.data.path, model = inputs["data"], inputs.get("model")
        if model is not None:
            remote.model.name = model
        remote.save(folder / "config.yaml")
        (folder / INPUTS_FILE).write_text(json.dumps(sorted({Path(p).parts[0] for p in inputs.values()})),
                                          encoding="utf-8")
        events = job.path / "events.jsonl"
        if events.exists():  # a resumed job's node appends to it, and forwards only the new lines
            repair_event_log(events)
            shutil.copy2(events, folder / "events.jsonl")
        if resume:
            done = [path for _, path, complete in checkpoints(job.path) if complete]
            if done:
                shutil.copytree(done[-1], folder / "checkpoints" / done[-1].name)
        _check_size(folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def runtime_env(folder: Path, *, stop_wait_s: float) -> dict[str, Any]:
    """The Ray runtime environment: the working directory, this project's code, and the stop grace period.

    Args:
        folder: The staged working directory.
        stop_wait_s: Seconds Ray waits after its SIGTERM before SIGKILL (the job's cancel grace period, and
            time to send the last checkpoint back).
    """
    modules = [str(Path(str(importlib.import_module(name).__file__)).resolve().parent) for name in CODE_PACKAGES]
    return {"working_dir": str(folder), "py_modules": modules, "excludes": ["__pycache__", "*.pyc"],
            "env_vars": {"RAY_JOB_STOP_WAIT_TIME_S": str(int(stop_wait_s)), "PYTHONUNBUFFERED": "1",
                         "TOKENIZERS_PARALLELISM": "false"}}


def _stage_inputs(cfg: RunConfig, folder: Path) -> dict[str, str]:
    """Copy the data (and a local model folder) into ``folder``; return their paths relative to it."""
    try:
        data = job_input(cfg.data.path)
    except PathError as exc:
        raise JobError(f"The job's data is missing here, so it cannot be sent to the cluster: {exc}") from exc
    staged = {"data": _copy_in(data, folder, "data")}
    model = _model_folder(cfg.model.name)
    if model is not None:
        staged["model"] = _copy_in(model, folder, "models")
    return staged


def _model_folder(name: str) -> Path | None:
    """The local model folder ``name`` names, or None for a catalog or Hub model (the nodes load those)."""
    from catalog import load_catalog
    from finetune.train.model import workspace_model_folder

    if load_catalog().get(name) is not None:
        return None
    path = Path(name).expanduser()
    if path.is_absolute() or name.startswith("."):
        path = path if path.is_absolute() else workspace_root() / path
        return path.resolve() if (path / "config.json").is_file() else None  # else: a path on the nodes
    return workspace_model_folder(name)


def _copy_in(source: Path, folder: Path, outside: str) -> str:
    """Copy ``source`` into ``folder`` at its workspace-relative path (else under ``outside/``)."""
    root = workspace_root()
    relative = source.relative_to(root) if source.is_relative_to(root) else Path(outside) / source.name
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    else:
        shutil.copy2(source, target)
    return str(relative)


def _check_size(folder: Path) -> None:
    sizes: dict[str, int] = {}
    for path in folder.rglob("*"):
        if path.is_file():
            top = path.relative_to(folder).parts[0]
            sizes[top] = sizes.get(top, 0) + path.stat().st_size
    total = sum(sizes.values()) / 2**20
    if total > MAX_STAGED_MB:
        biggest = ", ".join(f"{name} {size / 2**20:.0f} MB" for name, size in
                            sorted(sizes.items(), key=lambda kv: -kv[1])[:3])
        raise JobError(f"The job would send {total:.0f} MB to the Ray cluster ({biggest}); Ray takes at most "
                       f"{MAX_STAGED_MB} MB. Put the model on the Hub or on the nodes and name it there "
                       "(model.name), or use a smaller data file.")
