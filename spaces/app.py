"""tunewise on a Hugging Face Space: the Space runs this file (``app_file: app.py``).

``tunewise space build`` copies it to the root of the Space folder, next to the project's packages
(``assistant/``, ``catalog/``, ``finetune/``) and the project's own entry point, renamed ``tunewise_app.py``.
The Space set-up comes first: ZeroGPU's ``spaces`` package must be imported before torch touches CUDA,
and the workspace must point at persistent storage before anything opens the job database.
"""

from __future__ import annotations

from assistant.space.runtime import configure_space

RUNTIME = configure_space()

from tunewise_app import launch  # noqa: E402 (after the Space set-up, on purpose)

if __name__ == "__main__":
    launch()
