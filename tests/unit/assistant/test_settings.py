"""The assistant's settings and per-conversation limits come from catalog.env: bad values are clear errors."""

from __future__ import annotations

import pytest

from assistant.session import session_job_limits
from assistant.settings import Settings
from catalog.errors import ConfigError


def test_settings_read_the_switches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNEWISE_SINGLE_USER", "off")
    monkeypatch.setenv("TUNEWISE_LLM_MODEL", "  ")  # empty counts as unset
    settings = Settings.from_env()
    assert settings.single_user is False and settings.llm_model == "gpt-4o-mini" and settings.offline


@pytest.mark.parametrize(("name", "value"), [("TUNEWISE_SINGLE_USER", "sometimes"), ("TUNEWISE_LLM", "gpt"),
                                             ("TUNEWISE_OFFLINE", "please")])
def test_a_bad_setting_names_the_variable(name: str, value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"{name}='{value}'"):
        Settings.from_env()


def test_session_job_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TUNEWISE_SESSION_ACTIVE_JOBS", raising=False)
    monkeypatch.delenv("TUNEWISE_SESSION_MAX_JOBS", raising=False)
    assert session_job_limits() == (2, 10)
    monkeypatch.setenv("TUNEWISE_SESSION_MAX_JOBS", "4")
    assert session_job_limits() == (2, 4)
    monkeypatch.setenv("TUNEWISE_SESSION_ACTIVE_JOBS", "two")
    with pytest.raises(ConfigError, match="TUNEWISE_SESSION_ACTIVE_JOBS='two' is not a whole number"):
        session_job_limits()
