"""Paths by who gives them (``finetune.workspace``): the page and the tools are confined to the workspace and the
read-only data folders; the command line is the user; a job opens what its checked config names."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.errors import PathError
from finetune.workspace import EXAMPLES_DIR, confine, job_folder, job_input, portable_path, user_path


@pytest.fixture
def outside(workspace: Path) -> Path:
    """A dataset in a folder of the user's, outside the workspace."""
    folder = workspace.parent / "datasets"
    folder.mkdir()
    path = folder / "tickets.csv"
    path.write_text("text,label\nhello,a\n", encoding="utf-8")
    return path


def test_data_dirs_are_readable_by_the_page_and_tools_but_not_writable(
        workspace: Path, outside: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(PathError, match="outside the workspace"):
        confine(str(outside))
    monkeypatch.setenv("TUNEWISE_DATA_DIRS", str(outside.parent))
    assert confine(str(outside)) == outside.resolve()
    assert confine("tickets.csv") == outside.resolve()  # a relative name is looked up in the data folders too
    with pytest.raises(PathError, match="outside the workspace"):
        confine(str(outside), allow_examples=False)  # writes (and job folders) stay in the workspace
    monkeypatch.setenv("TUNEWISE_DATA_DIRS", str(workspace.parent / "elsewhere"))
    (workspace.parent / "elsewhere").mkdir()
    with pytest.raises(PathError, match="outside the workspace and the data folders"):
        confine(str(outside))
    monkeypatch.setenv("TUNEWISE_DATA_DIRS", str(outside.parent))
    (outside.parent / "link.csv").symlink_to(workspace.parent / "elsewhere.csv")
    (workspace.parent / "elsewhere.csv").write_text("secret", encoding="utf-8")
    with pytest.raises(PathError):
        confine(str(outside.parent / "link.csv"))  # a link out of a data folder is an escape too


def test_the_command_line_reads_any_path_the_user_can(workspace: Path, outside: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(outside.parent)
    assert user_path("tickets.csv") == outside.resolve()  # the current folder first
    assert user_path(str(outside)) == outside.resolve()
    monkeypatch.setenv("HOME", str(outside.parent.parent))
    assert user_path("~/datasets/tickets.csv") == outside.resolve()
    assert user_path("support_tickets.csv") == (EXAMPLES_DIR / "support_tickets.csv").resolve()  # then examples
    (workspace / "mine.csv").write_text("x", encoding="utf-8")
    assert user_path("mine.csv") == (workspace / "mine.csv").resolve()  # then the workspace
    assert user_path("new/out", must_exist=False) == (outside.parent / "new" / "out").resolve()
    with pytest.raises(PathError, match="'nope.csv' was not found"):
        user_path("nope.csv")
    with pytest.raises(PathError, match="NUL"):
        user_path("a\0b")


def test_a_job_reads_what_its_config_names_and_configs_name_files_portably(workspace: Path, outside: Path) -> None:
    assert job_input(str(outside)) == outside.resolve()
    assert job_input("examples/support_tickets.csv") == (EXAMPLES_DIR / "support_tickets.csv").resolve()
    (workspace / "mine.csv").write_text("x", encoding="utf-8")
    assert job_input("mine.csv") == (workspace / "mine.csv").resolve()
    with pytest.raises(PathError, match="not found"):
        job_input("gone.csv")
    assert portable_path((workspace / "mine.csv").resolve()) == "mine.csv"
    assert portable_path((EXAMPLES_DIR / "support_tickets.csv").resolve()) == "examples/support_tickets.csv"
    assert portable_path(outside.resolve()) == str(outside.resolve())
    assert job_folder("jobs/x") == (workspace / "jobs" / "x").resolve()
    assert job_folder(str(outside.parent / "run")) == (outside.parent / "run").resolve()
