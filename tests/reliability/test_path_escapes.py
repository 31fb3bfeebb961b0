"""Path traversal and symlink escapes on every path the page, a model or a tool can give.

The untrusted entry points (agent tools, the page's handlers) get ``../../etc/passwd``, ``/etc/passwd``,
``~/.ssh/id_rsa``, a symlink inside the workspace to a file outside, a file under a symlinked folder, URL-encoded
``..%2f``, a NUL byte, and the absolute path of a sentinel file outside the workspace. Each must be refused with a
message that names the problem, the sentinel's unique content must never appear in any output, event, log or
workspace file, and nothing may be written outside the workspace. The command line is the local user: it reads
and writes the user's own paths (checked here too), and refuses only what is no job or no model folder.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.cli.main import main as tunewise
from assistant.session import Services
from finetune.config.run import RunConfig
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


def test_the_cli_uses_the_users_own_paths_while_the_page_and_tools_refuse_them(
        escapes: dict[str, str], sentinel: tuple[Path, str], tiny_data: Path, workspace: Path,
        make_runner: Callable[..., JobRunner], capsys: pytest.CaptureFixture[str]) -> None:
    """The command line is the local user: it reads and writes any path they can (a dataset in their home, a job
    folder and a Space folder outside the workspace), like every other command-line tool. The same file through the
    page or the agent's tools is refused; a job given as a path to no job folder is refused without reading it."""
    from assistant.agent import Assistant
    from assistant.settings import Settings
    from assistant.tools.toolkit import make_tools
    from assistant.ui.data_tab import DataHandlers

    home = Path(os.environ["HOME"])
    data = home / "datasets" / "tickets.csv"
    data.parent.mkdir()
    shutil.copy(tiny_data, data)

    def run(*args: str) -> tuple[int, str, str]:
        code = tunewise(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    code, out, err = run("data", "check", "~/datasets/tickets.csv")
    assert code == 0 and "40 rows" in out and "outside the workspace" not in out + err, out + err
    model = str(workspace / "models" / "tiny-bert")
    code, out, err = run("train", "--model", model, "--data", "~/datasets/tickets.csv", "--output", "~/runs/first",
                         "--max-steps", "2", "--batch-size", "4", "--max-length", "16", "lora.r=4",
                         "lora.target_modules=[query, value]", "eval.baseline=none", "train.device=cpu", "--detach")
    assert code == 0, err
    job_id = out.strip().splitlines()[-1]
    assert "plan: text-classification" in err and f"job {job_id} in {home / 'runs' / 'first'}" in err
    ended = make_runner().wait(job_id, timeout=JOB_TIMEOUT_S)
    assert ended.status == "succeeded", (ended.reason, log_text(ended.path))
    assert ended.path == home / "runs" / "first" and (ended.path / "adapter").is_dir()
    assert RunConfig.from_yaml(ended.path / "config.yaml").data.path == str(data)  # the job read the user's file
    for ref in ("~/runs/first", job_id):  # one name for a job: its id or its folder, everywhere
        code, out, err = run("jobs", "show", ref, "--json")
        assert code == 0 and json.loads(out)["id"] == job_id, err
    code, out, err = run("space", "build", "~/space")
    assert code == 0 and (home / "space" / "app.py").is_file(), err

    services = Services(runner=make_runner())
    tools = {t.name: t for t in make_tools(services, services.session())}
    for name, args in (("inspect_dataset", {"path": str(data)}), ("assess_task", {"dataset": str(data),
                                                                                 "description": "route tickets"}),
                       ("start_finetune", {"dataset": str(data), "model_id": model}),
                       ("inspect_dataset", {"path": "~/datasets/tickets.csv"})):
        answer = tools[name].invoke(args)
        assert answer.startswith("Error:") and "outside the workspace" in answer, (name, answer)
    page = DataHandlers(Assistant(services, settings=Settings(llm_backend="guide")))
    text, preview = page.recheck(str(data), "", "")
    assert text.startswith("Problem:") and "outside the workspace" in text and preview is None
    for kind, bad in escapes.items():  # a job given as a path that holds no job: refused, nothing read
        for command in (("compare", bad), ("serve", bad, "--print-vllm"), ("jobs", "show", bad)):
            code, out, err = run(*command)
            assert code == 2 and sentinel[1] not in out + err and "Traceback" not in out + err, (kind, out + err)
    assert sentinel[1] not in tree_text(workspace)


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


def test_model_folders_outside_the_workspace_are_refused_before_a_job_is_queued(
        escapes: dict[str, str], sentinel: tuple[Path, str], tiny_data: Path, workspace: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A model folder (``--model``, ``model.name``) must lie in the workspace: it is code and weights the training
    process loads (the data, by contrast, is any file the command-line user can read)."""
    attempts: list[list[str]] = []
    for kind in ("absolute", "home", "symlinked-dir"):
        (sentinel[0].parent / "config.json").write_text("{}", encoding="utf-8")  # looks like a model folder
        bad = "linked-dir" if kind == "symlinked-dir" else escapes[kind]
        attempts.append(["train", "--model", bad, "--data", "tiny.csv", "--detach"])
        config = workspace / f"{kind}.yaml"
        cfg = tiny_config().model_dump()
        cfg["model"]["name"] = bad
        config.write_text(__import__("yaml").safe_dump(cfg), encoding="utf-8")
        attempts.append(["train", str(config), "--detach"])
    for argv in attempts:
        code = tunewise(argv)
        err = capsys.readouterr().err
        assert code == 2 and "outside the workspace" in err, (argv, code, err)
        assert sentinel[1] not in err
    assert JobStore().list() == []


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
