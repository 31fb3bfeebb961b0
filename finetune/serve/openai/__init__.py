"""An OpenAI-compatible HTTP endpoint for one job's base and tuned model.

``protocol.py`` validates requests and shapes responses and stream chunks; ``app.py`` is the FastAPI app
and ``tunewise serve``'s server. May import ``finetune.serve`` and ``finetune.config``.
"""
