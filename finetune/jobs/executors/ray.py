"""The ``ray`` executor: jobs run on a Ray cluster, submitted and followed through the Ray Jobs API.

A job goes to the cluster as a Ray job (``JobSubmissionClient.submit_job``) whose working directory holds its
config and data (:mod:`~finetune.jobs.executors.ray_stage`) and whose entry point,
``python -m finetune.jobs.executors.ray_entry``, runs the same ``python -m finetune.train CONFIG`` as a local
job on the node Ray picks, with as many processes as that node has GPUs. A thread here follows the Ray job's log
(``tail_job_logs``) and reads it into the job folder (:mod:`~finetune.jobs.executors.ray_stream`): the training
output into ``train.log``, its events into ``events.jsonl`` as they happen, each finished checkpoint, and at the
end its results, so the job folder looks like a local job's. What maps onto what:

- status: Ray's ``PENDING``/``RUNNING`` is ``running``; ``SUCCEEDED`` with the results back is ``succeeded``;
  ``STOPPED`` is ``cancelled``; ``FAILED`` is read from the training's exit code and events like a local job,
  or, when Ray lost the job (its node died), ``failed`` with that reason;
- cancel: ``stop_job`` (SIGTERM to every process of the job, SIGKILL after the cancel grace period);
- logs: the job folder's ``train.log``, copied from the Ray job's log;
- resume: a new Ray job from the last checkpoint that came back (an earlier run still alive is stopped first).

An unreachable cluster is refused at submission with the address and what to check; contact lost for
:data:`LOST_AFTER_S` while a job runs fails the job, naming the Ray job to stop by hand, so no job stays
"running". ``ray`` is imported only here, inside functions: it is the optional extra ``tunewise[ray]``.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import shutil
import socket
import sqlite3
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from catalog.errors import ConfigError, JobError, TunewiseError
from finetune.config.run import RunConfig
from finetune.jobs.executors.base import Executor, ExecutorRecord, read_record, write_record
from finetune.jobs.executors.ray_stage import runtime_env, stage
from finetune.jobs.executors.ray_stream import LogIngest, LogTail, count_lines
from finetune.jobs.processes import ME, is_watched, watch_set, watcher_alive
from finetune.jobs.status import explain, outcome
from finetune.jobs.store import Job
from finetune.train.events import FINAL_EVENTS, read_events

log = logging.getLogger(__name__)

LOST_AFTER_S = 60.0
"""A running job whose cluster cannot be reached for this long is failed (the reason names its Ray job)."""
POLL_S = 1.0
CONNECT_TIMEOUT_S = 5.0
"""How long a first contact with the cluster may take before it counts as unreachable."""
DRAIN_S = 15.0
"""After the Ray job ended, how long its log stream gets to deliver the last lines."""
STOP_MARGIN_S = 30.0
"""Seconds Ray waits past the cancel grace period before SIGKILL: time to send the last checkpoint back."""
TERMINAL = ("SUCCEEDED", "FAILED", "STOPPED")
ENTRY_POINT = "python -m finetune.jobs.executors.ray_entry"
RAY_EXTRA = "pip install 'tunewise[ray]'"


class RayExecutor(Executor):
    """Run jobs on the Ray cluster whose dashboard (Jobs API) is at ``address``.

    Args:
        address: The dashboard address, e.g. ``http://127.0.0.1:8265`` (``host:port`` means http).
        entrypoint_resources: Custom Ray resources the job's entry point needs, to pin jobs to some nodes.
        lost_after_s: Seconds without contact after which a running job is failed.
        nodes: Nodes each new job trains on: 1 (the entry point's node, one process per GPU there) or more
            (Ray Train's ``TorchTrainer``, one worker per GPU, DDP; see :mod:`~finetune.jobs.executors.ray_nodes`).
            A resumed job keeps the count it was started with.
    """

    kind = "ray"
    remote = True

    def __init__(self, address: str, *, entrypoint_resources: dict[str, float] | None = None,
                 lost_after_s: float = LOST_AFTER_S, nodes: int = 1) -> None:
        super().__init__()
        if isinstance(nodes, bool) or not isinstance(nodes, int) or nodes < 1:
            raise ConfigError(f"The number of Ray nodes must be a whole number of at least 1, not {nodes!r}.")
        self.nodes = nodes
        self.address = self.normalize_address(address)
        self.entrypoint_resources = dict(entrypoint_resources or {})
        self.lost_after_s = lost_after_s
        self._client: Any = None
        self._stopped: set[str] = set()

    @staticmethod
    def normalize_address(address: str) -> str:
        """The Jobs API address as ``http(s)://host:port``.

        Raises:
            ConfigError: For a Ray Client (``ray://``) address or one without a host.
        """
        text = address.strip()
        if text.startswith("ray://"):
            raise ConfigError(f"{text} is a Ray Client address; tunewise submits jobs through the Ray Jobs API on "
                              "the dashboard port: give http://HEAD:8265.")
        parts = urlsplit(text if "://" in text else "http://" + text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"{address!r} is not a Ray dashboard address; give one like http://HEAD:8265.")
        return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"

    @property
    def where(self) -> str:
        """``the Ray cluster at ADDRESS``."""
        return f"the Ray cluster at {self.address}"

    def record(self) -> ExecutorRecord:
        """A new job's record: this cluster's address."""
        return ExecutorRecord(kind=self.kind, address=self.address, nodes=self.nodes)

    def check(self) -> None:
        """Make sure the cluster answers before a job is queued for it.

        Raises:
            ConfigError: When ``ray`` is not installed here.
            JobError: When the cluster cannot be reached, with the address and what to check.
        """
        self.client()

    def client(self) -> Any:
        """The Jobs API client (made on first use, after a quick check that the dashboard port answers)."""
        if self._client is None:
            parts = urlsplit(self.address)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            try:
                socket.create_connection((parts.hostname, port), timeout=CONNECT_TIMEOUT_S).close()
                client_class = _job_submission_client()
                self._client = client_class(self.address)
            except (OSError, RuntimeError) as exc:
                raise JobError(f"The Ray cluster at {self.address} cannot be reached ({exc}). Check that the cluster "
                               "is up and that this address is its dashboard (Jobs API, usually port 8265; with "
                               "KubeRay: kubectl port-forward svc/CLUSTER-head-svc 8265).") from exc
        return self._client

    # -- the runner's calls --------------------------------------------------------------------------------
    def start(self, job: Job) -> None:
        """Submit the job to the cluster and follow it from a thread; a submission that fails fails the job."""
        watch_set(job.id, True)
        try:
            self._submit(job)
        except (TunewiseError, OSError, RuntimeError, ValueError) as exc:
            log.exception("job %s could not be submitted to %s", job.id, self.address)
            self._settle(job.id, job.started, "failed",
                         f"The job could not be submitted to the Ray cluster at {self.address}: {exc}")
            return
        threading.Thread(target=self._watch, args=(job.id, job.started), daemon=True, name=f"ray-{job.id}").start()

    def stop(self, job: Job, *, wait: bool) -> None:
        """Stop the job's Ray job (its watcher records the outcome; the runner waits for it when asked)."""
        record = read_record(job.path)
        if record.submission_id:
            self._stop(record.submission_id)

    def reconcile(self, jobs: list[Job]) -> None:
        """Follow the running jobs of this cluster that no live tunewise process follows (after a restart or
        a ``--detach``); fail the ones that never reached the cluster."""
        for job in jobs:
            # ME: this process submitted it, and follows it from the moment the submission returns
            if is_watched(job.id) or job.watcher == ME or watcher_alive(job.watcher):
                continue
            if not self.context.store.transition(job.id, {"status": "running", "watcher": job.watcher}, watcher=ME):
                continue
            watch_set(job.id, True)
            if not read_record(job.path).submission_id:
                self._settle(job.id, job.started, "failed", "The job never reached the Ray cluster: the process "
                             "submitting it stopped first. Retry it.")
                continue
            log.info("job %s: following its Ray job again", job.id)
            threading.Thread(target=self._watch, args=(job.id, job.started), daemon=True,
                             name=f"ray-{job.id}").start()

    # -- submitting --------------------------------------------------------------------------------------
    def _submit(self, job: Job) -> None:
        client = self.client()
        record = read_record(job.path)
        if record.submission_id:  # a resume: an earlier run that is somehow still alive must not train on
            self._stop(record.submission_id, quiet=True)
        folder = stage(job, resume=bool(job.resume))
        try:
            # Named (and recorded) before submitting: a process that dies right after submitting leaves a record
            # by which the next one finds the Ray job.
            record.submission_id = f"tunewise-{job.id}-{secrets.token_hex(3)}"
            record.log_lines, record.launch = 0, {}
            record.first_event = count_lines(job.path / "events.jsonl")
            write_record(job.path, record)
            cfg = RunConfig.from_yaml(job.path / "config.yaml")
            gpus = 0 if cfg.train.device == "cpu" else self._gpus_per_node()
            nodes = max(record.nodes, 1)
            entry = ENTRY_POINT + (" --resume" if job.resume else "")
            if nodes > 1:  # the entry point only drives Ray Train's workers: it takes no CPU or GPU of its own
                entry += f" --nodes {nodes} --gpus-per-node {gpus}"
            client.submit_job(
                entrypoint=entry, submission_id=record.submission_id,
                runtime_env=runtime_env(folder, stop_wait_s=self.context.cancel_grace_s + STOP_MARGIN_S),
                metadata={"tunewise_job": job.id, "task": job.task}, entrypoint_num_cpus=0 if nodes > 1 else 1,
                entrypoint_num_gpus=(gpus or None) if nodes == 1 else None,
                entrypoint_resources=self.entrypoint_resources or None)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        with (job.path / "train.log").open("a", encoding="utf-8") as fh:
            fh.write(f"\n=== tunewise: {'resuming' if job.resume else 'starting'} job {job.id} on the Ray cluster at "
                     f"{self.address} as Ray job {record.submission_id} at {time.strftime('%Y-%m-%d %H:%M:%S')} ===\n")

    def _gpus_per_node(self) -> int:
        """The most GPUs any live node has: a job takes a whole GPU node (one process per GPU there)."""
        try:
            from ray.util.state import list_nodes

            nodes = list_nodes(address=self.address, detail=True, raise_on_missing_output=False)
            return int(max((n.resources_total.get("GPU", 0) for n in nodes if n.state == "ALIVE"), default=0))
        except Exception as exc:  # an older dashboard without the state API: train on the CPU rather than fail
            log.warning("could not read the GPUs of the Ray cluster at %s: %s", self.address, exc)
            return 0

    def _stop(self, submission_id: str, *, quiet: bool = False) -> None:
        if submission_id in self._stopped:
            return
        try:
            self.client().stop_job(submission_id)
            self._stopped.add(submission_id)
        except (TunewiseError, OSError, RuntimeError) as exc:
            if quiet:
                return
            raise JobError(f"The Ray job {submission_id} could not be stopped: the cluster at {self.address} did "
                           f"not answer ({exc}). The job stays running here until the cluster answers or "
                           f"{self.lost_after_s:.0f} s pass.") from exc

    # -- following ---------------------------------------------------------------------------------------
    def _watch(self, job_id: str, started: float | None) -> None:
        try:
            self._follow(job_id, started)
        except Exception as exc:  # never leave a job "running" because the thread following it broke
            log.exception("job %s: following its Ray job failed", job_id)
            self._settle(job_id, started, "failed", f"tunewise lost track of the job's Ray job ({exc}); see the app "
                         "log. Resume it to run it again.")

    def _follow(self, job_id: str, started: float | None) -> None:
        store = self.context.store
        job = store.get(job_id)
        assert job is not None
        record = read_record(job.path)
        sid = str(record.submission_id)
        ingest = LogIngest(job.path, skip_lines=record.log_lines)
        tail = LogTail(self.client, sid, ingest)
        unreachable: tuple[float, str] | None = None
        while True:
            job = store.get(job_id)
            if job is None or job.status != "running" or job.started != started:
                tail.finish(0)
                return  # settled or resumed elsewhere
            try:
                if job.cancel_requested:
                    self._stop(sid)
                info = self.client().get_job_info(sid)
                unreachable = None
            except (TunewiseError, OSError, RuntimeError) as exc:
                if "does not exist" in str(exc):
                    tail.finish(0)
                    self._settle(job_id, started, "failed", f"The Ray cluster at {self.address} has no job {sid} "
                                 "(it was restarted, or the job never reached it). Resume it to run it again.")
                    return
                unreachable = unreachable or (time.monotonic(), str(exc).splitlines()[0][:200])
                if time.monotonic() - unreachable[0] > self.lost_after_s:
                    tail.finish(0)
                    self._settle(job_id, started, "failed", self._lost_reason(sid, unreachable[1]))
                    return
                time.sleep(POLL_S)
                continue
            status = getattr(info.status, "value", str(info.status))
            if status in TERMINAL:
                tail.finish(DRAIN_S)
                self._catch_up(sid, ingest, tail)
                self._save_progress(job, ingest)
                self._settle_ended(job, started, status, info, ingest)
                return
            tail.ensure_running()
            self._save_progress(job, ingest)
            time.sleep(POLL_S)

    def _catch_up(self, sid: str, ingest: LogIngest, tail: LogTail) -> None:
        """Read the rest of the log when the stream ended before the job's last line (the exit line)."""
        with tail.lock:
            if ingest.exit_code is None:
                with contextlib.suppress(TunewiseError, OSError, RuntimeError):
                    text = self.client().get_job_logs(sid)
                    ingest.restart()
                    ingest.feed(text)
            ingest.flush()
            ingest.close()

    def _save_progress(self, job: Job, ingest: LogIngest) -> None:
        record = read_record(job.path)
        launch = ingest.launch or record.launch
        if (record.log_lines, record.launch) != (ingest.safe_lines, launch):
            record.log_lines, record.launch = ingest.safe_lines, launch
            write_record(job.path, record)

    def _settle_ended(self, job: Job, started: float | None, status: str, info: Any, ingest: LogIngest) -> None:
        record = read_record(job.path)
        events = read_events(job.path / "events.jsonl")[record.first_event:]
        last = next((e for e in reversed(events) if e.get("type") in FINAL_EVENTS), None)
        code = ingest.exit_code if ingest.exit_code is not None else info.driver_exit_code
        fresh = self.context.store.get(job.id) or job
        state, reason = ray_outcome(status, code, info.message, last, bool(fresh.cancel_requested),
                                    landed=(job.path / "adapter").is_dir())
        self._settle(job.id, started, state, explain(fresh, state, reason, last), exit_code=code)

    def _lost_reason(self, sid: str, error: str) -> str:
        return (f"Lost contact with the Ray cluster at {self.address} for {self.lost_after_s:.0f} s ({error}). Its Ray "
                f"job {sid} may still be running there: stop it with `ray job stop {sid} --address {self.address}`, or "
                "resume this job once the cluster answers (the earlier run is stopped first).")

    def _settle(self, job_id: str, started: float | None, status: str, reason: str | None, *,
                exit_code: int | None = None) -> None:
        """Record the outcome (only while the job still runs the same run), retried while the store is busy."""
        while True:
            try:
                with self.context.lock:
                    done = self.context.store.transition(job_id, {"status": "running", "started": started},
                                                         status=status, reason=reason, exit_code=exit_code,
                                                         finished=time.time(), pid=None)
                break
            except sqlite3.Error as exc:
                log.warning("job %s ended, but the job store cannot record it yet (%s); retrying", job_id, exc)
                time.sleep(POLL_S)
        watch_set(job_id, False)
        if done:
            log.info("job %s finished on Ray: %s (%s)", job_id, status, reason or "ok")
        self.context.on_settled()


def ray_outcome(ray_status: str, code: int | None, message: str | None, last: dict | None, cancel_requested: bool,
                *, landed: bool) -> tuple[str, str | None]:
    """Map how a Ray job ended to a job status and a reason.

    Args:
        ray_status: ``SUCCEEDED``, ``FAILED`` or ``STOPPED``.
        code: The training's exit code (None: the entry point never ended by itself — Ray lost it).
        message: Ray's message about the job.
        last: The run's last final event (``done``, ``error``, ``cancelled``), if any came back.
        cancel_requested: Whether someone asked for the job to stop.
        landed: Whether the results (the adapter) came back into the job folder.
    """
    kind = (last or {}).get("type")
    if kind == "done" and code in (0, None) and ray_status != "STOPPED":
        if landed:
            return "succeeded", None
        return "failed", ("The job finished on the Ray cluster, but its adapter did not come back into the job "
                          "folder; see the job log. Retry it.")
    if ray_status == "STOPPED":
        if not (cancel_requested or kind == "cancelled"):
            return "cancelled", ("Stopped on the Ray cluster (ray job stop or its dashboard), not from here; it can "
                                 "be resumed.")
        if kind != "cancelled":
            return "cancelled", ("Cancelled on request; it did not stop within the grace period, so Ray stopped it "
                                 "by force (SIGKILL). It can be resumed.")
        return "cancelled", "Cancelled on request; it can be resumed."
    if code is not None:
        return outcome(code, last, cancel_requested)
    text = (message or "").lower()
    why = "the node that ran it died or left the cluster" if "node" in text and "died" in text else \
        (message or "no reason given").splitlines()[0][:300]
    return "failed", f"The Ray cluster lost the job: {why}. Resume it to run it again."


def _job_submission_client() -> Any:
    try:
        from ray.job_submission import JobSubmissionClient
    except ImportError as exc:
        raise ConfigError(f"Running jobs on a Ray cluster needs the ray package here: {RAY_EXTRA}.") from exc
    return JobSubmissionClient
