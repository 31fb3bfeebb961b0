"""Fixtures of the reliability suite: a tiny model job that trains in seconds, deterministic fault points,
sentinel files outside the workspace, and clean-up of every training process a test started.

Jobs here train a 2-layer, 32-wide random BERT (``tests/tiny_models.tiny_bert``) in 4-bit on ``tiny.csv``:
the plumbing of a real job (subprocess, checkpoints, atomic adapter save, events, metrics) in seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from finetune.config.run import RunConfig
from finetune.jobs.runner import JobRunner
from finetune.jobs.store import ACTIVE, Job, JobStore
from tests.helpers.job_helpers import kill_running_jobs
from tests.helpers.tiny_models import tiny_bert

ROOT = Path(__file__).resolve().parents[2]
HOOKS = Path(__file__).resolve().parent / "hooks"
JOB_TIMEOUT_S = 180.0

#: Starts a runner in a process of its own, submits the jobs of the given configs and idles: the app.
APP_SCRIPT = """
import sys, time
from finetune.config.run import RunConfig
from finetune.jobs.runner import JobRunner
runner = JobRunner(max_running=1)
for path in sys.argv[1:]:
    print(runner.submit(RunConfig.from_yaml(path)).id, flush=True)
time.sleep(600)
"""


@pytest.fixture
def tiny_data(workspace: Path) -> Path:
    """``tiny.csv`` (two labels, 40 rows, 8 of them held out) and ``models/tiny-bert`` in the workspace."""
    tiny_bert(workspace / "models" / "tiny-bert")
    rows = ["text,label,split"]
    rows += [f"my card charge was twice {i},billing,{'test' if i % 5 == 0 else 'train'}" for i in range(20)]
    rows += [f"where is my parcel it is late {i},delivery,{'test' if i % 5 == 0 else 'train'}" for i in range(20)]
    path = workspace / "tiny.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def tiny_config(**train: Any) -> RunConfig:
    """A job on the tiny BERT: 12 steps of batch 4, a checkpoint every 4 steps (override with ``train``)."""
    settings = {"max_steps": 12, "batch_size": 4, "logging_steps": 1, "save_steps": 4, "device": "cpu",
                "warmup_ratio": 0.0, **train}
    return RunConfig.from_dict({
        "model": {"name": str(Path(os.environ["TUNEWISE_HOME"]) / "models" / "tiny-bert")},
        "data": {"path": "tiny.csv", "max_length": 16},
        "lora": {"target_modules": ["query", "value"], "r": 4},
        "train": settings,
        "eval": {"baseline": "none"},
    })


@pytest.fixture
def make_runner(workspace: Path) -> Iterator[Callable[..., JobRunner]]:
    """Build real ``JobRunner``s; at the end every training process the store knows of is killed."""

    def factory(**kwargs: Any) -> JobRunner:
        kwargs.setdefault("max_running", 1)
        return JobRunner(**kwargs)

    yield factory
    kill_running_jobs()




@pytest.fixture
def stop_at(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Arm the fault hook for training processes started from now on: ``stop_at("open:adapter-tmp")``.

    Call it with no argument to disarm (a resumed run must not stop again).
    """

    def arm(*specs: str) -> None:
        if specs:
            path = os.environ.get("PYTHONPATH", "")
            monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(HOOKS), path) if p))
            monkeypatch.setenv("TUNEWISE_TEST_STOP_ON", ",".join(specs))
        else:
            monkeypatch.delenv("TUNEWISE_TEST_STOP_ON", raising=False)

    return arm


def process_state(pid: int) -> str:
    """The one-letter state of a process (``R``, ``S``, ``T`` stopped, ``Z`` zombie), or ``-`` when gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return fh.read().rsplit(") ", 1)[-1][:1]
    except OSError:
        return "-"


def wait_until(condition: Callable[[], bool], what: str, timeout: float = JOB_TIMEOUT_S) -> None:
    """Poll ``condition`` until it holds (``AssertionError`` naming ``what`` after ``timeout``)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def wait_stopped(runner_or_store: JobRunner | JobStore, job_id: str) -> int:
    """Wait until the job's training process has stopped itself at the armed fault point; return its pid."""
    store = runner_or_store.store if isinstance(runner_or_store, JobRunner) else runner_or_store
    pid: list[int] = []

    def stopped() -> bool:
        job = store.get(job_id)
        assert job is not None
        if job.status not in ACTIVE:
            raise AssertionError(f"job ended ({job.status}: {job.reason}) before the fault point:\n"
                                 + log_text(job.path))
        if job.pid and process_state(job.pid) == "T":
            pid.append(job.pid)
            return True
        return False

    wait_until(stopped, "the training process to reach the fault point")
    return pid[0]


def log_text(path: Path) -> str:
    """The end of a job's train.log (for assertion messages)."""
    log = path / "train.log"
    return log.read_text(encoding="utf-8", errors="replace")[-3000:] if log.exists() else "(no log)"


def start_app(*configs: Path) -> tuple[subprocess.Popen[str], list[str]]:
    """Start the app process on the configs; return it and the ids of the jobs it submitted."""
    app = subprocess.Popen([sys.executable, "-c", APP_SCRIPT, *map(str, configs)], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert app.stdout is not None
    ids = [app.stdout.readline().strip() for _ in configs]
    assert all(ids), "the app process did not submit its jobs"
    return app, ids


def adapter_state(job: Job | Path) -> str:
    """``absent`` or ``complete`` for a job's ``adapter/``; anything else (``torn: ...``) is corruption.

    Complete means peft loads it onto the base and it holds trained LoRA weights and the tokenizer.
    """
    folder = (job.path if isinstance(job, Job) else job) / "adapter"
    if not folder.exists():
        return "absent"
    names = {p.name for p in folder.iterdir()}
    missing = {"adapter_config.json", "adapter_model.safetensors", "tokenizer_config.json"} - names
    if missing:
        return f"torn: missing {sorted(missing)}"
    from peft import PeftConfig
    from safetensors.torch import load_file

    config = PeftConfig.from_pretrained(str(folder))
    weights = load_file(str(folder / "adapter_model.safetensors"))
    if not any("lora_A" in k for k in weights) or config.peft_type.value != "LORA":
        return "torn: no LoRA weights"
    return "complete"


def load_adapter(job_dir: Path) -> Any:
    """Load a job's adapter onto its base with peft, as serving does (raises when it cannot)."""
    import json

    from peft import PeftModel
    from transformers import AutoModelForSequenceClassification

    labels = json.loads((job_dir / "labels.json").read_text(encoding="utf-8"))
    config = RunConfig.from_yaml(job_dir / "config.yaml")
    base = AutoModelForSequenceClassification.from_pretrained(config.model.name, num_labels=len(labels))
    return PeftModel.from_pretrained(base, str(job_dir / "adapter"))


@pytest.fixture
def sentinel(workspace: Path) -> tuple[Path, str]:
    """A file outside the workspace with unique content: it must never be read into any output."""
    text = f"SENTINEL-{uuid.uuid4().hex}"
    path = workspace.parent / "outside" / "secret.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"text,label\n{text} one,a\n{text} two,b\n", encoding="utf-8")
    return path, text


def tree_text(folder: Path) -> str:
    """Every file under ``folder`` as text (binary files decoded loosely): for "never appears" checks."""
    parts = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            parts.append(path.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(parts)
