"""Secrets in the environment and in chat never reach job folders, logs, CLI output or the transcript.

``HF_TOKEN`` and ``OPENAI_API_KEY`` hold fake values that match no token shape, so only the environment
rule of ``finetune.redact`` can catch them; a chat message pastes one of them and a shaped ``sk-proj-``
key. A real job runs (from the CLI with ``-v``), then more CLI commands, then a chat turn through the
page's handler; every file of the workspace (job folder, SQLite store, uploads), every output and every
log record is searched for the values.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.cli.main import main as tunewise
from finetune.jobs.store import JobStore
from finetune.redact import MASK
from tests.reliability.conftest import ROOT, log_text, tiny_config, tree_text, wait_stopped


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {"HF_TOKEN": f"twfake-hub-{uuid.uuid4().hex}", "OPENAI_API_KEY": f"twfake-llm-{uuid.uuid4().hex}"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_secrets_stay_out_of_jobs_logs_cli_output_and_the_transcript(
        secrets: dict[str, str], tiny_data: Path, workspace: Path, stop_at: Callable[..., None],
        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    config = workspace / "run.yaml"
    tiny_config().save(config)

    # The training process gets the Hub token (gated models need it) but not the LLM key.
    stop_at("open:checkpoint-4/trainer_state.json")
    assert tunewise(["-v", "train", str(config), "--detach"]) == 0
    (job,) = JobStore().list()
    pid = wait_stopped(JobStore(), job.id)
    environ = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace").split("\0")
    assert f"HF_TOKEN={secrets['HF_TOKEN']}" in environ
    assert not any(v.startswith("OPENAI_API_KEY=") for v in environ)
    os.kill(pid, signal.SIGCONT)
    stop_at()
    outputs = [capsys.readouterr()]
    assert tunewise(["-v", "train", str(config)]) == 0, log_text(workspace / "jobs")  # a full job, waited for
    outputs.append(capsys.readouterr())
    done = next(j for j in JobStore().list() if j.status == "succeeded")
    for command in (["data", "check", "tiny.csv"], ["catalog", "--json"], ["jobs", "list"], ["jobs", "show", done.id],
                    ["jobs", "logs", done.id], ["advise", f"classify tickets; my key is {secrets['HF_TOKEN']}"]):
        tunewise(["-v", *command])
        outputs.append(capsys.readouterr())
    # and as real processes, so stderr carries the logging output of a fresh interpreter
    for command in (["compare", done.id, "--json"], ["jobs", "show", done.id, "--json"]):
        proc = subprocess.run([sys.executable, "-m", "assistant.cli.main", "-v", *command], capture_output=True, text=True,
                              cwd=ROOT, env=os.environ.copy(), timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        outputs.append(proc)  # type: ignore[arg-type]

    files = {p.name for p in done.path.iterdir()}
    assert {"config.yaml", "events.jsonl", "train.log", "README.md", "metrics.json", "adapter"} <= files
    everything = tree_text(workspace) + "".join(o.out + o.err if hasattr(o, "out") else o.stdout + o.stderr
                                                for o in outputs) + caplog.text
    for name, value in secrets.items():
        assert value not in everything, f"{name} leaked"
    assert all(j.status == "succeeded" for j in JobStore().list())


def test_a_secret_pasted_into_chat_is_masked_everywhere(secrets: dict[str, str], workspace: Path,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from assistant.agent import Assistant
    from assistant.session import Services
    from assistant.settings import Settings
    from assistant.ui.chat_tab import ChatHandlers
    from finetune.jobs.runner import JobRunner

    caplog.set_level(logging.DEBUG)
    shaped = "sk-proj-" + uuid.uuid4().hex + uuid.uuid4().hex
    assistant = Assistant(Services(runner=JobRunner()), settings=Settings(llm_backend="guide"))
    handlers = ChatHandlers(assistant)
    message = (f"we route support tickets to billing and refunds; our hub token is {secrets['HF_TOKEN']} and "
               f"the openai key {shaped}, check examples/support_tickets.csv")
    *_, (history, _, session) = handlers.chat(message, [], "session-1")
    assert session == "session-1"
    session = assistant.services.session("session-1")
    state = assistant.agent_for(session).get_state({"configurable": {"thread_id": session.id}})
    transcript = json.dumps(history, default=str) + repr(state.values.get("messages", []))
    for value in (*secrets.values(), shaped):
        assert value not in transcript
        assert value not in caplog.text
        assert value not in tree_text(workspace)
    assert any("secret" in str(m.get("content", "")) and m["role"] == "assistant" for m in history)  # the notice
    assert history[0]["content"].count(MASK) == 2
    replayed = handlers.restore("session-1")[1]  # the page reloads: the replayed conversation is masked too
    assert replayed and not any(v in json.dumps(replayed, default=str) for v in (*secrets.values(), shaped))
