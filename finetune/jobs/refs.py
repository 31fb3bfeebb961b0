"""Finding a job's folder from what a person types: a job id, or a folder path inside the workspace.

The CLI's ``compare`` / ``serve`` / ``export`` / ``push`` commands accept either; a job folder needs no job
record (one copied from another workspace works), a job id is looked up in the job store.
"""

from __future__ import annotations

from pathlib import Path

from catalog.errors import JobError, PathError
from finetune.workspace import confine


def resolve_job_dir(ref: str) -> Path:
    """A job folder from a job id or a folder path (confined to the workspace).

    Args:
        ref: A job id, or a path to a folder that holds a ``config.yaml``.

    Returns:
        The job folder.

    Raises:
        PathError: When a path points outside the workspace.
        JobError: When neither a job folder nor a known job id matches.
    """
    text = ref.strip()
    is_path = "/" in text or "\\" in text or text.startswith(".")
    try:
        folder: Path | None = confine(text, allow_examples=False)
    except PathError:
        if is_path:
            raise
        folder = None
    if folder is not None and (folder / "config.yaml").is_file():
        return folder
    if is_path:
        raise JobError(f"{text} is not a job folder: it has no config.yaml.")
    from finetune.jobs.runner import JobRunner  # only for an id: a folder path needs no job store

    return JobRunner().get(text).path
