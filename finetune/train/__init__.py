"""Training: the entry point ``python -m finetune.train CONFIG`` and what it is built from.

``main.py`` (setup, fit, save, validate), ``model.py`` (4-bit base + LoRA), ``distributed.py`` (multi-process
launches), ``callbacks.py`` and ``events.py`` (the job's progress log), ``outcome.py`` (exit codes and
readable failure reasons). May import ``finetune.config``, ``finetune.data``, ``finetune.tasks``,
``finetune.export`` (the model card) and ``catalog``; never jobs or serving.
"""
