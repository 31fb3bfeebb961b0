"""``JobRunner``: the job queue and what people do with jobs: submit, list, follow, cancel, resume, retry.

A runner lives in the app (or CLI) process. It never trains in its own process: an executor
(:mod:`finetune.jobs.executors`) runs each job. The ``local`` one starts ``python -m finetune.train
config.yaml`` (or, with several GPUs, ``accelerate launch`` of it with one process per GPU) with its output in
the job folder's ``train.log``, in a session of its own, so it outlives the app; the ``ray`` one submits the
same entry point to a Ray cluster (``TUNEWISE_RAY_ADDRESS``) and copies its events and results back. Jobs on a
cluster queue there: they start at once and do not count against ``TUNEWISE_MAX_JOBS``. What survives what:

- the training process killed (``kill -9``, the OOM killer): the job ends ``interrupted`` (or ``failed``
  with "Out of memory" when the kernel's OOM killer acted) with a readable reason; ``resume`` continues
  from the last complete checkpoint (a checkpoint torn by the kill is set aside, not loaded);
- the app killed: a new runner finds the job; a training process that is still alive is adopted and
  watched to the end, one that is gone becomes ``interrupted`` (or ``succeeded`` / ``failed`` when its
  events say it finished) — nothing stays "running" forever;
- a full disk or too little memory: ``failed`` with "The disk is full" / "Out of memory" and the fix;
- a cancel that is ignored: SIGTERM, then SIGKILL after ``cancel_grace_s`` (the reason says it was forced);
- on Ray, a node that dies: ``failed`` with Ray's reason; an unreachable cluster: refused at submission, and
  ``failed`` once it stays out of reach while a job runs (the reason names the Ray job to stop by hand).

Several runners (the app, ``tunewise jobs ...``) may share one workspace: the store claims queued jobs
atomically, so ``max_running`` holds across them, and each running job records which process watches it.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from catalog.env import env_float, env_int, env_str
from catalog.errors import ConfigError, JobError, PathError
from finetune.config.run import RunConfig
from finetune.jobs.executors.base import Executor, RunnerContext, read_record, write_record
from finetune.jobs.executors.launch import Launch, plan_launch
from finetune.jobs.executors.local import LocalExecutor
from finetune.jobs.executors.ray import RayExecutor
from finetune.jobs.processes import ME
from finetune.jobs.status import Progress, summarize
from finetune.jobs.store import ACTIVE, RESUMABLE, Job, JobStore, new_job_id
from finetune.train.events import EventReader
from finetune.train.outcome import describe_failure
from finetune.workspace import job_folder, jobs_dir

#: Reads (``get``/``list``/``progress``) re-check jobs that other processes started at most this often.
RECONCILE_EVERY_S = 2.0


class JobRunner:
    """Queue, start, watch, cancel, resume and retry training jobs.

    Args:
        store: The SQLite job store (default: the workspace's).
        max_running: How many jobs train at once (default ``TUNEWISE_MAX_JOBS`` or 1: one per accelerator).
        max_memory_mb: Address-space cap of each training process in MiB (default ``TUNEWISE_JOB_MEMORY_MB``;
            none when unset). A job over it fails with "Out of memory" instead of starving the host. Meant
            for CPU hosts: CUDA reserves far more address space than it uses.
        cancel_grace_s: Seconds a cancelled job gets to checkpoint and stop before it is killed
            (default ``TUNEWISE_CANCEL_GRACE_S`` or 30).
        executor: Where new jobs run: ``local``, ``ray`` or an executor object (default: ``ray`` when a Ray
            address is given or ``TUNEWISE_RAY_ADDRESS`` is set, else ``local``). Jobs already in the store
            keep running where they were started.
        ray_address: The Ray cluster's dashboard address for ``ray`` (default ``TUNEWISE_RAY_ADDRESS``).
        ray_nodes: Nodes of that cluster each new job trains on (default ``TUNEWISE_RAY_NODES``, 1).

    Raises:
        ConfigError: For an unknown executor, or ``ray`` without an address.
    """

    def __init__(self, store: JobStore | None = None, max_running: int | None = None, *,
                 max_memory_mb: int | None = None, cancel_grace_s: float | None = None,
                 executor: str | Executor | None = None, ray_address: str | None = None,
                 ray_nodes: int | None = None) -> None:
        self.store = store or JobStore()
        self.max_running = max_running or env_int("TUNEWISE_MAX_JOBS")
        memory = max_memory_mb or env_int("TUNEWISE_JOB_MEMORY_MB")
        grace = cancel_grace_s if cancel_grace_s is not None else env_float("TUNEWISE_CANCEL_GRACE_S")
        self.cancel_grace_s = float(grace)
        """Seconds a cancelled job gets to checkpoint and stop before it is killed."""
        self._lock = threading.RLock()
        self._readers: dict[str, EventReader] = {}
        self._ray: dict[str, RayExecutor] = {}
        self._local = LocalExecutor(int(memory) if memory else None)
        self._attach(self._local)
        self.executor = self._default_executor(executor, ray_address, ray_nodes)
        """Where new jobs run."""
        self._last_reconcile = 0.0
        self.reconcile()

    @property
    def max_memory_mb(self) -> int | None:
        """Address-space cap of each training process in MiB, or None for none."""
        return self._local.max_memory_mb

    def _attach(self, executor: Executor) -> Executor:
        executor.attach(RunnerContext(self.store, self._lock, self.cancel_grace_s, self.schedule))
        if isinstance(executor, RayExecutor):
            self._ray.setdefault(executor.address, executor)
        return executor

    def _default_executor(self, executor: str | Executor | None, ray_address: str | None,
                          ray_nodes: int | None = None) -> Executor:
        if isinstance(executor, Executor):
            return self._attach(executor)
        address = ray_address or env_str("TUNEWISE_RAY_ADDRESS")
        kind = executor or ("ray" if address else "local")
        if kind == "local":
            if ray_nodes is not None and ray_nodes > 1:
                raise ConfigError(f"Training on {ray_nodes} nodes needs a Ray cluster: give --ray-address "
                                  "http://HEAD:8265 or set TUNEWISE_RAY_ADDRESS.")
            return self._local
        if kind != "ray":
            raise ConfigError(f"Unknown executor {kind!r}: use local (this machine) or ray (a Ray cluster).")
        if not address:
            raise ConfigError("The ray executor needs the cluster's address: give --ray-address "
                              "http://HEAD:8265 or set TUNEWISE_RAY_ADDRESS.")
        nodes = ray_nodes if ray_nodes is not None else env_int("TUNEWISE_RAY_NODES")
        if nodes == 1:
            return self._ray_executor(address)
        # new jobs over several nodes; the jobs already on this cluster are followed by the per-address one
        return self._attach(RayExecutor(RayExecutor.normalize_address(address), nodes=nodes))

    def _ray_executor(self, address: str) -> Executor:
        """The Ray executor for ``address`` (one per cluster, made on first use)."""
        key = RayExecutor.normalize_address(address)
        return self._ray.get(key) or self._attach(RayExecutor(key))

    def _executor_for(self, job: Job) -> Executor:
        """The executor that runs ``job`` (from its folder's ``executor.json``; none there: local)."""
        record = read_record(job.path)
        if record.kind == "ray" and record.address:
            return self._ray_executor(record.address)
        return self._local

    # -- lifecycle -----------------------------------------------------------------------------
    def submit(self, cfg: RunConfig, owner: str = "local", folder: Path | None = None, *,
               retry_of: str | None = None, launch: Launch | None = None) -> Job:
        """Create a job folder with the resolved config, queue the job and start it if a slot is free.

        Args:
            cfg: The run config.
            owner: The session or user the job belongs to.
            folder: Where the job writes (new or empty; only the command line names one); default ``jobs/<id>``.
            retry_of: The id of the job this one retries.
            launch: How its processes start (default: :func:`~finetune.jobs.executors.launch.plan_launch` on
                this machine; on a Ray cluster the node decides).

        Raises:
            PathError: When ``folder`` is not empty.
            JobError: When the job folder cannot be written (a full disk, no permission), or the executor
                cannot take jobs now (an unreachable Ray cluster).
        """
        return self._submit(cfg, owner, folder, retry_of=retry_of, launch=launch, executor=self.executor)

    def _submit(self, cfg: RunConfig, owner: str, folder: Path | None, *, retry_of: str | None,
                launch: Launch | None, executor: Executor) -> Job:
        executor.check()
        job_id = new_job_id()
        if folder is None:
            folder = jobs_dir() / job_id
        else:
            folder = job_folder(folder)
            if folder.exists() and any(folder.iterdir()):
                raise PathError(f"{folder.name} already holds files; give a new or empty folder for the job.")
        cfg = cfg.model_copy(deep=True)
        cfg.output.dir = str(folder)
        record = executor.record()
        if launch is not None or not executor.remote:
            record.launch = (launch or plan_launch(cfg)).to_dict()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            cfg.save(folder / "config.yaml")
            write_record(folder, record)
        except OSError as exc:
            raise JobError(f"The job folder {folder} could not be written: {describe_failure(exc)}") from exc
        now = time.time()
        job = Job(id=job_id, owner=owner, status="running" if executor.remote else "queued", task=cfg.task,
                  model=cfg.model.name, data=cfg.data.path, folder=str(folder), pid=None, created=now,
                  started=now if executor.remote else None, finished=None, reason=None, exit_code=None, resume=0,
                  cancel_requested=0, retry_of=retry_of, watcher=ME if executor.remote else None)
        self.store.insert(job)
        if executor.remote:  # the cluster queues it: started at once, outside this workspace's queue (and the
            executor.start(job)  # lock: an upload to the cluster must not hold up the reads of other threads)
        self.schedule()
        return self.store.get(job_id) or job

    def schedule(self) -> None:
        """Start queued jobs, oldest first, while fewer than ``max_running`` run (counted over all runners).

        Jobs running on a cluster are not counted: they queue there.
        """
        with self._lock:
            while True:
                remote = sum(self._executor_for(j).remote for j in self.store.list(statuses=("running",)))
                job = self.store.claim_next(self.max_running + remote, watcher=ME)
                if job is None:
                    return
                self._executor_for(job).start(job)

    def reconcile(self) -> None:
        """Settle running jobs that no runner of this process watches, then start queued jobs.

        A training process that is alive is adopted (watched here) unless a live runner elsewhere watches
        it; one that is gone is finished from its events — ``interrupted`` when they do not say it ended.
        Runs at start-up and, rate-limited, on reads, so jobs started by other processes are settled too.
        """
        self._last_reconcile = time.monotonic()
        groups: dict[int, tuple[Executor, list[Job]]] = {}
        for job in self.store.list(statuses=("running",)):
            executor = self._executor_for(job)
            groups.setdefault(id(executor), (executor, []))[1].append(job)
        for executor, jobs in groups.values():
            executor.reconcile(jobs)
        self.schedule()

    def _maybe_reconcile(self) -> None:
        if time.monotonic() - self._last_reconcile >= RECONCILE_EVERY_S:
            self.reconcile()

    # -- user actions ---------------------------------------------------------------------------
    def get(self, job_id: str, owner: str | None = None) -> Job:
        """Return a job visible to ``owner`` (None = any owner).

        Raises:
            JobError: When there is no such job for this owner.
        """
        self._maybe_reconcile()
        job = self.store.get(job_id.strip())
        if job is None or (owner is not None and job.owner != owner):
            raise JobError(f"No job '{job_id}' was found. List your jobs to see their ids.")
        return job

    def list(self, owner: str | None = None) -> list[Job]:
        """Jobs of ``owner`` (all jobs when None), newest first."""
        self._maybe_reconcile()
        return self.store.list(owner=owner)

    def cancel(self, job_id: str, owner: str | None = None, wait: bool = False) -> Job:
        """Cancel a queued job, or stop a running one.

        A running job gets SIGTERM: it finishes its step, writes a checkpoint and exits. Whoever watches
        the process sends SIGKILL if it is still alive ``cancel_grace_s`` seconds later; with ``wait=True``
        this call blocks until the job has ended (and kills it itself when no runner watches it). A job on a
        Ray cluster is stopped through the Ray Jobs API, which sends the same SIGTERM and, after the grace
        period, SIGKILL.

        Raises:
            JobError: When the job is not queued or running, or not ``owner``'s.
        """
        job = self.get(job_id, owner)
        with self._lock:
            if job.status == "queued" and self.store.transition(
                    job.id, {"status": "queued"}, status="cancelled", finished=time.time(),
                    reason="Cancelled before it started."):
                return self.get(job.id)
            job = self.get(job.id)
            if job.status != "running":
                raise JobError(f"Job {job.id} is {job.status}; only queued or running jobs can be cancelled.")
            self.store.update(job.id, cancel_requested=time.time())
        self._executor_for(job).stop(job, wait=wait)
        if wait:
            return self.wait(job.id, timeout=self.cancel_grace_s + 60)
        return self.get(job.id)

    def resume(self, job_id: str, owner: str | None = None) -> Job:
        """Queue a stopped job again; it continues from its last complete checkpoint when one exists.

        Raises:
            JobError: When the job is queued, running or succeeded, or not ``owner``'s.
        """
        job = self.get(job_id, owner)
        executor = self._executor_for(job)
        if executor.remote:
            executor.check()
        with self._lock:
            # a cluster queues the job itself: it goes straight to running, outside this workspace's queue
            changes = {"status": "running", "started": time.time(), "watcher": ME, "pid": None} if executor.remote \
                else {"status": "queued"}
            if not self.store.transition(job.id, {"status": RESUMABLE}, resume=1, cancel_requested=0, reason=None,
                                         finished=None, exit_code=None, **changes):
                raise JobError(f"Job {job.id} is {self.get(job.id).status}; only failed, cancelled or interrupted "
                               "jobs resume.")
        if executor.remote:
            executor.start(self.get(job.id))
        self.schedule()
        return self.get(job.id)

    def retry(self, job_id: str, owner: str | None = None) -> Job:
        """Start a stopped job over as a new job with the same config; the new job names the old in ``retry_of``.

        Unlike ``resume`` it starts from step 0 in a new folder, and the old job's folder stays as it was.

        Raises:
            JobError: When the job is queued, running or succeeded, its config is gone, or it is not ``owner``'s.
        """
        job = self.get(job_id, owner)
        if job.status not in RESUMABLE:
            raise JobError(f"Job {job.id} is {job.status}; only failed, cancelled or interrupted jobs can be retried.")
        config = job.path / "config.yaml"
        if not config.is_file():
            raise JobError(f"Job {job.id} has no config.yaml left in {job.path}; start a new job instead.")
        launch = read_record(job.path).launch  # where the job ran, with the launch it had
        return self._submit(RunConfig.from_yaml(config), job.owner, None, retry_of=job.id,
                            launch=Launch.from_dict(launch) if launch else None, executor=self._executor_for(job))

    def wait(self, job_id: str, timeout: float = 600.0) -> Job:
        """Block until a job leaves the active states (for the CLI and tests).

        Raises:
            JobError: When the job is still active after ``timeout`` seconds.
        """
        deadline = time.time() + timeout
        while time.time() < deadline:
            job = self.get(job_id)
            if job.status not in ACTIVE:
                return job
            time.sleep(0.25)
        raise JobError(f"Job {job_id} is still {self.get(job_id).status} after {timeout:.0f} s.")

    def progress(self, job_id: str, owner: str | None = None) -> Progress:
        """Progress of a job, read incrementally from its events (only new lines are parsed)."""
        job = self.get(job_id, owner)
        reader = self._readers.setdefault(job.id, EventReader(job.path / "events.jsonl"))
        reader.read_new()
        return summarize(job, reader.events)
