"""``python -m finetune.jobs.executors.ray_entry [--resume]``: a tunewise job on a Ray node.

The Ray job's working directory holds what :mod:`finetune.jobs.executors.ray_stage` sent: ``config.yaml`` (its
data and model paths relative to that folder), the data, a small model folder when the model is one, and for a
resume the event log and the last checkpoint. Ray may share one unpacked working directory between jobs with the
same content, so the job runs in a private copy of it. There it chooses its launch as on any machine (one
process, or ``accelerate launch`` with one process per GPU Ray gave it: DDP, or FSDP-QLoRA when the model does not
fit one GPU), runs the same ``python -m finetune.train CONFIG``, and prints everything the job folder needs into
its log (:mod:`finetune.jobs.executors.ray_stream`): the training output, each event as it is written, each
finished checkpoint, and at the end the results.

A stop through the Ray Jobs API sends SIGTERM to every process of the job: the training finishes its step,
writes a checkpoint and exits; this process then sends that checkpoint back before it exits itself. When the Ray
process that started this one dies (its node is torn down, the cluster is stopped), nobody reads the log any more:
the training is stopped the same way rather than left running as an orphan.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from catalog.errors import TunewiseError
from finetune.jobs.executors.launch import launch_argv, plan_launch
from finetune.jobs.executors.ray_stream import RESULT, LogWriter, pack
from finetune.jobs.folder import checkpoints, set_aside_incomplete_checkpoints
from finetune.train.events import EventWriter
from finetune.train.outcome import EXIT_FAILED

INPUTS_FILE = ".tunewise-inputs.json"
"""Lists the top-level entries of the working directory that are inputs (data, model): never sent back."""
NOT_RESULTS = ("config.yaml", "events.jsonl", "train.log", "checkpoints", "executor.json", INPUTS_FILE)
"""What the result blob leaves out: the job folder has these already, or gets them on their own."""
POLL_S = 0.5


class _Run:
    """One job on this node: its copy of the working directory, its training processes and its log."""

    def __init__(self, folder: Path, writer: LogWriter) -> None:
        self.folder = folder
        self.writer = writer
        self.events_path = folder / "events.jsonl"
        self._events_offset = self.events_path.stat().st_size if self.events_path.exists() else 0
        self._events_seq = _line_count(self.events_path)
        self.shipped = {step for step, _, ok in checkpoints(folder) if ok}  # the job folder has these

    def forward_events(self) -> None:
        """Send the events written since the last call (only complete lines)."""
        try:
            with self.events_path.open("rb") as fh:
                fh.seek(self._events_offset)
                chunk = fh.read()
        except FileNotFoundError:
            return
        end = chunk.rfind(b"\n")
        if end < 0:
            return
        self._events_offset += end + 1
        for raw in chunk[:end + 1].splitlines():
            self.writer.event(self._events_seq, raw.decode("utf-8", errors="replace"))
            self._events_seq += 1

    def ship_checkpoints(self) -> None:
        """Send each finished checkpoint once (the Trainer may rotate one away meanwhile: then it is skipped)."""
        for step, path, complete in checkpoints(self.folder):
            if not complete or step in self.shipped:
                continue
            try:
                data = pack(path.parent, [path.name])
            except OSError as exc:
                self.writer.line(f"tunewise: checkpoint {step} could not be sent ({exc}); it was rotated away")
                continue
            self.writer.blob(path.name, data)
            self.shipped.add(step)

    def ship_results(self) -> None:
        """Send the job's results: adapter, metrics, predictions, splits, labels, model card."""
        try:
            inputs = set(json.loads((self.folder / INPUTS_FILE).read_text(encoding="utf-8")))
        except (OSError, ValueError):
            inputs = set()
        names = sorted(p.name for p in self.folder.iterdir()
                       if p.name not in NOT_RESULTS and p.name not in inputs and not p.name.startswith("."))
        if names:
            self.writer.blob(RESULT, pack(self.folder, names))

    def fail(self, reason: str) -> int:
        """Record a failure before training started, as the trainer would (an ``error`` event)."""
        EventWriter(self.events_path).emit("error", reason=reason, category="user", pid=os.getpid())
        self.forward_events()
        self.writer.exit(EXIT_FAILED)
        return EXIT_FAILED


def _line_count(path: Path) -> int:
    try:
        with path.open("rb") as fh:
            return sum(1 for _ in fh)
    except FileNotFoundError:
        return 0


def _pump(stream: Any, writer: LogWriter) -> None:
    """Copy the training processes' output into the log, line by line."""
    for raw in iter(stream.readline, b""):
        writer.line(raw)


def main(argv: list[str] | None = None) -> int:
    """Run the job in this Ray job's working directory; return the training's exit code."""
    parser = argparse.ArgumentParser(prog="python -m finetune.jobs.executors.ray_entry")
    parser.add_argument("--resume", action="store_true", help="continue from the checkpoint sent along")
    parser.add_argument("--nodes", type=int, default=1, help="nodes to train on (more than 1: Ray Train workers)")
    parser.add_argument("--gpus-per-node", type=int, default=0, help="GPUs each node gives the job (--nodes > 1)")
    args = parser.parse_args(argv)
    writer = LogWriter(sys.stdout.fileno())
    folder = Path(tempfile.mkdtemp(prefix="tunewise-job-"))
    try:
        shutil.copytree(Path.cwd(), folder, dirs_exist_ok=True)
        return _run(folder, writer, resume=args.resume, nodes=args.nodes, gpus_per_node=args.gpus_per_node)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(folder: Path, writer: LogWriter, *, resume: bool, nodes: int = 1, gpus_per_node: int = 0) -> int:
    from finetune.config.run import RunConfig
    from finetune.jobs.executors.launch import plan_nodes_launch

    run = _Run(folder, writer)
    os.environ["TUNEWISE_HOME"] = str(folder)  # the config's relative paths are relative to this copy
    try:
        cfg = RunConfig.from_yaml(folder / "config.yaml")
        launch = plan_nodes_launch(cfg, nodes, gpus_per_node) if nodes > 1 else plan_launch(cfg)
        if resume:
            set_aside_incomplete_checkpoints(folder)
        cmd = [] if nodes > 1 else launch_argv(launch, folder / "config.yaml", folder, resume=resume,
                                               python=sys.executable)
    except TunewiseError as exc:
        return run.fail(str(exc))
    writer.launch(launch.to_dict())
    if nodes > 1:
        from finetune.jobs.executors.ray_nodes import run_on_nodes

        writer.line(f"tunewise: {launch.describe()} through Ray Train, driven from {socket.gethostname()}: "
                    f"{launch.reason}")
        code = run_on_nodes(folder, writer, launch, resume=resume)
        writer.exit(code)
        return code
    writer.line(f"tunewise: {launch.describe()} on {socket.gethostname()}: {launch.reason}")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.Popen(cmd, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=env)

    def stop(signum: int, frame: Any) -> None:  # Ray's stop: pass it on, then keep sending until the end
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    pump = threading.Thread(target=_pump, args=(proc.stdout, writer), daemon=True)
    pump.start()
    parent = os.getppid()
    while proc.poll() is None:
        run.forward_events()
        run.ship_checkpoints()
        if os.getppid() != parent:  # the Ray job supervisor is gone: an orphan must not train on unseen
            writer.line("tunewise: the Ray process that started this job is gone; stopping the training")
            stop(signal.SIGTERM, None)
            parent = os.getppid()
        time.sleep(POLL_S)
    pump.join(timeout=30)
    run.forward_events()
    run.ship_checkpoints()
    run.ship_results()
    writer.exit(proc.returncode)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
