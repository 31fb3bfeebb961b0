"""Executors: where a job's training runs — on this machine (``local``) or on a Ray cluster (``ray``).

``base.py`` is the interface the runner drives (start, stop, reconcile) and the record in each job folder of
which executor runs the job (``executor.json``); ``launch.py`` decides how a job's processes start (one
process, DDP or FSDP-QLoRA over the GPUs, and why); ``local.py`` runs jobs here through
:class:`finetune.jobs.supervisor.Supervisor`; ``ray.py`` submits them through the Ray Jobs API and watches
them; ``ray_entry.py`` is what runs on the Ray node, and ``ray_stream.py`` the line protocol by which a Ray
job's events, checkpoints and results come back through its log. May import ``finetune.jobs.store``,
``.status``, ``.folder``, ``.processes`` and ``.supervisor``, ``finetune.train.distributed`` (launch helpers,
no torch), ``finetune.train.events`` and ``.outcome``, ``finetune.train.model`` (only where a model folder is
found), ``finetune.config``, ``finetune.redact``, ``finetune.workspace`` and ``catalog``; never the runner
(it drives them). ``ray`` itself is imported only inside the Ray executor's functions: it is an optional extra.
"""
