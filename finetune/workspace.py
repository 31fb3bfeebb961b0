"""The workspace: the one directory where uploads, jobs and databases live.

Nothing is written inside the source tree at run time. The root is ``TUNEWISE_HOME`` (default
``~/.tunewise``). Every user-supplied path is resolved and confined to the workspace (or, read-only,
to the project's bundled ``examples/`` folder) before it is used.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from catalog.env import env_path
from catalog.errors import PathError

#: The bundled example datasets, readable (never written) by every session.
EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def workspace_root() -> Path:
    """Return the workspace root, creating it if needed.

    Returns:
        The absolute path of ``$TUNEWISE_HOME`` (default ``~/.tunewise``).
    """
    root = env_path("TUNEWISE_HOME").resolve()
    root.mkdir(parents=True, exist_ok=True)
    return root


def jobs_dir() -> Path:
    """Return the folder that holds one sub-folder per job."""
    path = workspace_root() / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def uploads_dir(owner: str = "local") -> Path:
    """Return the upload folder of one owner (a session or a signed-in user)."""
    path = workspace_root() / "uploads" / safe_name(owner)
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_path() -> Path:
    """Return the path of the SQLite job store."""
    return workspace_root() / "tunewise.db"


def safe_name(name: str) -> str:
    """Turn any string into a file-name-safe token (no separators, no leading dots)."""
    cleaned = _SAFE_NAME.sub("_", name).strip("._")
    return cleaned[:120] or "unnamed"


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def confine(path: str | os.PathLike[str], *, allow_examples: bool = True, must_exist: bool = True) -> Path:
    """Resolve a user-supplied path and make sure it stays inside the workspace.

    Relative paths are taken relative to the workspace root. ``examples/<name>`` (or the bare name
    of a bundled example such as ``support_tickets.csv``) resolves to the bundled example datasets,
    which may be read but not written.

    Args:
        path: The path as the user, a tool argument or a config gave it.
        allow_examples: Whether the bundled, read-only examples folder is acceptable.
        must_exist: Raise when the resolved path does not exist.

    Returns:
        The resolved absolute path.

    Raises:
        PathError: When the path escapes the workspace or does not exist.
    """
    text = str(path).strip()
    if not text:
        raise PathError("No path was given. Upload a file or name one inside the workspace.")
    if "\x00" in text:
        raise PathError("The path contains a NUL character; give a plain file name.")
    root = workspace_root()
    raw = Path(text).expanduser()
    candidates: list[Path] = []
    if raw.is_absolute():
        candidates.append(raw.resolve())
    else:
        candidates.append((root / raw).resolve())
        if allow_examples:
            parts = raw.parts
            rel = Path(*parts[1:]) if parts and parts[0] == "examples" and len(parts) > 1 else raw
            candidates.append((EXAMPLES_DIR / rel).resolve())
    for candidate in candidates:
        allowed = _inside(candidate, root) or (allow_examples and _inside(candidate, EXAMPLES_DIR))
        if not allowed:
            continue
        if must_exist and not candidate.exists():
            continue
        return candidate
    # The path as given (relative to the workspace) decides: one that resolves outside (``..``, a symlink to
    # a file or folder elsewhere) is an escape, even when the read-only examples folder might have held it.
    if not (_inside(candidates[0], root) or (allow_examples and _inside(candidates[0], EXAMPLES_DIR))):
        raise PathError(
            f"'{text}' is outside the workspace ({root}). Upload the file, or put it under the workspace."
        )
    raise PathError(f"'{text}' was not found in the workspace ({root}) or the bundled examples.")
