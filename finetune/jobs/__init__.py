"""Background jobs: the SQLite store, the runner that starts training processes, and process control.

``store.py`` keeps job records (WAL), ``runner.py`` starts, watches, cancels, resumes and retries jobs,
``processes.py`` holds the operating-system side (limits, memory cap, process groups). May import
``finetune.train`` (its events and exit codes), ``finetune.config``, ``finetune.workspace`` and ``catalog``.
"""
