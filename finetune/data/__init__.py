"""Dataset intake: read the files people have, detect the task and columns, validate, report.

``readers`` / ``text_formats`` read files into raw records, ``layouts.py`` detects the task and each
column's role and builds canonical records, ``checks.py`` validates rows and whole files, ``intake.py``
ties them into a report or the loaded records. May import ``finetune.config``, ``finetune.workspace`` and
``catalog``; never training, serving or jobs.
"""
