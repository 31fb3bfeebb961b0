"""Runtime settings from environment variables, and the one-time offline detection.

| variable | meaning |
|---|---|
| ``TUNEWISE_HOME`` | workspace directory (default ``~/.tunewise``) |
| ``TUNEWISE_LLM`` | ``guide`` (offline guide), ``openai`` (any OpenAI-compatible server); default: openai when a key or base URL is set, else guide |
| ``TUNEWISE_LLM_MODEL`` | model name for the OpenAI-compatible backend (default ``gpt-4o-mini``) |
| ``OPENAI_BASE_URL`` / ``TUNEWISE_LLM_BASE_URL`` | base URL of an OpenAI-compatible server (vLLM, Ollama, TGI, llama.cpp) |
| ``OPENAI_API_KEY`` / ``TUNEWISE_LLM_API_KEY`` | its key (never logged) |
| ``TUNEWISE_SINGLE_USER`` | ``1``: every session sees every job (local use); default ``1`` locally |
| ``TUNEWISE_OFFLINE`` | ``1``: never try the network (sets ``HF_HUB_OFFLINE=1``) |
| ``TUNEWISE_MAX_JOBS`` | training jobs that run at once (default 1) |
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class Settings:
    """What the app and CLI read from the environment (secrets kept out of ``repr``)."""

    llm_backend: str = "guide"
    llm_model: str = "gpt-4o-mini"
    llm_base_url: str | None = None
    llm_api_key: str | None = field(default=None, repr=False)
    single_user: bool = True
    offline: bool = True

    @classmethod
    def from_env(cls) -> Settings:
        """Read the settings from the environment variables documented in this module."""
        key = os.environ.get("TUNEWISE_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY")
        base_url = os.environ.get("TUNEWISE_LLM_BASE_URL") or os.environ.get("OPENAI_BASE_URL")
        backend = os.environ.get("TUNEWISE_LLM") or ("openai" if key or base_url else "guide")
        return cls(
            llm_backend=backend.strip().lower(),
            llm_model=os.environ.get("TUNEWISE_LLM_MODEL", "gpt-4o-mini"),
            llm_base_url=base_url,
            llm_api_key=key,
            single_user=os.environ.get("TUNEWISE_SINGLE_USER", "1") not in ("0", "false", "no"),
            offline=configure_offline(),
        )


def configure_offline() -> bool:
    """Decide once whether model hubs are reachable; when not, switch the HF libraries to offline mode.

    Also turns Gradio's analytics off so nothing waits on a request that cannot succeed.

    Returns:
        True when running offline.
    """
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    if os.environ.get("TUNEWISE_OFFLINE", "") in ("1", "true", "yes") or os.environ.get("HF_HUB_OFFLINE") == "1":
        offline = True
    else:
        from catalog.availability import hub_reachable

        offline = not hub_reachable()
    if offline:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        os.environ["HF_DATASETS_OFFLINE"] = "1"
    return offline
