"""Chat-model backends behind one factory: ``make_chat_model(settings)``.

- ``guide``: the offline guide (default when nothing is configured): no LLM, no network.
- ``openai``: any OpenAI-compatible server (OpenAI, vLLM, Ollama, TGI, llama.cpp server, ``tunewise
  serve``), chosen by ``TUNEWISE_LLM_BASE_URL``/``OPENAI_BASE_URL``, ``TUNEWISE_LLM_MODEL`` and the key.
- ``azure``: Azure OpenAI (``AZURE_OPENAI_ENDPOINT``, ``AZURE_OPENAI_API_KEY``, ``OPENAI_API_VERSION``;
  ``TUNEWISE_LLM_MODEL`` is the deployment name).
- ``local``: a transformers chat model loaded in this process, tools through its chat template
  (default on a Space with a GPU).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from assistant.settings import Settings
from catalog.env import VARIABLES
from catalog.errors import ConfigError

#: The backends ``TUNEWISE_LLM`` may name (the choices of its entry in :mod:`catalog.env`).
BACKENDS = VARIABLES["TUNEWISE_LLM"].choices
TIMEOUT_S = 120


def make_chat_model(settings: Settings) -> Any:
    """Build the chat model the settings ask for.

    Raises:
        ConfigError: For an unknown backend name, or one that lacks what it needs.
    """
    backend = settings.llm_backend
    if backend == "guide":
        from assistant.guide.model import OfflineGuide

        return OfflineGuide()
    if backend == "openai":
        from langchain_openai import ChatOpenAI

        _check_url(settings.llm_base_url, "TUNEWISE_LLM_BASE_URL")
        return ChatOpenAI(model=settings.llm_model, base_url=settings.llm_base_url,
                          api_key=settings.llm_api_key or "not-needed", temperature=0, timeout=TIMEOUT_S,
                          max_retries=1, stream_usage=True)
    if backend == "azure":
        from langchain_openai import AzureChatOpenAI

        if not settings.llm_base_url:
            raise ConfigError("TUNEWISE_LLM=azure needs AZURE_OPENAI_ENDPOINT (https://<resource>.openai.azure.com).")
        if not settings.llm_api_key:
            raise ConfigError("TUNEWISE_LLM=azure needs AZURE_OPENAI_API_KEY.")
        _check_url(settings.llm_base_url, "AZURE_OPENAI_ENDPOINT")
        return AzureChatOpenAI(azure_endpoint=settings.llm_base_url, azure_deployment=settings.llm_model,
                               api_key=settings.llm_api_key, api_version=settings.llm_api_version,
                               temperature=0, timeout=TIMEOUT_S, max_retries=1)
    if backend == "local":
        from assistant.local_llm import LocalChatModel

        return LocalChatModel(model_id=settings.llm_model)
    raise ConfigError(f"TUNEWISE_LLM={backend!r} is not a backend; use one of {', '.join(BACKENDS)}.")


def _check_url(url: str | None, name: str) -> None:
    if url is None:
        return
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"{name}={url!r} is not an http(s) URL; give e.g. http://127.0.0.1:8000/v1.")


def describe_backend(settings: Settings) -> str:
    """One line for the UI banner: which backend answers (never the key)."""
    if settings.llm_backend == "guide":
        return "Offline guide (built-in, deterministic; no LLM or network needed)"
    if settings.llm_backend == "local":
        return f"{settings.llm_model} (local transformers model in this process)"
    if settings.llm_backend == "azure":
        return f"{settings.llm_model} via Azure OpenAI ({urlparse(settings.llm_base_url or '').netloc})"
    return f"{settings.llm_model} via {settings.llm_base_url or 'the OpenAI API'}"
