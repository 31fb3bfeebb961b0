"""Wall time of the same MiniLM job submitted to a Ray cluster vs run by the local executor.

    .venv/bin/python bench/ray_overhead.py [--runs 1] [--rows 800] [--two-nodes]

Both sides run one job, fitted by the same pre-flight (``tunewise train``'s default plan), on the packaged
all-MiniLM-L6-v2 and ``examples/support_tickets.csv``, from submission to the job store saying ``succeeded``:

* **local** (the baseline): ``JobRunner`` with the local executor, one training process on this machine;
* **ray**: ``JobRunner`` with the Ray executor, against a Ray cluster started here on 127.0.0.1 before the clock
  starts (a head without CPUs for jobs and one worker node with all the cores), as a team's cluster would be
  already running. What the Ray side adds: staging and uploading the working directory, the Ray job's start on
  the node, the log stream back into the job folder, and the results coming back.
* **ray, two nodes** (``--two-nodes``, informative): the same job over two worker nodes of this machine with Ray
  Train (DDP). Both nodes share this machine's cores, so it says what the Ray Train path costs, not how fast
  two real machines would train.

Sides alternate (local, ray, local, ray, ...) so drift in the machine's load hits both. Every process gets the
same ``OMP_NUM_THREADS`` (all cores) so the Ray node's training uses the threads the local one does. Prints
one JSON object: each side's wall times and job-internal training seconds, and the ratio ray / local.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DATA = ROOT / "examples" / "support_tickets.csv"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(rows: int) -> Any:
    from finetune.config.run import RunConfig
    from finetune.train.preflight import preflight

    lines = DATA.read_text(encoding="utf-8").splitlines()
    (Path(os.environ["TUNEWISE_HOME"]) / "tickets.csv").write_text("\n".join(lines[:rows + 1]) + "\n",
                                                                   encoding="utf-8")
    cfg = RunConfig.from_dict({"model": {"name": MODEL}, "data": {"path": "tickets.csv"}, "task": "text-classification",
                               "train": {"device": "cpu"}})
    return preflight(cfg).config


def _one_job(runner: Any, cfg: Any) -> dict[str, Any]:
    from finetune.train.events import read_events

    start = time.perf_counter()
    job = runner.submit(cfg)
    done = runner.wait(job.id, timeout=3600)
    wall = time.perf_counter() - start
    if done.status != "succeeded":
        log = (done.path / "train.log").read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"job {job.id} {done.status}: {done.reason}\n{log}")
    events = read_events(done.path / "events.jsonl")
    first = next(e["time"] for e in events if e.get("type") == "start")
    last = next(e["time"] for e in reversed(events) if e.get("type") == "done")
    metrics = json.loads((done.path / "metrics.json").read_text(encoding="utf-8"))
    return {"wall_s": round(wall, 2), "start_to_done_s": round(last - first, 2),
            "accuracy": metrics.get("tuned", {}).get("accuracy") if isinstance(metrics.get("tuned"), dict) else None}


def measure(argv: list[str] | None = None) -> dict[str, Any]:
    """Start a loopback cluster, run the job alternately on each side, stop the cluster; the raw figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1, help="jobs per side")
    parser.add_argument("--rows", type=int, default=800, help="rows of the example tickets to train on")
    parser.add_argument("--two-nodes", action="store_true", help="also run the job over two nodes (informative)")
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    home = Path(tempfile.mkdtemp(prefix="tw-bench-ray-"))
    env = {"TUNEWISE_HOME": str(home), "RAY_USAGE_STATS_ENABLED": "0", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
           "RAY_TMPDIR": str(home / ".ray"), "OMP_NUM_THREADS": str(cores), "TUNEWISE_OFFLINE": "1",
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    os.environ.update(env)
    from ray.cluster_utils import Cluster

    from finetune.jobs.executors.ray import RayExecutor
    from finetune.jobs.runner import JobRunner
    from finetune.jobs.store import JobStore

    port = _free_port()
    t0 = time.perf_counter()
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 0, "node_ip_address": "127.0.0.1", "include_dashboard": True, "dashboard_host": "127.0.0.1",
        "dashboard_port": port})
    cluster.add_node(num_cpus=cores, node_ip_address="127.0.0.1", resources={"bench_worker": 1})
    cluster_start_s = time.perf_counter() - t0
    try:
        cfg = _config(args.rows)
        store = JobStore()
        local = JobRunner(store, executor="local")
        ray = JobRunner(store, executor=RayExecutor(f"http://127.0.0.1:{port}",
                                                    entrypoint_resources={"bench_worker": 1}))
        runs: dict[str, list[dict[str, Any]]] = {"local": [], "ray": []}
        for _ in range(args.runs):
            runs["local"].append(_one_job(local, cfg))
            runs["ray"].append(_one_job(ray, cfg))
        if args.two_nodes:
            cluster.add_node(num_cpus=cores, node_ip_address="127.0.0.1")
            nodes = JobRunner(store, executor=RayExecutor(f"http://127.0.0.1:{port}", nodes=2))
            runs["ray_two_nodes"] = [_one_job(nodes, cfg)]
    finally:
        cluster.shutdown()
        shutil.rmtree(home, ignore_errors=True)
    local_wall = statistics.median(r["wall_s"] for r in runs["local"])
    ray_wall = statistics.median(r["wall_s"] for r in runs["ray"])
    return {"runs": runs, "local_wall_s": local_wall, "ray_wall_s": ray_wall, "ratio": ray_wall / local_wall,
            "overhead_s": ray_wall - local_wall, "cluster_start_s": round(cluster_start_s, 1),
            "train_rows": args.rows, "plan": {"epochs": cfg.train.epochs, "max_steps": cfg.train.max_steps,
                                              "batch_size": cfg.train.batch_size, "max_length": cfg.data.max_length}}


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1:])))
