"""Entry point of the web app, locally (``make run`` / ``tunewise ui``) and on a Hugging Face Space.

Spaces run this file directly; ``GRADIO_SERVER_NAME`` / ``GRADIO_SERVER_PORT`` set host and port there.
"""

from __future__ import annotations

import logging
import os


def quiet_libraries() -> None:
    """Keep model-loading progress bars and load reports out of the server log."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except ImportError:  # transformers is a dependency; this only guards odd installs
        pass


def build_app():  # noqa: ANN201 (gradio is imported lazily)
    """Build the Gradio app with settings from the environment."""
    from finetune.workspace import workspace_root

    # Gradio keeps uploads in its temp dir before we copy them: keep that inside the workspace too.
    os.environ.setdefault("GRADIO_TEMP_DIR", str(workspace_root() / "tmp" / "gradio"))
    from assistant.settings import Settings
    from assistant.ui.page import build_ui

    settings = Settings.from_env()
    quiet_libraries()
    return build_ui(settings=settings)


def launch(host: str | None = None, port: int | None = None, share: bool = False) -> None:
    """Build and serve the app (blocks until interrupted)."""
    from assistant.ui.page import CSS
    from finetune.redact import install_log_redaction

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_redaction()
    demo = build_app()
    host = host or os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")
    port = port or int(os.environ.get("GRADIO_SERVER_PORT", "7860"))
    demo.launch(server_name=host, server_port=port, share=share, show_error=False, css=CSS,
                footer_links=[], ssr_mode=False)


if __name__ == "__main__":
    launch()
