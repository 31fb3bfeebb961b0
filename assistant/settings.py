"""Runtime settings from environment variables, and the one-time offline detection.

| variable | meaning |
|---|---|
| ``TUNEWISE_HOME`` | workspace directory (default ``~/.tunewise``) |
| ``TUNEWISE_LLM`` | ``guide`` (offline guide), ``openai`` (any OpenAI-compatible server), ``azure`` (Azure OpenAI), ``local`` (a transformers chat model in this process); default: azure when ``AZURE_OPENAI_ENDPOINT`` is set, openai when a key or base URL is set, local on a GPU Space, else guide |
| ``TUNEWISE_LLM_MODEL`` | model name (OpenAI-compatible), deployment name (Azure) or Hub id / folder (local); defaults ``gpt-4o-mini`` / ``Qwen/Qwen2.5-1.5B-Instruct`` for local |
| ``OPENAI_BASE_URL`` / ``TUNEWISE_LLM_BASE_URL`` | base URL of an OpenAI-compatible server (vLLM, Ollama, TGI, llama.cpp) |
| ``OPENAI_API_KEY`` / ``TUNEWISE_LLM_API_KEY`` | its key (never logged) |
| ``AZURE_OPENAI_ENDPOINT`` / ``AZURE_OPENAI_API_KEY`` / ``OPENAI_API_VERSION`` | Azure OpenAI resource, key and API version (default ``2024-10-21``) |
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
    llm_api_version: str = "2024-10-21"
    single_user: bool = True
    offline: bool = True

    @classmethod
    def from_env(cls) -> Settings:
        """Read the settings from the environment variables documented in this module."""
        env = os.environ
        azure = env.get("AZURE_OPENAI_ENDPOINT")
        key = env.get("TUNEWISE_LLM_API_KEY") or env.get("OPENAI_API_KEY")
        base_url = env.get("TUNEWISE_LLM_BASE_URL") or env.get("OPENAI_BASE_URL")
        backend = (env.get("TUNEWISE_LLM") or default_backend(azure=bool(azure), remote=bool(key or base_url)))
        backend = backend.strip().lower()
        if backend == "azure":
            key = env.get("AZURE_OPENAI_API_KEY") or key
            base_url = azure or base_url
        default_model = LOCAL_DEFAULT_MODEL if backend == "local" else "gpt-4o-mini"
        return cls(
            llm_backend=backend,
            llm_model=env.get("TUNEWISE_LLM_MODEL", default_model),
            llm_base_url=base_url,
            llm_api_key=key,
            llm_api_version=env.get("OPENAI_API_VERSION", "2024-10-21"),
            single_user=os.environ.get("TUNEWISE_SINGLE_USER", "1") not in ("0", "false", "no"),
            offline=configure_offline(),
        )


#: The local chat model on a GPU Space when nothing else is configured: small, tool-calling, Apache-2.0.
LOCAL_DEFAULT_MODEL = "Qwen/Qwen2.5-1.5B-Instruct"


def default_backend(*, azure: bool, remote: bool) -> str:
    """The backend when ``TUNEWISE_LLM`` is unset: a configured server first, then a local model on a
    Space with a GPU, else the offline guide."""
    if azure:
        return "azure"
    if remote:
        return "openai"
    if os.environ.get("SPACE_ID") and _cuda():
        return "local"
    return "guide"


def _cuda() -> bool:
    try:
        import torch
    except ImportError:  # torch is a dependency; this only guards odd installs
        return False
    return bool(torch.cuda.is_available())


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
