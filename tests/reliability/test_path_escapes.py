"""Path traversal and symlink escapes on every path a user, a model or a config can give.

Each entry point (agent tools, ``tunewise`` commands, config files, the upload handler) gets
``../../etc/passwd``, ``/etc/passwd``, ``~/.ssh/id_rsa``, a symlink inside the workspace to a file outside,
a file under a symlinked folder, URL-encoded ``..%2f``, a NUL byte, and the absolute path of a sentinel
file outside the workspace. Each must be refused with a message that names the problem, the sentinel's
unique content must never appear in any output, event, log or workspace file, and nothing may be written
outside the workspace.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.cli.main import main as tunewise
from assistant.session import Services
from finetune.jobs.runner import JobRunner
from finetune.jobs.store import JobStore
from tests.reliability.conftest import JOB_TIMEOUT_S, log_text, tiny_config, tree_text

REFUSALS = ("outside the workspace", "NUL", "not found", "was not found", "is not a", "outside the upload folder",
            "symbolic link", "not a regular file")


@pytest.fixture
def escapes(workspace: Path, sentinel: tuple[Path, str], tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Bad paths by name; ``~`` is a private fake home (with a real-looking ``.ssh/id_rsa`` in it)."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text(f"-----BEGIN KEY----- {sentinel[1]}\n", encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    (workspace / "link.csv").symlink_to(sentinel[0])
    (workspace / "linked-dir").symlink_to(sentinel[0].parent, target_is_directory=True)
    return {"dotdot": "../../etc/passwd", "absolute": "/etc/passwd", "home": "~/.ssh/id_rsa",
            "sentinel": str(sentinel[0]), "sentinel-relative": "../outside/secret.csv", "symlink": "link.csv",
            "symlinked-dir": "linked-dir/secret.csv", "urlencoded": "..%2f..%2foutside%2fsecret.csv",
            "examples-dotdot": "examples/../../outside/secret.csv", "nul": "tiny.csv\x00../../etc/passwd"}


def outside_listing(sentinel: tuple[Path, str], tmp_path: Path) -> set[str]:
    """Every path outside the workspace a write could land in (the sentinel's folder, the fake home, /tmp top)."""
    found = {str(p) for p in sentinel[0].parent.rglob("*")} | {str(p) for p in (tmp_path / "home").rglob("*")}
    return found | {p.name for p in Path("/tmp").iterdir() if p.name.startswith("tw-escape")}


def refused(text: str, secret: str) -> bool:
    return any(r in text for r in REFUSALS) and secret not in text and "Traceback" not in text


def test_agent_tools_refuse_every_escape_with_a_reason(
        escapes: dict[str, str], sentinel: tuple[Path, str], tiny_data: Path, workspace: Path) -> None:
    from assistant.tools.toolkit import make_tools

    runner = JobRunner()
    services = Services(runner=runner)
    tools = {t.name: t for t in make_tools(services, services.session())}
    model = str(workspace / "models" / "tiny-bert")
    calls = [("inspect_dataset", "path", {}), ("assess_task", "dataset", {"description": "route tickets by team"}),
             ("start_finetune", "dataset", {"model_id": model}), ("start_finetune", "model_id", {"dataset": "tiny.csv"}),
             ("compare", "job_id", {}), ("evaluate", "job_id", {})]
    for name, field, fixed in calls:
        for kind, bad in escapes.items():
            answer = tools[name].invoke({**fixed, field: bad})
            assert answer.startswith("Error:"), (name, kind, answer[:300])
            # A relative model name that is no workspace model folder is a catalog / Hub id; a job id is an id.
            other = {"model_id": ("not in the model catalog",), "job_id": ("No job", "at most 64 characters")}
            assert refused(answer, sentinel[1]) or any(o in answer for o in other.get(field, ())) \
                and sentinel[1] not in answer, (name, kind, answer)
    assert runner.list() == []
    assert sentinel[1] not in tree_text(workspace)


def test_cli_commands_refuse_every_escape_and_write_nothing_outside(
        escapes: dict[str, str], sentinel: tuple[Path, str], tiny_data: Path, workspace: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    before = outside_listing(sentinel, tmp_path)

    def run(*args: str) -> tuple[int, str]:
        code = tunewise(list(args))
        out = capsys.readouterr()
        return code, out.out + out.err

    for kind, bad in escapes.items():
        code, text = run("data", "check", bad)
        assert code == 2 and refused(text, sentinel[1]), (kind, text)
        code, text = run("data", "check", bad, "--json")
        assert code == 2 and refused(text, sentinel[1]), (kind, text)
        code, text = run("compare", bad)  # a job given as a folder path
        assert code == 2 and sentinel[1] not in text and "Traceback" not in text, (kind, text)
        code, text = run("serve", bad, "--print-vllm")
        assert code == 2 and sentinel[1] not in text and "Traceback" not in text, (kind, text)
    outputs = {"dotdot": "../../tw-escape-out", "absolute": "/tmp/tw-escape-out", "home": "~/tw-escape-out",
               "symlinked-dir": "linked-dir/out", "symlink-itself": "linked-dir", "nul": "out\x00x"}
    for kind, bad in outputs.items():
        code, text = run("train", "--model", str(workspace / "models" / "tiny-bert"), "--data", "tiny.csv",
                         "--output", bad, "--detach")
        assert code == 2 and refused(text, sentinel[1]), (kind, text)
        code, text = run("space", "build", bad)
        assert code != 0 and refused(text, sentinel[1]), (kind, text)
    assert JobStore().list() == []  # no job was even queued for a refused output folder
    assert outside_listing(sentinel, tmp_path) == before


@pytest.mark.slow
def test_cli_export_and_compare_of_a_real_job_refuse_escapes(
        escapes: dict[str, str], sentinel: tuple[Path, str], tiny_data: Path, workspace: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    runner = JobRunner()
    job = runner.wait(runner.submit(tiny_config(max_steps=2, save_steps=50)).id, timeout=JOB_TIMEOUT_S)
    assert job.status == "succeeded", (job.reason, log_text(job.path))
    before = outside_listing(sentinel, tmp_path)
    for kind, bad in escapes.items():
        assert tunewise(["compare", job.id, "--data", bad]) == 2, kind
        text = "".join(capsys.readouterr())
        assert refused(text, sentinel[1]), (kind, text)
    for bad in ("../../tw-escape-merge", "/tmp/tw-escape-merge", "~/merged", "linked-dir/merged", "m\x00x"):
        assert tunewise(["export", job.id, "--merge", bad]) == 2, bad
        text = "".join(capsys.readouterr())
        assert refused(text, sentinel[1]), (bad, text)
    assert outside_listing(sentinel, tmp_path) == before
    assert sentinel[1] not in tree_text(workspace)


def test_escapes_in_flags_and_config_files_are_refused_before_a_job_is_queued(
        escapes: dict[str, str], sentinel: tuple[Path, str], tiny_data: Path, workspace: Path,
        make_runner: Callable[..., JobRunner], capsys: pytest.CaptureFixture[str]) -> None:
    """``--data`` / ``--model`` / ``data.path`` escapes are refused by the CLI with the path named (exit 2),
    and a config that reaches the runner anyway fails its job at once in the training process."""
    from finetune.config.run import RunConfig

    model = str(workspace / "models" / "tiny-bert")
    attempts: list[list[str]] = []
    for kind in ("dotdot", "sentinel", "symlink", "symlinked-dir"):
        bad = escapes[kind]
        config = workspace / f"{kind}.yaml"
        cfg = tiny_config().model_dump()
        cfg["data"]["path"] = bad
        config.write_text(__import__("yaml").safe_dump(cfg), encoding="utf-8")
        attempts += [["train", str(config), "--detach"], ["train", "--model", model, "--data", bad, "--detach"]]
    for kind in ("absolute", "home", "symlinked-dir"):
        (sentinel[0].parent / "config.json").write_text("{}", encoding="utf-8")  # looks like a model folder
        bad = "linked-dir" if kind == "symlinked-dir" else escapes[kind]
        attempts.append(["train", "--model", bad, "--data", "tiny.csv", "--detach"])
    for argv in attempts:
        code = tunewise(argv)
        err = capsys.readouterr().err
        assert code == 2 and "outside the workspace" in err, (argv, code, err)
        assert sentinel[1] not in err
    assert JobStore().list() == []

    # Past the CLI (a config handed straight to the runner), the training process confines the path too.
    cfg = tiny_config().model_dump()
    cfg["data"]["path"] = escapes["symlink"]
    runner = make_runner()
    job = runner.submit(RunConfig.from_dict(cfg), owner="local")
    ended = runner.wait(job.id, timeout=JOB_TIMEOUT_S)
    assert ended.status == "failed" and "outside the workspace" in (ended.reason or ""), ended.reason
    assert sentinel[1] not in tree_text(job.path) and not (job.path / "adapter").exists()
    assert sentinel[1] not in tree_text(workspace)


def test_upload_handler_copies_only_plain_uploaded_files(
        sentinel: tuple[Path, str], workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.agent import Assistant
    from assistant.settings import Settings
    from assistant.ui.data_tab import DataHandlers

    uploads = tmp_path / "gradio-uploads"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(uploads))
    (uploads / "abc123").mkdir(parents=True)
    handlers = DataHandlers(Assistant(Services(runner=JobRunner()), settings=Settings(llm_backend="guide")))

    good = uploads / "abc123" / "tickets.csv"
    good.write_text("text,label\n" + "".join(f"ticket {i},{'ab'[i % 2]}\n" for i in range(20)), encoding="utf-8")
    text, _, rel = handlers.upload(str(good), "s1")
    assert rel == "uploads/local/tickets.csv" and (workspace / rel).is_file(), text

    (uploads / "abc123" / "evil.csv").symlink_to(sentinel[0])
    (uploads / "abc123" / "folder.csv").mkdir()
    os.mkfifo(uploads / "abc123" / "pipe.csv")  # copying a pipe would block the page forever
    (uploads / "linked").symlink_to(sentinel[0].parent, target_is_directory=True)
    bad = {"outside": str(sentinel[0]), "symlink": str(uploads / "abc123" / "evil.csv"),
           "via-symlinked-dir": str(uploads / "linked" / "secret.csv"),
           "dotdot": str(uploads / "abc123" / ".." / ".." / "outside" / "secret.csv"),
           "folder": str(uploads / "abc123" / "folder.csv"), "fifo": str(uploads / "abc123" / "pipe.csv"),
           "missing": str(uploads / "abc123" / "gone.csv"), "nul": str(good) + "\x00.csv",
           "home": "~/.ssh/id_rsa.csv", "passwd": "/etc/passwd"}
    for kind, path in bad.items():
        text, preview, rel = handlers.upload(path, "s1")
        assert text.startswith("Problem:") and preview is None and rel == "", (kind, text)
        assert sentinel[1] not in text, kind
    assert stat.S_ISFIFO(os.stat(uploads / "abc123" / "pipe.csv").st_mode)
    assert sorted(p.name for p in (workspace / "uploads" / "local").iterdir()) == ["tickets.csv"]
    assert sentinel[1] not in tree_text(workspace)
