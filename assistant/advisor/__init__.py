"""The advisor: should this team fine-tune, prompt, or retrieve (RAG) — and with which model?

``advise.py`` combines the parts into an :class:`~assistant.advisor.advise.Advice`; ``signals.py`` reads a
description (regex tables in ``patterns.py``), ``factors.py`` weighs each signal, ``models.py`` picks catalog
models. Pure and fast: no model is loaded. May import ``catalog`` (and ``finetune`` for evidence); never the
UI, the CLI, the guide or the tools.
"""
