"""Every ``TUNEWISE_*`` environment variable, in one table, and the typed accessors that read them.

The table :data:`VARIABLES` gives each variable's type, default, bounds or choices and a one-line meaning
(README's Configuration table says the same for users). Code never reads a ``TUNEWISE_*`` variable from
``os.environ`` itself: it calls :func:`env_str`, :func:`env_int`, :func:`env_float`, :func:`env_bool`,
:func:`env_path` or :func:`env_paths`, which parse the value and raise a :class:`~catalog.errors.ConfigError` that names the
variable, the bad value and what is expected. An empty value counts as unset. Asking for a name that is not
in the table is a programming error (``KeyError``).

This module lives in ``catalog`` (the ground floor) so that ``finetune`` and ``assistant`` can both use it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from catalog.errors import ConfigError

Kind = Literal["str", "choice", "int", "float", "bool", "path", "paths"]

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class EnvVar:
    """One environment variable: how to parse it and what it means."""

    name: str
    kind: Kind
    default: str | int | float | bool | None
    """The value when unset. Only text variables may have none (unset: "not configured", and the meaning says
    what happens then)."""
    meaning: str
    """One line for users."""
    minimum: float | None = None
    """Smallest allowed value of an ``int`` (inclusive) or ``float`` (exclusive: above it)."""
    choices: tuple[str, ...] = ()
    """Allowed values of a ``choice`` (compared case-insensitively)."""
    expects: str = ""
    """What a good value is, for error messages, e.g. "a number of jobs such as 1"."""


VARIABLES: dict[str, EnvVar] = {v.name: v for v in (
    EnvVar("TUNEWISE_HOME", "path", "~/.tunewise",
           "workspace: uploads, jobs, the SQLite job store; nothing is written to the source tree",
           expects="a folder such as ~/.tunewise"),
    EnvVar("TUNEWISE_DATA_DIRS", "paths", None,
           "extra folders the web page and the agent's tools may read datasets from (never write), separated by "
           f"'{os.pathsep}'; the command line reads any path anyway", expects=f"folders such as /data{os.pathsep}~/datasets"),
    EnvVar("TUNEWISE_LLM", "choice", None,
           "which assistant answers; unset: azure when AZURE_OPENAI_ENDPOINT is set, openai when a key or base "
           "URL is set, local on a Hugging Face Space with a GPU, else guide",
           choices=("guide", "openai", "azure", "local")),
    EnvVar("TUNEWISE_LLM_MODEL", "str", None,
           "model name on the server, Azure deployment name, or Hub id / folder for local "
           "(unset: gpt-4o-mini; Qwen/Qwen2.5-1.5B-Instruct for local)",
           expects="a model name such as gpt-4o-mini"),
    EnvVar("TUNEWISE_LLM_BASE_URL", "str", None,
           "base URL of an OpenAI-compatible server (also read from OPENAI_BASE_URL)",
           expects="a URL such as http://127.0.0.1:8000/v1"),
    EnvVar("TUNEWISE_LLM_API_KEY", "str", None,
           "the server's key (also read from OPENAI_API_KEY); masked in logs, kept from training processes",
           expects="the key"),
    EnvVar("TUNEWISE_SINGLE_USER", "bool", True,
           "1: every browser session sees every job; 0: sessions see only their own uploads and jobs"),
    EnvVar("TUNEWISE_OFFLINE", "bool", False,
           "1: never try the network (otherwise one 1.5 s check decides, then HF_HUB_OFFLINE=1 is set)"),
    EnvVar("TUNEWISE_MAX_JOBS", "int", 1, "training jobs that run at once (the others queue)",
           minimum=1, expects="a number of jobs such as 1"),
    EnvVar("TUNEWISE_JOB_MEMORY_MB", "int", 0,
           "address-space cap of each training process in MiB (0: no cap); a job over it fails with "
           "'Out of memory'", minimum=0, expects="a number of MiB such as 8192"),
    EnvVar("TUNEWISE_CANCEL_GRACE_S", "float", 30.0,
           "seconds a cancelled job gets to checkpoint and stop before it is killed",
           minimum=0, expects="a number of seconds such as 30"),
    EnvVar("TUNEWISE_MAX_DATA_MB", "float", 1024.0, "largest dataset file read, in MB",
           minimum=0, expects="a number of MB such as 1024"),
    EnvVar("TUNEWISE_SERVE_CACHE", "int", 2, "base+adapter model pairs kept loaded for comparison and serving",
           minimum=1, expects="a number of models such as 2"),
    EnvVar("TUNEWISE_SESSION_ACTIVE_JOBS", "int", 2, "jobs one conversation may have queued or running at once",
           minimum=1, expects="a number of jobs such as 2"),
    EnvVar("TUNEWISE_SESSION_MAX_JOBS", "int", 10, "jobs one conversation may start in all",
           minimum=1, expects="a number of jobs such as 10"),
    EnvVar("TUNEWISE_RAY_ADDRESS", "str", None,
           "a Ray cluster's dashboard (Jobs API) address; when set, jobs from the page, the agent and "
           "`tunewise train` run there (unset: on this machine)",
           expects="a URL such as http://127.0.0.1:8265"),
    EnvVar("TUNEWISE_RAY_NODES", "int", 1,
           "nodes of the Ray cluster each new job trains on (more than 1: Ray Train workers, one per GPU, DDP)",
           minimum=1, expects="a number of nodes such as 2"),
    EnvVar("TUNEWISE_RAY_SCHEDULE_TIMEOUT_S", "float", 600.0,
           "seconds a job over several Ray nodes waits for the cluster to start its workers before it fails",
           minimum=1, expects="a number of seconds such as 600"),
)}


def _raw(name: str, kinds: tuple[Kind, ...], environ: Mapping[str, str] | None) -> tuple[EnvVar, str | None]:
    """The variable's table entry and its stripped value (None when unset or empty)."""
    var = VARIABLES[name]  # an unknown name is a programming error: KeyError
    if var.kind not in kinds:
        reader = "env_str" if var.kind == "choice" else f"env_{var.kind}"
        raise TypeError(f"{name} is of kind {var.kind!r}: read it with {reader}")
    text = (environ if environ is not None else os.environ).get(name, "").strip()
    return var, text or None


def _problem(var: EnvVar, text: str, what: str) -> ConfigError:
    return ConfigError(f"{var.name}={text!r} {what}: set it to {var.expects} or unset it.")


def env_str(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """A text variable, or a choice (returned in lower case).

    Args:
        name: A variable of :data:`VARIABLES` of kind ``str`` or ``choice``.
        environ: Where to read it (default ``os.environ``).

    Returns:
        The value, or the table's default when unset.

    Raises:
        ConfigError: When a choice is set to something else.
    """
    var, text = _raw(name, ("str", "choice"), environ)
    if text is None:
        return None if var.default is None else str(var.default)
    if var.choices:
        if text.lower() not in var.choices:
            raise ConfigError(f"{name}={text!r} is not one of {', '.join(var.choices)}: set it to one of them "
                              "or unset it.")
        return text.lower()
    return text


def env_int(name: str, environ: Mapping[str, str] | None = None) -> int:
    """A whole-number variable.

    Args:
        name: A variable of :data:`VARIABLES` of kind ``int``.
        environ: Where to read it (default ``os.environ``).

    Returns:
        The value, or the table's default when unset.

    Raises:
        ConfigError: When the value is not a whole number or is below the variable's minimum.
    """
    var, text = _raw(name, ("int",), environ)
    if text is None:
        return int(var.default or 0)
    try:
        value = int(text)
    except ValueError:
        raise _problem(var, text, "is not a whole number") from None
    if var.minimum is not None and value < var.minimum:
        raise _problem(var, text, f"is less than {var.minimum:g}")
    return value


def env_float(name: str, environ: Mapping[str, str] | None = None) -> float:
    """A number variable.

    Args:
        name: A variable of :data:`VARIABLES` of kind ``float``.
        environ: Where to read it (default ``os.environ``).

    Returns:
        The value, or the table's default when unset.

    Raises:
        ConfigError: When the value is not a finite number or is not above the variable's minimum.
    """
    var, text = _raw(name, ("float",), environ)
    if text is None:
        return float(var.default or 0)
    try:
        value = float(text)
    except ValueError:
        raise _problem(var, text, "is not a number") from None
    if not math.isfinite(value):
        raise _problem(var, text, "is not a finite number")
    if var.minimum is not None and value <= var.minimum:
        raise _problem(var, text, f"is not above {var.minimum:g}")
    return value


def env_bool(name: str, environ: Mapping[str, str] | None = None) -> bool:
    """An on/off variable: ``1``/``true``/``yes``/``on`` or ``0``/``false``/``no``/``off`` (any case).

    Args:
        name: A variable of :data:`VARIABLES` of kind ``bool``.
        environ: Where to read it (default ``os.environ``).

    Returns:
        The value, or the table's default when unset.

    Raises:
        ConfigError: When the value is neither on nor off.
    """
    var, text = _raw(name, ("bool",), environ)
    if text is None:
        return bool(var.default)
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise ConfigError(f"{name}={text!r} is not on or off: set it to 1 (or true, yes, on) or 0 (or false, no, off), "
                      "or unset it.")


def env_path(name: str, environ: Mapping[str, str] | None = None) -> Path:
    """A folder or file variable, with ``~`` expanded (not resolved: the caller decides that).

    Args:
        name: A variable of :data:`VARIABLES` of kind ``path`` (each has a default).
        environ: Where to read it (default ``os.environ``).

    Returns:
        The path, or the table's default when unset.

    Raises:
        ConfigError: When the value contains a NUL character (no file system accepts one).
    """
    var, text = _raw(name, ("path",), environ)
    if text is None:
        return Path(str(var.default)).expanduser()
    if "\0" in text:
        raise _problem(var, text, "contains a NUL character")
    return Path(text).expanduser()


def env_paths(name: str, environ: Mapping[str, str] | None = None) -> list[Path]:
    """A list of folders separated by ``os.pathsep`` (``:`` on Linux and macOS), each with ``~`` expanded.

    Args:
        name: A variable of :data:`VARIABLES` of kind ``paths``.
        environ: Where to read it (default ``os.environ``).

    Returns:
        The folders in the order given (empty entries skipped); an empty list when unset.

    Raises:
        ConfigError: When an entry contains a NUL character or is not an existing folder.
    """
    var, text = _raw(name, ("paths",), environ)
    if text is None:
        return []
    folders = []
    for part in (p.strip() for p in text.split(os.pathsep)):
        if not part:
            continue
        if "\0" in part:
            raise _problem(var, text, "contains a NUL character")
        folder = Path(part).expanduser()
        if not folder.is_dir():
            raise _problem(var, text, f"names {part!r}, which is not an existing folder")
        folders.append(folder)
    return folders
