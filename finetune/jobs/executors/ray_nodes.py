"""A job over several nodes of a Ray cluster: Ray Train's ``TorchTrainer``, one worker per GPU (or per node).

The Ray job's entry point (:mod:`finetune.jobs.executors.ray_entry`) runs on one node, the *driver*; it asks Ray
Train for ``launch.processes`` workers spread over ``launch.nodes`` nodes and waits for them. Each worker:

1. unpacks the job's working directory (config, data, model folder, the checkpoint of a resume), which the driver
   put into Ray's object store, into a private folder: every node has its own copy, so no shared storage is needed;
2. meets the others: rank 0 picks a free port on its node and posts ``address:port`` to a small control actor;
3. runs the same ``python -m finetune.train CONFIG`` as any job, with ``RANK`` / ``WORLD_SIZE`` / ``LOCAL_RANK`` /
   ``MASTER_ADDR`` / ``MASTER_PORT`` set as ``torchrun`` would: the Trainer wraps the model in DDP over gloo (CPU)
   or NCCL (GPUs). The training process is killed if its worker dies (``PR_SET_PDEATHSIG``): no orphan trains on.

Rank 0 writes the job folder, as on one machine; its worker sends the training output, each event, each finished
checkpoint and at the end the results to the driver through a Ray queue, and the driver writes them into its log
in the same marked lines as a one-node job (:mod:`finetune.jobs.executors.ray_stream`), so the app reads both the
same way. The other ranks' output goes into the log too, each line marked ``[rank N]``.

A stop (``ray job stop``: SIGTERM to the driver) is passed to every worker through the control actor; each sends
SIGTERM to its training process, the ranks agree on the step to stop at, rank 0 saves a checkpoint and it comes
back before the driver exits. A worker or node that dies fails the run (Ray Train's ``max_failures=0``): the driver
records an ``error`` event naming what died; a resume starts a new run from the last checkpoint that came back.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from catalog.env import env_float
from finetune.jobs.executors.launch import Launch
from finetune.jobs.executors.ray_run import NodeRun, pump
from finetune.jobs.executors.ray_stream import PREFIX, LogWriter, count_lines, pack
from finetune.train.events import EventWriter, event_line
from finetune.train.outcome import EXIT_FAILED

log = logging.getLogger(__name__)

POLL_S = 0.5
RENDEZVOUS_TIMEOUT_S = 300.0
"""Seconds a worker waits for rank 0's address."""


class QueueWriter(LogWriter):
    """A :class:`LogWriter` whose lines go, in batches, to the driver through a Ray queue.

    Args:
        queue: A ``ray.util.queue.Queue``.
        prefix: Put before each plain line (``[rank N] `` for the ranks that do not write the job folder).
    """

    def __init__(self, queue: Any, prefix: str = "") -> None:
        super().__init__(-1)
        self.queue = queue
        self.prefix = prefix
        self._pending: list[tuple[str, str]] = []

    def line(self, text: str | bytes) -> None:
        """Queue one line (sent with the next :meth:`flush`)."""
        body = text.decode("utf-8", errors="replace") if isinstance(text, bytes) else text
        body = body.rstrip("\n")
        if self.prefix and not body.startswith(PREFIX):
            body = self.prefix + body
        with self._lock:
            self._pending.append(("line", body))

    def flush(self) -> None:
        """Send the queued lines to the driver."""
        with self._lock:
            batch, self._pending = self._pending, []
        if batch:
            self.queue.put_nowait_batch(batch)

    def done(self, rank: int, code: int) -> None:
        """Send the queued lines, then how this rank's training ended."""
        self.flush()
        self.queue.put(("exit", str(rank), str(code)))


def _control_class() -> Any:
    import ray

    @ray.remote(num_cpus=0)
    class Control:
        """Shared by the driver and the workers: rank 0's rendezvous address and the stop request."""

        def __init__(self) -> None:
            self._stop = False
            self._rendezvous: tuple[str, int] | None = None

        def stop(self) -> None:
            self._stop = True

        def stopped(self) -> bool:
            return self._stop

        def set_rendezvous(self, address: str, port: int) -> None:
            self._rendezvous = (address, port)

        def rendezvous(self) -> tuple[str, int] | None:
            return self._rendezvous

    return Control


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("", 0))
        return int(sock.getsockname()[1])


def _unpack(data: bytes, folder: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(folder, filter="data")  # no absolute paths, no "..", no links out


def _die_with_parent() -> Any:
    """A ``preexec_fn`` that has the kernel kill the child when this process dies (Linux), or None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)  # loaded before the fork: the child only makes the call

    def arm() -> None:
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

    return arm


def node_worker(config: dict[str, Any]) -> None:
    """One Ray Train worker: unpack the job, meet the other ranks, run the training, report how it ended."""
    import ray
    import ray.train

    ctx = ray.train.get_context()
    rank, world = ctx.get_world_rank(), ctx.get_world_size()
    control, queue = config["control"], config["queue"]
    writer = QueueWriter(queue, prefix="" if rank == 0 else f"[rank {rank}] ")
    folder = Path(tempfile.mkdtemp(prefix=f"tunewise-rank{rank}-"))
    code = EXIT_FAILED
    try:
        _unpack(ray.get(config["inputs"]), folder)
        if rank == 0:
            ray.get(control.set_rendezvous.remote(ray.util.get_node_ip_address(), _free_port()))
        deadline = time.monotonic() + RENDEZVOUS_TIMEOUT_S
        while (meet := ray.get(control.rendezvous.remote())) is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"rank 0 gave no rendezvous address within {RENDEZVOUS_TIMEOUT_S:.0f} s")
            time.sleep(0.2)
        address, port = meet
        env = {**os.environ, "MASTER_ADDR": address, "MASTER_PORT": str(port), "RANK": str(rank),
               "WORLD_SIZE": str(world), "LOCAL_RANK": str(ctx.get_local_rank()),
               "LOCAL_WORLD_SIZE": str(ctx.get_local_world_size()), "GROUP_RANK": str(ctx.get_node_rank()),
               "TUNEWISE_HOME": str(folder), "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false"}
        cmd = [sys.executable, "-m", "finetune.train", str(folder / "config.yaml")]
        if config["resume"]:
            cmd.append("--resume")
        writer.line(f"tunewise: rank {rank} of {world} on {socket.gethostname()} ({ray.util.get_node_ip_address()}, "
                    f"Ray node {ray.get_runtime_context().get_node_id()})")
        proc = subprocess.Popen(cmd, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env, preexec_fn=_die_with_parent())  # noqa: PLW1509
        output = threading.Thread(target=pump, args=(proc.stdout, writer), daemon=True)
        output.start()
        run = NodeRun(folder, writer) if rank == 0 else None
        signalled = False
        while proc.poll() is None:
            if run is not None:
                run.forward_events()
                run.ship_checkpoints()
            if not signalled and ray.get(control.stopped.remote()):
                proc.send_signal(signal.SIGTERM)
                signalled = True
            writer.flush()
            time.sleep(POLL_S)
        output.join(timeout=30)
        if run is not None:
            run.forward_events()
            run.ship_checkpoints()
            run.ship_results()
        code = proc.returncode
    except Exception as exc:  # the driver reports it; the traceback goes to this worker's Ray log
        log.exception("rank %s failed", rank)
        writer.line(f"tunewise: rank {rank} failed before or around its training: {exc}")
    finally:
        writer.done(rank, code)
        shutil.rmtree(folder, ignore_errors=True)


class _Driver:
    """The entry point's side: starts the workers, writes what they send into the log, passes a stop on."""

    def __init__(self, folder: Path, writer: LogWriter, launch: Launch) -> None:
        self.folder = folder
        self.writer = writer
        self.launch = launch
        self.last_event = -1
        self.codes: dict[int, int] = {}
        self.heard = False
        self.stop_asked = False

    def write(self, item: tuple[str, ...]) -> None:
        if item[0] == "exit":
            self.codes[int(item[1])] = int(item[2])
            return
        text = item[1]
        if text.startswith(PREFIX + "event "):
            with contextlib.suppress(ValueError):
                self.last_event = int(text[len(PREFIX) + 6:].split(" ", 1)[0])
        self.writer.line(text)

    def fail(self, reason: str) -> int:
        """Record a failure the workers could not (an ``error`` event after theirs), then the exit code."""
        event = EventWriter(self.folder / "events.jsonl", enabled=False).emit(
            "error", reason=reason, category="crash", pid=os.getpid())
        seq = max(self.last_event + 1, count_lines(self.folder / "events.jsonl"))
        self.writer.event(seq, event_line(event))
        return EXIT_FAILED

    def exit_code(self, error: BaseException | None) -> int:
        if error is not None and not (self.stop_asked and self.codes):
            return self.fail(f"The job's run on the Ray cluster failed: {_first_line(error)}. Resume the job: it "
                             "continues from the last checkpoint that came back.")
        if 0 in self.codes and self.codes[0] != 0:
            return self.codes[0]
        bad = [code for code in self.codes.values() if code != 0]
        if bad:
            return bad[0]
        if len(self.codes) < self.launch.processes:
            return self.fail(f"Only {len(self.codes)} of {self.launch.processes} workers of the job reported back.")
        return 0


def _first_line(error: BaseException) -> str:
    """What went wrong, in one line: a dead worker named as such, else the error's first line."""
    text = str(error).strip() or type(error).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    died = next((line for line in lines if "died" in line.lower() or "killed" in line.lower()), None)
    if died is not None:
        return ("one of its Ray Train workers died (its node went down or left the cluster, or the worker was "
                f"killed; Ray: {died.rstrip('.')[:300]})")
    first = " ".join(lines[:2]) if lines[0].endswith(":") and len(lines) > 1 else lines[0]  # "...errors:" + what
    return first.rstrip(".:")[:400]


def run_on_nodes(folder: Path, writer: LogWriter, launch: Launch, *, resume: bool) -> int:
    """Train the job in ``folder`` over ``launch.nodes`` nodes; return the exit code the log ends with.

    Args:
        folder: The entry point's private copy of the Ray job's working directory.
        writer: The entry point's log.
        launch: A launch over several nodes (:func:`~finetune.jobs.executors.launch.choose_nodes_launch`).
        resume: Continue from the checkpoint in ``folder``.
    """
    import ray
    import ray.train.torch  # noqa: F401 - loads torch before ray.init: loaded after it, torch's libraries fail
    # to load in this process ("Intel oneMKL FATAL ERROR: Cannot load .../libtorch_cpu.so", seen in the tests)

    ray.init(address="auto", log_to_driver=False, logging_level=logging.WARNING)
    storage = Path(tempfile.mkdtemp(prefix="tunewise-train-"))  # Ray Train's run metadata; no checkpoints go there
    try:
        return _drive(folder, writer, launch, resume=resume, storage=storage)
    finally:
        shutil.rmtree(storage, ignore_errors=True)


def _drive(folder: Path, writer: LogWriter, launch: Launch, *, resume: bool, storage: Path) -> int:
    import ray
    from ray.train import FailureConfig, RunConfig, ScalingConfig
    from ray.train.torch import TorchConfig, TorchTrainer
    from ray.util.queue import Queue

    driver = _Driver(folder, writer, launch)
    if (reason := _cluster_too_small(launch)) is not None:
        return driver.fail(reason)
    control = _control_class().remote()
    queue = Queue(actor_options={"num_cpus": 0})
    names = [p.name for p in folder.iterdir()]
    inputs = ray.put(pack(folder, names))
    gpu = launch.device == "cuda"
    trainer = TorchTrainer(
        node_worker,
        train_loop_config={"control": control, "queue": queue, "inputs": inputs, "resume": resume},
        scaling_config=ScalingConfig(num_workers=launch.processes, use_gpu=gpu,
                                     resources_per_worker={"CPU": 1, **({"GPU": 1} if gpu else {})},
                                     placement_strategy="PACK" if gpu else "STRICT_SPREAD"),
        # the workers' own process group is only Ray's; the training makes its own (gloo on CPU, NCCL on GPUs)
        torch_config=TorchConfig(backend="gloo"),
        run_config=RunConfig(name=f"tunewise-{os.getpid()}-{int(time.time())}",
                             storage_path=str(storage),
                             failure_config=FailureConfig(max_failures=0)))
    outcome: dict[str, BaseException] = {}

    def fit() -> None:
        try:
            trainer.fit()
        except BaseException as exc:  # noqa: BLE001 - reported through the log, not raised in a thread
            outcome["error"] = exc

    def stop(signum: int, frame: Any) -> None:
        driver.stop_asked = True

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    thread = threading.Thread(target=fit, daemon=True, name="ray-train-fit")
    thread.start()
    started, stop_sent = time.monotonic(), False
    schedule_timeout_s = env_float("TUNEWISE_RAY_SCHEDULE_TIMEOUT_S")
    while thread.is_alive():
        if driver.stop_asked and not stop_sent:
            control.stop.remote()
            stop_sent = True
        drained = _drain(queue, driver)
        if not driver.heard and drained:
            driver.heard = True
        if not driver.heard and time.monotonic() - started > schedule_timeout_s:
            return driver.fail(
                f"The Ray cluster did not start the job's {launch.processes} workers within {schedule_timeout_s:.0f} s "
                f"({launch.describe()}): it lacks free nodes with the resources. Free or add nodes, or ask for fewer "
                "with --ray-nodes.")
        if not drained:
            time.sleep(POLL_S)
    # a worker puts its exit before it returns: after a normal end everything is in the queue already
    deadline = time.monotonic() + 30
    while len(driver.codes) < launch.processes and "error" not in outcome and time.monotonic() < deadline:
        if not _drain(queue, driver):
            time.sleep(0.2)
    _drain(queue, driver)
    return driver.exit_code(outcome.get("error"))


def _drain(queue: Any, driver: _Driver) -> int:
    """Write what the workers sent so far; return how many items there were."""
    try:
        size = queue.qsize()
        items = queue.get_nowait_batch(size) if size else []
    except Exception as exc:  # the queue actor is gone with the job
        log.warning("the workers' queue cannot be read: %s", exc)
        return 0
    for item in items:
        driver.write(item)
    return len(items)


def _cluster_too_small(launch: Launch) -> str | None:
    """Why the cluster cannot hold the launch now, or None (alive nodes with a CPU, and GPUs when asked)."""
    import ray

    alive = [n for n in ray.nodes() if n.get("Alive")]
    if launch.device == "cuda":
        gpus = sum(int(n.get("Resources", {}).get("GPU", 0)) for n in alive)
        if gpus < launch.processes:
            return (f"The job asks for {launch.processes} GPUs ({launch.describe()}) and the Ray cluster has {gpus}. "
                    "Ask for fewer nodes with --ray-nodes, or add GPU nodes.")
        return None
    nodes = sum(1 for n in alive if n.get("Resources", {}).get("CPU", 0) >= 1)
    if nodes < launch.nodes:
        return (f"The job asks for {launch.nodes} nodes ({launch.describe()}) and the Ray cluster has {nodes} with a "
                "CPU. Ask for fewer with --ray-nodes, or add nodes.")
    return None
