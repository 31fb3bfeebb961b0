"""Keep secrets out of logs, events, transcripts and job folders.

Two sources of truth: the values of the environment variables that hold secrets (whatever they look
like), and the shapes of well-known tokens (Hugging Face ``hf_…``, OpenAI ``sk-…``, GitHub, AWS access
keys, ``Bearer …`` headers, ``api_key=…`` assignments). ``redact`` replaces both with ``MASK``.
"""

from __future__ import annotations

import logging
import os
import re

#: Environment variables whose values are secrets.
SECRET_ENV = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACEHUB_API_TOKEN", "OPENAI_API_KEY",
              "TUNEWISE_LLM_API_KEY", "AZURE_OPENAI_API_KEY", "ANTHROPIC_API_KEY", "WANDB_API_KEY", "GITHUB_TOKEN",
              "AWS_SECRET_ACCESS_KEY")
#: Variables the training subprocess gets none of (it needs the Hub token for gated models, not these).
CHILD_DROP_ENV = ("OPENAI_API_KEY", "TUNEWISE_LLM_API_KEY", "AZURE_OPENAI_API_KEY", "ANTHROPIC_API_KEY",
                  "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY")
MASK = "[secret removed]"
_SHAPES = re.compile(
    r"\bhf_[A-Za-z0-9]{20,}"
    r"|\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}"
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}"
    r"|\bgithub_pat_[A-Za-z0-9_]{30,}"
    r"|\bAKIA[0-9A-Z]{16}\b"
    r"|(?<=Bearer )[A-Za-z0-9._~+/=-]{8,}"
    r"|(?i:(?<=api[_-]key=)|(?<=api[_-]key: )|(?<=token=)|(?<=password=))[^\s&\"',;]{6,}"
)
_MIN_SECRET = 8  # shorter env values ("1", "x") are not masked: they would garble ordinary text


def _env_secrets() -> list[str]:
    values = {os.environ.get(name, "").strip() for name in SECRET_ENV}
    return sorted((v for v in values if len(v) >= _MIN_SECRET), key=len, reverse=True)


def redact(text: str) -> str:
    """``text`` with every secret value and token-shaped string replaced by ``[redacted]``."""
    if not text:
        return text
    for value in _env_secrets():
        text = text.replace(value, MASK)
    return _SHAPES.sub(MASK, text)


def child_env(env: dict[str, str]) -> dict[str, str]:
    """A copy of ``env`` without the LLM / service keys a training process has no use for."""
    return {k: v for k, v in env.items() if k not in CHILD_DROP_ENV}


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in each record's final message (arguments included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            text = redact(str(record.exc_info[1]))
            if text != str(record.exc_info[1]):
                record.exc_text = MASK + " (exception text held a secret)"
                record.exc_info = None
        return True


def install_log_redaction() -> None:
    """Add the redacting filter to every handler of the root logger (once each)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
