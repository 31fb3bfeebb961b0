"""Runtime settings built from the environment, and the one-time offline detection.

Every ``TUNEWISE_*`` variable is parsed by :mod:`catalog.env` (its table gives each one's type, default and
meaning). This module adds the other variables it needs: ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` (read when
``TUNEWISE_LLM_BASE_URL`` / ``TUNEWISE_LLM_API_KEY`` are unset), ``AZURE_OPENAI_ENDPOINT`` /
``AZURE_OPENAI_API_KEY`` / ``OPENAI_API_VERSION`` (Azure OpenAI resource, key and API version, default
``2024-10-21``) and ``SPACE_ID``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from catalog.env import env_bool, env_str

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
        """Read the settings from the environment (see :mod:`catalog.env` for the ``TUNEWISE_*`` variables).

        Raises:
            ConfigError: When a ``TUNEWISE_*`` variable has a bad value.
        """
        env = os.environ
        azure = env.get("AZURE_OPENAI_ENDPOINT")
        key = env_str("TUNEWISE_LLM_API_KEY") or env.get("OPENAI_API_KEY")
        base_url = env_str("TUNEWISE_LLM_BASE_URL") or env.get("OPENAI_BASE_URL")
        backend = env_str("TUNEWISE_LLM") or default_backend(azure=bool(azure), remote=bool(key or base_url))
        if backend == "azure":
            key = env.get("AZURE_OPENAI_API_KEY") or key
            base_url = azure or base_url
        default_model = LOCAL_DEFAULT_MODEL if backend == "local" else cls.llm_model
        return cls(
            llm_backend=backend,
            llm_model=env_str("TUNEWISE_LLM_MODEL") or default_model,
            llm_base_url=base_url,
            llm_api_key=key,
            llm_api_version=env.get("OPENAI_API_VERSION") or cls.llm_api_version,
            single_user=env_bool("TUNEWISE_SINGLE_USER"),
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
    from catalog.availability import hub_reachable

    offline = not hub_reachable()  # False at once when HF_HUB_OFFLINE or TUNEWISE_OFFLINE asks for offline
    if offline:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        os.environ["HF_DATASETS_OFFLINE"] = "1"
    return offline
