"""The workspace: the one directory where uploads, jobs and databases live, and how paths are resolved.

Nothing is written inside the source tree at run time. The root is ``TUNEWISE_HOME`` (default ``~/.tunewise``).
Paths are resolved by who gives them:

- :func:`confine`: what arrives through the web page and the agent's tools (untrusted) is resolved and kept
  inside the workspace, or, read-only, inside the project's bundled ``examples/`` folder and the folders of
  ``TUNEWISE_DATA_DIRS``; symbolic links are followed before the check.
- :func:`user_path`: the command line is the local user acting with their own rights: it reads and writes any
  path they can, relative to the current folder (then the workspace and the read-only folders, as a
  convenience), like every other command-line tool.
- :func:`job_input`: a file a job's config names was checked by whoever submitted the job (the tools confine
  it, the command line is the user), so the training process opens it as it is.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from catalog.env import env_path, env_paths
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


def data_dirs() -> list[Path]:
    """The extra read-only data folders of ``TUNEWISE_DATA_DIRS`` (resolved), in the order given."""
    return [folder.resolve() for folder in env_paths("TUNEWISE_DATA_DIRS")]


def _read_only_candidates(raw: Path) -> list[Path]:
    """Where a relative path may be found among the read-only folders: the examples, then the data folders."""
    parts = raw.parts
    rel = Path(*parts[1:]) if parts and parts[0] == "examples" and len(parts) > 1 else raw
    return [(EXAMPLES_DIR / rel).resolve(), *((folder / raw).resolve() for folder in data_dirs())]


def _checked_text(path: str | os.PathLike[str]) -> str:
    text = str(path).strip()
    if not text:
        raise PathError("No path was given. Name a file or folder.")
    if "\x00" in text:
        raise PathError("The path contains a NUL character; give a plain file name.")
    return text


def confine(path: str | os.PathLike[str], *, allow_examples: bool = True, must_exist: bool = True) -> Path:
    """Resolve a path from the web page or an agent's tool and make sure it stays inside the workspace.

    Relative paths are taken relative to the workspace root. With ``allow_examples``, the read-only folders
    are acceptable too: ``examples/<name>`` (or the bare name of a bundled example such as
    ``support_tickets.csv``) resolves to the bundled example datasets, and a path inside (or relative to) a
    folder of ``TUNEWISE_DATA_DIRS`` to that folder; these may be read but not written.

    Args:
        path: The path as the page, a tool argument or a config gave it.
        allow_examples: Whether the read-only folders (examples and data folders) are acceptable.
        must_exist: Raise when the resolved path does not exist.

    Returns:
        The resolved absolute path.

    Raises:
        PathError: When the path escapes the workspace (and the read-only folders) or does not exist.
    """
    text = _checked_text(path)
    root = workspace_root()
    raw = Path(text).expanduser()
    read_only = [EXAMPLES_DIR, *data_dirs()] if allow_examples else []
    candidates: list[Path] = []
    if raw.is_absolute():
        candidates.append(raw.resolve())
    else:
        candidates.append((root / raw).resolve())
        if allow_examples:
            candidates += _read_only_candidates(raw)

    def allowed(candidate: Path) -> bool:
        return _inside(candidate, root) or any(_inside(candidate, folder) for folder in read_only)

    for candidate in candidates:
        if not allowed(candidate) or (must_exist and not candidate.exists()):
            continue
        return candidate
    # The path as given (relative to the workspace) decides: one that resolves outside (``..``, a symlink to
    # a file or folder elsewhere) is an escape, even when a read-only folder might have held it.
    if not allowed(candidates[0]):
        where = "the workspace" + (" and the data folders (TUNEWISE_DATA_DIRS)" if len(read_only) > 1 else "")
        raise PathError(f"'{text}' is outside {where} ({root}): only files there can be read here. Upload the file "
                        "on the Data tab, or copy it into the workspace.")
    raise PathError(f"'{text}' was not found in the workspace ({root}) or the bundled examples.")


def user_path(path: str | os.PathLike[str], *, must_exist: bool = True) -> Path:
    """Resolve a path the local user gave on the command line: any path they can use, no confinement.

    ``~`` is expanded. A relative path is taken from the current folder; one that does not exist there is
    looked up in the workspace, then in the bundled examples and the data folders, so
    ``tunewise data check support_tickets.csv`` works from anywhere. A path to create (``must_exist=False``)
    is always taken from the current folder.

    Args:
        path: The path as typed.
        must_exist: Raise when no such file or folder exists.

    Returns:
        The resolved absolute path.

    Raises:
        PathError: When the path is empty, holds a NUL character, or (with ``must_exist``) is not found.
    """
    text = _checked_text(path)
    raw = Path(text).expanduser()
    here = raw.resolve() if raw.is_absolute() else (Path.cwd() / raw).resolve()
    if not must_exist or here.exists():
        return here
    if not raw.is_absolute():
        for candidate in [(workspace_root() / raw).resolve(), *_read_only_candidates(raw)]:
            if candidate.exists():
                return candidate
    raise PathError(f"'{text}' was not found (looked in the current folder {Path.cwd()}, the workspace "
                    f"{workspace_root()} and the bundled examples).")


def job_input(path: str | os.PathLike[str]) -> Path:
    """Resolve a file or folder a job's config names, for the training process.

    The config was checked when the job was submitted (the tools confine its paths; the command line is the
    user, whose paths are absolute when they lie outside the workspace), so the path is opened as it is: an
    absolute path as given, a relative one from the workspace, the bundled examples or the data folders.

    Args:
        path: ``data.path`` (or another input) of a job's config.

    Returns:
        The resolved absolute path.

    Raises:
        PathError: When the path is empty, holds a NUL character, or is not found.
    """
    text = _checked_text(path)
    raw = Path(text).expanduser()
    candidates = [raw.resolve()] if raw.is_absolute() else [(workspace_root() / raw).resolve(),
                                                            *_read_only_candidates(raw)]
    found = next((c for c in candidates if c.exists()), None)
    if found is None:
        raise PathError(f"'{text}' was not found in the workspace ({workspace_root()}) or the bundled examples.")
    return found


def job_folder(path: str | os.PathLike[str]) -> Path:
    """Resolve the folder a job is to write to, as its submitter named it: absolute as given, relative from the
    workspace. Not confined: only the command line names one (the tools never do), and it is the user.

    Args:
        path: The folder.

    Raises:
        PathError: When the path is empty or holds a NUL character.
    """
    raw = Path(_checked_text(path)).expanduser()
    return raw.resolve() if raw.is_absolute() else (workspace_root() / raw).resolve()


def portable_path(path: Path) -> str:
    """How a job config should name a file the command line resolved: as the workspace would (``examples/x.csv``,
    ``uploads/local/x.csv``) when it lies there, else its absolute path, so the job reads the same file.

    Args:
        path: A resolved file or folder.
    """
    root = workspace_root()
    if _inside(path, root):
        return str(path.relative_to(root))
    if _inside(path, EXAMPLES_DIR):
        return str(Path("examples") / path.relative_to(EXAMPLES_DIR))
    return str(path)
