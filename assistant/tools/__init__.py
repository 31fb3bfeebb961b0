"""The agent's tools: LangChain tool objects with generated argument schemas, and what they do.

``schemas.py`` holds the argument schemas (``start_finetune``'s generated from ``RunConfig``) and turns a
``start_finetune`` call into a run config that starts from its preset; ``toolkit.py`` builds the tools (thin
validation, errors as short tool messages) over ``actions.py``, which does the work by calling plain ``catalog`` /
``finetune`` functions; ``estimates.py`` sizes runs for the estimate tool, the Catalog tab and the plan;
``plan_checks.py`` checks a fine-tuning plan before it may start. Imports run toolkit -> actions -> estimates /
plan_checks -> schemas. May import ``assistant.advisor``, ``assistant.session``, ``catalog`` and ``finetune``.
"""
