"""Serving a job: base and tuned side by side from one model, comparison, blind A/B and an OpenAI endpoint.

``pair.py`` (the model pair), ``outputs.py`` (task outputs and streaming), ``compare.py`` (base vs tuned on
held-out data), ``ab.py`` (blind votes), ``openai/`` (the OpenAI-compatible server). May import
``finetune.train`` (model loading), ``finetune.tasks``, ``finetune.data``, ``finetune.config`` and ``catalog``.
"""
