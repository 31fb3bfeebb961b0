"""The agent's tools: LangChain tool objects with generated argument schemas, and what they do.

``toolkit.py`` builds the tools (thin validation, errors as short tool messages); ``actions.py`` does the
work by calling plain ``catalog`` / ``finetune`` functions; ``plan_checks.py`` checks a fine-tuning plan
before it may start. May import ``assistant.advisor``, ``assistant.session``, ``catalog`` and ``finetune``.
"""
