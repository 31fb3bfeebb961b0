"""Chat-model backends behind one factory: ``make_chat_model(settings)``.

- ``guide``: the offline guide (default when nothing is configured): no LLM, no network.
- ``openai``: any OpenAI-compatible server (OpenAI, Azure OpenAI, vLLM, Ollama, TGI, llama.cpp server),
  chosen by ``TUNEWISE_LLM_BASE_URL``/``OPENAI_BASE_URL``, ``TUNEWISE_LLM_MODEL`` and the API key.
"""

from __future__ import annotations

from typing import Any

from assistant.settings import Settings
from finetune.errors import ConfigError

BACKENDS = ("guide", "openai")


def make_chat_model(settings: Settings) -> Any:
    """Build the chat model the settings ask for.

    Raises:
        ConfigError: For an unknown backend name.
    """
    if settings.llm_backend == "guide":
        from assistant.offline_guide import OfflineGuide

        return OfflineGuide()
    if settings.llm_backend == "openai":
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(model=settings.llm_model, base_url=settings.llm_base_url,
                          api_key=settings.llm_api_key or "not-needed", temperature=0, timeout=120, max_retries=1)
    raise ConfigError(f"TUNEWISE_LLM={settings.llm_backend!r} is not a backend; use one of {', '.join(BACKENDS)}.")


def describe_backend(settings: Settings) -> str:
    """One line for the UI banner: which backend answers (never the key)."""
    if settings.llm_backend == "guide":
        return "Offline guide (built-in, deterministic; no LLM or network needed)"
    return f"{settings.llm_model} via {settings.llm_base_url or 'the OpenAI API'}"
