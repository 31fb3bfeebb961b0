"""``tunewise chat`` in a real terminal process: one-shot JSON answers, and a whole conversation per task
(advice, example data, a model folder, confirmation, a real training job, status, comparison), offline.

Tiny random models stand in for the catalog's generative models, which cannot be downloaded here: the
conversation goes through the same refusal a user without the Hub sees, then names a model folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from finetune.jobs.store import JobStore
from tests.helpers.tiny_models import tiny_encoder_with_minilm_tokenizer, tiny_llama, tiny_t5

ROOT = Path(__file__).resolve().parents[2]
TUNEWISE = [sys.executable, "-m", "assistant.cli.main"]

CONVERSATIONS: dict[str, tuple[str, Callable[[Path], Path]]] = {
    "text-classification": ("Route support tickets to the right team; we have 800 labelled tickets.",
                            tiny_encoder_with_minilm_tokenizer),
    "token-classification": ("We want to pull part names, prices and bike models out of our service notes; we "
                             "have 400 annotated notes.", tiny_encoder_with_minilm_tokenizer),
    "question-answering": ("We want a bot that answers staff questions from our handbook by pointing at the exact "
                           "passage; we have 160 question and answer pairs with the passage.",
                           tiny_encoder_with_minilm_tokenizer),
    "summarization": ("We need to summarize long incident reports into three-line digests; we have 2000 written "
                      "pairs.", tiny_t5),
    "translation": ("Translate our English support replies into German in our own terminology; we have 290 "
                    "translated pairs.", tiny_t5),
    "chat": ("We want our support chatbot to answer in our house style; we have 220 example conversations "
             "written by our best agents.", tiny_llama),
}
SLOW_TASKS = {"token-classification", "question-answering", "translation", "summarization"}


def _env(workspace: Path) -> dict[str, str]:
    return {**os.environ, "TUNEWISE_HOME": str(workspace), "TUNEWISE_OFFLINE": "1", "OMP_NUM_THREADS": "1",
            "PYTHONPATH": str(ROOT)}


def chat_once(workspace: Path, message: str) -> dict:
    out = subprocess.run([*TUNEWISE, "chat", "--once", message, "--json"], capture_output=True, text=True,
                         env=_env(workspace), cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    return json.loads(out.stdout)


def test_once_json_answers_a_greeting_without_tools(workspace: Path) -> None:
    turn = chat_once(workspace, "hello")
    assert turn["tool_calls"] == [] and turn["notices"] == []
    assert "offline guide" in turn["reply"]


def test_once_json_lists_the_tool_calls_and_whether_they_ran(workspace: Path) -> None:
    turn = chat_once(workspace, CONVERSATIONS["text-classification"][0])
    assert [(c["name"], c["ran"], c["error"]) for c in turn["tool_calls"]] == [("assess_task", True, False)]
    assert turn["tool_calls"][0]["args"]["description"].startswith("Route support tickets")
    assert "Recommendation: **fine-tune**" in turn["tool_calls"][0]["result"]
    assert "text classification" in turn["reply"]


def test_once_masks_a_pasted_key(workspace: Path) -> None:
    secret = "sk-proj-" + "Zq8" * 12
    turn = chat_once(workspace, f"here is our key {secret} please remember it")
    assert secret not in json.dumps(turn)
    assert turn["notices"] and "secret" in turn["notices"][0]


def test_json_without_once_is_a_clear_error(workspace: Path) -> None:
    out = subprocess.run([*TUNEWISE, "chat", "--json"], capture_output=True, text=True, env=_env(workspace),
                         cwd=ROOT, timeout=120)
    assert out.returncode == 2 and "--json needs --once" in out.stderr and "Traceback" not in out.stderr


def _wait_for_jobs(workspace: Path, timeout_s: float = 600) -> list:
    os.environ["TUNEWISE_HOME"] = str(workspace)  # the store reads it (the fixture restores it afterwards)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        jobs = JobStore().list()
        if jobs and all(j.status in ("succeeded", "failed", "cancelled") for j in jobs):
            return jobs
        time.sleep(1)
    raise AssertionError("the job did not finish in time")


def _say(proc: subprocess.Popen, text: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(text + "\n")
    proc.stdin.flush()


@pytest.mark.parametrize("task", [pytest.param(t, marks=pytest.mark.slow) if t in SLOW_TASKS else t
                                  for t in CONVERSATIONS])
def test_a_whole_conversation_per_task_in_the_terminal(task: str, workspace: Path) -> None:
    description, build = CONVERSATIONS[task]
    build(workspace / "models" / "tiny")
    transcript = workspace / "chat.txt"
    with transcript.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen([*TUNEWISE, "chat"], stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,
                                text=True, env=_env(workspace), cwd=ROOT)
        try:
            for line in ("hello", description, "use the example data", "use model models/tiny, 1 epoch", "yes"):
                _say(proc, line)
            jobs = _wait_for_jobs(workspace)
            for line in ("status", "compare", "/quit"):
                _say(proc, line)
            assert proc.wait(timeout=300) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
    text = transcript.read_text(encoding="utf-8")
    assert "Traceback" not in text
    assert len(jobs) == 1 and jobs[0].status == "succeeded", text[-3000:]
    assert jobs[0].task == task
    assert "offline guide" in text
    assert "⚙ assess_task(" in text and "⚙ inspect_dataset(" in text
    assert f"of **{task}** data" in text  # the example of the task under discussion was picked
    assert "Shall I start?" in text  # the plan was shown and confirmed before anything ran
    assert text.index("Shall I start?") < text.index(f"Started fine-tuning job `{jobs[0].id}`")
    assert f"Job `{jobs[0].id}` is **succeeded**" in text
    assert "Base vs tuned on" in text and "tiny test model" in text
