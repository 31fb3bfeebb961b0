"""Dataset intake: read the files people have, detect the task and columns, validate, report, split.

``readers/`` reads files and folders into raw records (one module per format family; ``open_data`` and
``preview_records`` are its entry points), ``layouts.py`` detects the task and each column's role,
``canonical.py`` builds each task's canonical record, ``row_checks.py`` and ``file_checks.py`` validate
single rows and whole files, ``report.py`` holds what they report (``Problem``, ``DatasetReport``) and
``intake.py`` ties them together (``inspect_data``, ``load_data``, ``inspect_and_load``). ``splits.py``
splits records into train / held-out parts and ``classification_split.py`` gives a classification dataset
as train and held-out texts. May import ``finetune.config`` and ``catalog``; never tasks, training,
serving or jobs.
"""
