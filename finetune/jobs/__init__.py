"""Background jobs: the job store, the queue and its runner, the training processes, and finding a job.

``store.py`` keeps job records (SQLite, WAL), ``runner.py`` is the queue and the user's actions (submit,
cancel, resume, retry, progress), ``supervisor.py`` starts, watches and settles the training processes,
``status.py`` turns an exit and events into a status, a reason and progress, ``folder.py`` reads a job
folder (checkpoints, logs, a full disk), ``processes.py`` holds the operating-system side (memory cap,
process groups, liveness, OOM kills) and ``refs.py`` finds a job folder from an id or a path. May import
``finetune.train.events`` and ``finetune.train.outcome`` (never the trainer itself: listing jobs must not
load torch), ``finetune.config``, ``finetune.redact``, ``finetune.workspace`` and ``catalog``.
``executors/`` runs a job where it should: ``local`` (one process, or one per GPU through ``accelerate
launch``: DDP, or FSDP-QLoRA when the model does not fit one GPU) or ``ray`` (the Ray Jobs API).
"""
