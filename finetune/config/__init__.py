"""Run configuration: ``RunConfig`` (``run.py``), the only home of defaults and bounds, and presets.

``run.py`` defines the typed config and its YAML round trip; ``presets/`` holds one YAML preset per task
and model family with a registry to list, show and load them. May import ``catalog`` (schema and errors)
only: every other part of ``finetune`` and ``assistant`` builds on this.
"""
