"""The advisor: should this team fine-tune, prompt, or retrieve (RAG) — and with which model?

``advise.py`` combines the parts into an :class:`~assistant.advisor.advise.Advice`; ``signals.py`` reads a
description (regex tables in ``patterns.py``), ``inputs.py`` holds the dataset profile and measured evidence,
``factors.py`` weighs each signal, ``models.py`` picks catalog models. Pure and fast: no model is loaded.
May import ``catalog`` only (the tools measure the evidence, with ``finetune``); never the UI, the CLI, the
guide or the tools.
"""
