"""The Data tab's callbacks: take an upload into the session's workspace folder and validate it with the
task and column roles the user chose. They never raise to the browser: user errors become readable text."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from catalog.errors import ConfigError, TunewiseError

if TYPE_CHECKING:
    from assistant.agent import Assistant

log = logging.getLogger(__name__)
UPLOAD_TYPES = [".csv", ".tsv", ".json", ".jsonl", ".parquet", ".conll", ".txt"]


def parse_roles(text: str) -> dict[str, str]:
    """``"text=body, label=intent"`` -> ``{"text": "body", "label": "intent"}``.

    Raises:
        ConfigError: A part that is not ROLE=COLUMN.
    """
    roles: dict[str, str] = {}
    for part in (p.strip() for p in (text or "").replace(";", ",").split(",")):
        if not part:
            continue
        role, sep, column = part.partition("=")
        if not sep or not role.strip() or not column.strip():
            raise ConfigError(f"'{part}' is not ROLE=COLUMN; write e.g. text=body, label=intent.")
        roles[role.strip()] = column.strip()
    return roles


class DataHandlers:
    """The Data tab's callbacks, bound to one ``Assistant`` (and through it the shared services)."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.services = assistant.services

    def upload(self, file_path: str | None, session_id: str, task: str = "auto-detect",
               roles: str = "") -> tuple[str, Any, str]:
        """Copy an upload into the session's workspace folder and validate it."""
        from finetune.workspace import safe_name, uploads_dir, workspace_root

        if not file_path:
            return "Upload a CSV, TSV, JSON, JSON lines, Parquet or CoNLL file.", None, ""
        session = self.services.session(session_id)
        src = Path(file_path)
        if src.suffix.lower() not in UPLOAD_TYPES:
            return f"Problem: `{src.name}` has an unsupported type. Use {', '.join(UPLOAD_TYPES)}.", None, ""
        problem = _upload_problem(str(file_path))
        if problem:
            return f"Problem: `{src.name}` {problem}", None, ""
        dest = uploads_dir(session.owner) / safe_name(src.name)
        try:
            shutil.copyfile(src, dest, follow_symlinks=False)
        except OSError as exc:
            log.warning("upload %s could not be copied: %s", src.name, exc)
            return f"Problem: `{src.name}` could not be saved ({exc.strerror or exc}). Upload it again.", None, ""
        rel = str(dest.relative_to(workspace_root()))
        text, preview = self._check(rel, task, roles)
        if rel not in session.datasets:
            session.datasets.append(rel)
        return text, preview, rel

    def recheck(self, rel: str, task: str, roles: str) -> tuple[str, Any]:
        """Validate the uploaded file again with the task and column roles the user chose."""
        if not rel:
            return "Upload a file first.", None
        return self._check(rel, task, roles)

    @staticmethod
    def _check(rel: str, task: str, roles: str) -> tuple[str, Any]:
        from finetune.data.intake import inspect_data
        from finetune.data.readers import preview_records
        from finetune.workspace import confine

        try:
            columns = parse_roles(roles)
            path = confine(rel)
            report = inspect_data(path, task=None if task in ("", "auto-detect") else task, columns=columns or None)
            preview = preview_records(path)
        except TunewiseError as exc:
            return f"Problem: {exc}", None
        head = "Ready for training." if report.ok else "Fix these problems, then upload again (or re-check)."
        return f"**{head}** Saved as `{rel}`.\n\n{report.to_markdown()}", preview


def _upload_problem(file_path: str) -> str | None:
    """Why an uploaded path must not be copied, or None when it is a plain file Gradio received.

    Gradio hands the handler a file in its upload folder. Anything else (a path outside that folder and the
    workspace, a symlink, a folder, a device or pipe, a NUL byte) did not come from an upload: copying it
    would read a file of the server's into the workspace (or block on a pipe).
    """
    import os

    from gradio.utils import get_upload_folder

    from finetune.workspace import workspace_root

    if "\x00" in file_path:
        return "has a NUL character in its name; upload a plain file."
    src = Path(file_path)
    if src.is_symlink():
        return "is a symbolic link, not an uploaded file; upload the file itself."
    if not src.is_file():
        return "is not a regular file (missing, a folder or a device); upload the file itself."
    real = src.resolve()
    roots = [Path(get_upload_folder()).resolve(), workspace_root()]
    if not any(real.is_relative_to(root) for root in roots):
        return "is outside the upload folder and the workspace; upload the file through the page."
    if not os.access(real, os.R_OK):
        return "cannot be read; upload it again."
    return None
