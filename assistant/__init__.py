"""The conversation: agent, LLM backends, advisor, offline guide, tools, web page, command line and Space.

Top-level modules: ``agent`` (the LangChain agent loop), ``llm`` / ``local_llm`` (chat-model backends),
``session`` (per-conversation state and job limits), ``settings`` (the app's settings, built from
:mod:`catalog.env`, and the one-time offline check).
Subpackages: ``advisor/`` (fine-tune, prompt or RAG?), ``guide/`` (the offline guide), ``tools/`` (the agent's
tools and what they do), ``ui/`` (the Gradio page), ``cli/`` (the ``tunewise`` command), ``space/`` (Hugging
Face Spaces). May import ``catalog`` and ``finetune``; nothing below imports this package.
"""
