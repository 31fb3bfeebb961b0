"""Dataset intake: read the files people have, detect the task and columns, validate, report, split.

``readers/`` reads files and folders into raw records (one module per format family, compressed files and
parallel text files included; ``open_data`` and ``preview_records`` are its entry points), ``regroup.py`` turns
examples that span several rows (a token or a message per row) into one record each, ``columns.py`` holds the
column names of each role in public datasets, ``layouts.py`` detects the task and each column's role, ``shapes.py``
turns the value shapes datasets use (lists as text, span entities, conversation variants, QA contexts and answers)
into intake's own, ``canonical.py`` builds each task's canonical record, ``row_checks.py`` and ``file_checks.py``
validate single rows and whole files, ``report.py`` holds what they report (``Problem``, ``DatasetReport``) and
``intake.py`` ties them together (``inspect_data``, ``load_data``, ``inspect_and_load``). ``splits.py``
splits records into train / held-out parts and ``classification_split.py`` gives a classification dataset
as train and held-out texts. May import ``finetune.config`` and ``catalog``; never tasks, training,
serving or jobs.
"""
