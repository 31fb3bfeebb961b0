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
from finetune.jobs.executors.ray_run import NodeRun, pump
from finetune.jobs.executors.ray_stream import LogWriter
from finetune.jobs.folder import set_aside_incomplete_checkpoints

POLL_S = 0.5


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

    run = NodeRun(folder, writer)
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
    output = threading.Thread(target=pump, args=(proc.stdout, writer), daemon=True)
    output.start()
    parent = os.getppid()
    while proc.poll() is None:
        run.forward_events()
        run.ship_checkpoints()
        if os.getppid() != parent:  # the Ray job supervisor is gone: an orphan must not train on unseen
            writer.line("tunewise: the Ray process that started this job is gone; stopping the training")
            stop(signal.SIGTERM, None)
            parent = os.getppid()
        time.sleep(POLL_S)
    output.join(timeout=30)
    run.forward_events()
    run.ship_checkpoints()
    run.ship_results()
    writer.exit(proc.returncode)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
