"""Run configuration: ``RunConfig`` (``run.py``), the only home of defaults and bounds, and presets.

``run.py`` defines the typed config, its YAML round trip and field lookup by dotted path (what the CLI flags and the
agent's ``start_finetune`` schema are generated from); ``overrides.py`` merges dotted ``key=value`` overrides and
names the closest field on a typo; ``presets/`` holds one YAML preset per task and model family with a registry to
list, show, load and look them up by task and model; ``defaults.py`` gives the default run of a task and model
(its preset, else ``RunConfig``'s defaults) and the estimator's shape of a run. May import ``catalog`` only:
every other part of ``finetune`` and ``assistant`` builds on this.
"""
