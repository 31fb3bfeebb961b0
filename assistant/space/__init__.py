"""Hugging Face Spaces: build a deployable Space folder, deploy it, and run the app on a Space.

``build.py`` assembles and uploads the folder, ``files.py`` writes its README front matter, requirements and
hardware profiles, ``runtime.py`` adapts the running app to a Space (storage, sign-in owners, ZeroGPU,
CPU limits). May import ``catalog`` and ``finetune``; never the UI or the CLI.
"""
