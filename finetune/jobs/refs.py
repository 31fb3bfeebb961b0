"""Finding a job from what a person types: a job id, or the job's folder.

One name for a job everywhere: every command that takes a job accepts its id or its folder. ``compare`` /
``serve`` / ``export`` / ``push`` need only the folder (:func:`resolve_job_dir`: one copied from another
workspace works, no job record needed); the ``jobs`` commands act on the job record (:func:`resolve_job_id`:
a folder is looked up among this workspace's jobs). Both are for the command line: folders are the local user's
paths (``finetune.workspace.user_path``), anywhere they can read.
"""

from __future__ import annotations

from pathlib import Path

from catalog.errors import JobError, PathError
from finetune.jobs.store import JobStore
from finetune.workspace import user_path


def _looks_like_path(text: str) -> bool:
    return "/" in text or "\\" in text or text.startswith((".", "~"))


def _job_folder(text: str) -> Path | None:
    """The folder ``text`` names when it holds a job (a ``config.yaml``), else None.

    Raises:
        JobError: When ``text`` is clearly a path but no job folder.
    """
    try:
        folder: Path | None = user_path(text)
    except PathError:
        if _looks_like_path(text):
            raise
        folder = None
    if folder is not None and (folder / "config.yaml").is_file():
        return folder
    if _looks_like_path(text) or (folder is not None and folder.is_dir()):
        raise JobError(f"{text} is not a job folder: it has no config.yaml.")
    return None


def resolve_job_dir(ref: str) -> Path:
    """A job folder from a job id or a folder path.

    Args:
        ref: A job id, or a path to a folder that holds a ``config.yaml``.

    Returns:
        The job folder.

    Raises:
        PathError: When a path is given that does not exist.
        JobError: When neither a job folder nor a known job id matches.
    """
    text = ref.strip()
    if not text:
        raise JobError("No job was given: name a job id or a job folder (see `tunewise jobs list`).")
    folder = _job_folder(text)
    if folder is not None:
        return folder
    from finetune.jobs.runner import JobRunner  # only for an id: a folder path needs no job store

    return JobRunner().get(text).path


def resolve_job_id(ref: str, store: JobStore) -> str:
    """The id of the job a person named by its id or by its folder.

    Args:
        ref: A job id, or the job's folder (as ``tunewise train`` printed it, or any path to it).
        store: The job store to look the job up in.

    Returns:
        The job id (unchecked when ``ref`` is no folder: the caller's lookup reports an unknown id).

    Raises:
        PathError: When a path is given that does not exist.
        JobError: When a job folder is given that no job of this workspace runs from.
    """
    text = ref.strip()
    if not text:
        raise JobError("No job was given: name a job id or a job folder (see `tunewise jobs list`).")
    if store.get(text) is not None:
        return text
    folder = _job_folder(text)
    if folder is None:
        return text
    for job in store.list():
        if Path(job.folder).resolve() == folder.resolve():
            return job.id
    raise JobError(f"{folder} is a job folder, but no job of this workspace ({store.path.parent}) runs from it. "
                   "`tunewise compare`, `serve`, `export` and `push` take any job folder; `tunewise jobs` acts on "
                   "this workspace's jobs (see `tunewise jobs list`).")
