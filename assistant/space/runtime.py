"""tunewise on a Hugging Face Space: storage, sign-in owners, ZeroGPU and CPU-sized limits.

A Space is recognised by the ``SPACE_ID`` variable the Hub sets. There :func:`configure_space` (called by
the Space's ``app.py`` before anything else) points the workspace at persistent storage when the Space
has it, turns on multi-user mode, imports ZeroGPU's ``spaces`` package first where the hardware is
ZeroGPU, and on CPU hardware sets CPU-sized limits. Every value is a default: a variable set in the
Space settings wins. Locally every function here is a no-op, so the page behaves as before.

| variable set here (default only) | on a Space |
|---|---|
| ``TUNEWISE_HOME`` / ``HF_HOME`` | ``/data/tunewise`` / ``/data/.huggingface`` when ``/data`` is writable |
| ``TUNEWISE_SINGLE_USER`` | ``0``: each signed-in user (or browser session) sees only their own jobs |
| ``TUNEWISE_MAX_JOBS``, ``TUNEWISE_JOB_MEMORY_MB``, ``TUNEWISE_MAX_DATA_MB``, ``TUNEWISE_SERVE_CACHE``, ``OMP_NUM_THREADS`` | CPU-sized limits when training runs on the CPU |

This module imports neither gradio nor torch at import time; the page's sign-in controls are in
:mod:`assistant.ui.sign_in`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any, TypeVar

from catalog.env import env_path

log = logging.getLogger(__name__)

#: Where the Hub mounts a Space's persistent storage.
SPACE_DATA = Path("/data")
#: Seconds a ZeroGPU call may hold the GPU (one comparison or one blind A/B pair).
GPU_DURATION_S = 120
#: Largest upload (MB) on CPU hardware: bigger files would take longer to train on than a visit lasts.
CPU_MAX_DATA_MB = 50
_TRUE = ("1", "true", "yes", "t")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class SpaceRuntime:
    """What the app knows about where it runs."""

    space_id: str | None = None
    """``owner/name`` of the Space, None when not on a Space."""
    persistent: bool = False
    """Whether jobs and votes live on persistent storage (``/data``)."""
    home: str | None = None
    """The workspace (``TUNEWISE_HOME``) in use on the Space."""
    zero_gpu: bool = False
    """ZeroGPU hardware: a GPU is lent per decorated call; training runs on the CPU."""
    cpu_training: bool = False
    """Training runs on the CPU (CPU hardware or ZeroGPU): CPU-sized limits apply."""
    oauth: bool = False
    """Sign-in with Hugging Face is configured (``hf_oauth: true``) and its libraries are installed."""

    @property
    def on_space(self) -> bool:
        """True on a Hugging Face Space."""
        return self.space_id is not None


_runtime: SpaceRuntime | None = None


def on_space(environ: MutableMapping[str, str] | None = None) -> bool:
    """True when running on a Hugging Face Space (``SPACE_ID`` is set)."""
    return bool((environ if environ is not None else os.environ).get("SPACE_ID"))


def is_zero_gpu(environ: MutableMapping[str, str] | None = None) -> bool:
    """True on ZeroGPU hardware (the Hub sets ``SPACES_ZERO_GPU``)."""
    return (environ if environ is not None else os.environ).get("SPACES_ZERO_GPU", "").lower() in _TRUE


def oauth_enabled(environ: MutableMapping[str, str] | None = None) -> bool:
    """True when "Sign in with Hugging Face" can work: on a Space with OAuth set up and its libraries present.

    Off a Space, Gradio's login button would call the Hub with the developer's own token, so it is never
    shown locally.
    """
    env = environ if environ is not None else os.environ
    if not on_space(env) or not env.get("OAUTH_CLIENT_ID"):
        return False
    missing = [name for name in ("authlib", "itsdangerous") if find_spec(name) is None]
    if missing:
        log.warning("Sign-in is off: %s missing; add gradio[oauth] to requirements.txt.", ", ".join(missing))
        return False
    return True


def configure_space(environ: MutableMapping[str, str] | None = None, data_dir: Path = SPACE_DATA) -> SpaceRuntime:
    """Set the Space's defaults in the environment (before the app is built); a no-op off a Space.

    Args:
        environ: The environment to read and complete (default ``os.environ``).
        data_dir: The persistent-storage mount point.

    Returns:
        The runtime description, also kept for :func:`runtime`.
    """
    global _runtime
    env = environ if environ is not None else os.environ
    if not on_space(env):
        _runtime = SpaceRuntime()
        return _runtime
    persistent = data_dir.is_dir() and os.access(data_dir, os.W_OK)
    if persistent:
        env.setdefault("TUNEWISE_HOME", str(data_dir / "tunewise"))
        env.setdefault("HF_HOME", str(data_dir / ".huggingface"))  # downloaded models survive restarts too
    else:
        log.warning("No persistent storage at %s: jobs and votes are lost when the Space restarts.", data_dir)
    env.setdefault("TUNEWISE_SINGLE_USER", "0")
    zero = is_zero_gpu(env)
    if zero:
        _import_spaces()
    cpu = zero or not _has_cuda_device()
    if cpu:
        _cpu_limits(env)
    _runtime = SpaceRuntime(space_id=env.get("SPACE_ID"), persistent=persistent,
                            home=str(env_path("TUNEWISE_HOME", env)), zero_gpu=zero, cpu_training=cpu,
                            oauth=oauth_enabled(env))
    log.info("Space runtime: %s", _runtime)
    return _runtime


def runtime() -> SpaceRuntime:
    """The runtime set by :func:`configure_space`, or read from the environment without changing it."""
    if _runtime is not None:
        return _runtime
    if not on_space():
        return SpaceRuntime()
    zero = is_zero_gpu()
    return SpaceRuntime(space_id=os.environ.get("SPACE_ID"), persistent=SPACE_DATA.is_dir(),
                        home=str(env_path("TUNEWISE_HOME")), zero_gpu=zero,
                        cpu_training=zero or not _has_cuda_device(), oauth=oauth_enabled())


def _import_spaces() -> Any:
    """ZeroGPU's package, imported before torch initialises CUDA; None when it is not installed."""
    try:
        import spaces  # type: ignore[import-not-found]
    except ImportError:
        log.warning("SPACES_ZERO_GPU is set but the `spaces` package is not installed; GPU calls run unwrapped.")
        return None
    if not callable(getattr(spaces, "GPU", None)):  # e.g. the repo's own spaces/ template folder, run from the root
        where = getattr(spaces, "__file__", None) or list(getattr(spaces, "__path__", []))
        log.warning("`import spaces` found %s, not ZeroGPU's package; GPU calls run unwrapped.", where)
        return None
    return spaces


def _has_cuda_device() -> bool:
    """A dedicated NVIDIA GPU, seen without initialising CUDA (device nodes, or the variable Docker sets)."""
    visible = os.environ.get("NVIDIA_VISIBLE_DEVICES", "")
    return Path("/dev/nvidia0").exists() or visible not in ("", "void", "none")


def _cpu_limits(env: MutableMapping[str, str]) -> None:
    """Limits that keep a CPU Space responsive: one job, most of the RAM, modest uploads, one cached model."""
    cores = env.get("CPU_CORES") or str(os.cpu_count() or 2)
    env.setdefault("TUNEWISE_MAX_JOBS", "1")
    env.setdefault("TUNEWISE_MAX_DATA_MB", str(CPU_MAX_DATA_MB))
    env.setdefault("TUNEWISE_SERVE_CACHE", "1")
    env.setdefault("OMP_NUM_THREADS", cores)
    try:
        import psutil

        env.setdefault("TUNEWISE_JOB_MEMORY_MB", str(int(psutil.virtual_memory().total / 2**20 * 0.7)))
    except ImportError:  # psutil is a dependency; this only guards odd installs
        pass


def gpu(fn: F, duration: int = GPU_DURATION_S) -> F:
    """``spaces.GPU(fn)`` on ZeroGPU hardware, else ``fn`` unchanged.

    Args:
        fn: A function that runs a model (comparison, generation).
        duration: Seconds the call may hold the GPU.
    """
    if not runtime().zero_gpu:
        return fn
    spaces = _import_spaces()
    return fn if spaces is None else spaces.GPU(duration=duration)(fn)


def use_gpu(handlers: Any) -> None:
    """On ZeroGPU, run the Compare tab's callbacks that load and run models under ``spaces.GPU``; else nothing.

    Args:
        handlers: The page's :class:`~assistant.ui.compare_tab.CompareHandlers`.
    """
    if not runtime().zero_gpu:
        return
    for name in ("compare", "try_input", "ab_show"):
        setattr(handlers, name, gpu(getattr(handlers, name)))


def space_banner_lines(rt: SpaceRuntime | None = None) -> list[str]:
    """Lines for the page banner on a Space (storage, hardware, sign-in); empty locally."""
    rt = rt or runtime()
    if not rt.on_space:
        return []
    lines = [f"**Space:** {rt.space_id} · " + ("jobs and votes are kept on persistent storage (/data)"
                                                if rt.persistent else "**no persistent storage**: jobs and votes are "
                                                "lost when the Space restarts (attach storage in its settings)")]
    if rt.zero_gpu:
        lines.append("**ZeroGPU:** comparisons borrow a GPU per request; training runs on the CPU with CPU-sized "
                     "models and limits. Choose GPU hardware (t4-small, l4x1, a10g-small ...) to train on a GPU.")
    elif rt.cpu_training:
        lines.append("**CPU hardware:** training uses CPU-sized models and limits (one job at a time, uploads up to "
                     f"{CPU_MAX_DATA_MB} MB). Choose GPU hardware in the Space settings for bigger models.")
    if rt.oauth:
        lines.append("**Sign in with Hugging Face** to keep your jobs to yourself and push adapters to your account.")
    return lines


# -- signed-in users -----------------------------------------------------------------------------------
def apply_sign_in(services: Any, session_id: str | None, username: str | None) -> str:
    """Make a session's owner the signed-in Hugging Face user (or, signed out, the session again).

    Args:
        services: The app's ``Services``.
        session_id: The browser session.
        username: The Hugging Face username, None when signed out.

    Returns:
        A line for the page saying whose jobs are shown.
    """
    if not session_id:
        return ""
    session = services.session(session_id)
    if username:
        session.owner = username
        return f"Signed in as **{username}**: your uploads and jobs are yours alone, and you can push adapters."
    session.owner = "local" if services.single_user else session.id
    return "Not signed in: your jobs belong to this browser session. Sign in to keep them across devices."


def push_for_user(services: Any, session_id: str | None, job_id: str | None, repo_name: str,
                  username: str | None, token: str | None, *, private: bool = True, merged: bool = False) -> str:
    """Push one of the user's finished jobs to ``username/repo_name`` with their sign-in token.

    Returns:
        A line for the page: the repo URL, or the problem and its fix. Never raises for user errors.
    """
    from catalog.errors import TunewiseError
    from finetune.export.hub import push_job

    if not username or not token:
        return "Sign in with Hugging Face first: the adapter goes to your account with your permission."
    if not job_id:
        return "Pick a finished job first."
    name = (repo_name or "").strip() or f"tunewise-{job_id}"
    try:
        session = services.session(session_id)
        job = services.runner.get(job_id, services.owner_filter(session))
        result = push_job(job.path, f"{username}/{name}", token=token, private=private, merged=merged)
    except TunewiseError as exc:
        return f"Problem: {exc}"
    return f"Pushed {len(result['files'])} files to [{result['repo_id']}]({result['url']})."
