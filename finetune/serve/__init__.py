"""Serving a job: base and tuned side by side from one model, comparison, blind A/B and an OpenAI endpoint.

``pair.py`` (the model pair, cached per job; what differs per task comes from the job's recipe in
``finetune.tasks``), ``loading.py`` (load-time guards and quiet logs), ``outputs.py`` (output values and
streamed generations), ``compare.py`` (base vs tuned scored on held-out data or a file), ``ab.py`` (blind
votes), ``openai/`` (the OpenAI-compatible server). Within the package imports run down: ``compare`` ->
``pair`` -> ``loading`` / ``outputs``. May import ``finetune.train`` (model loading), ``finetune.tasks``,
``finetune.data``, ``finetune.config``, ``finetune.workspace`` and ``catalog``.
"""
