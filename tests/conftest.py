"""Shared fixtures: every test gets its own workspace and runs offline.

``TUNEWISE_HOME`` points at a fresh temporary folder, so jobs, uploads and the SQLite store never touch
the developer's real workspace; the Hugging Face libraries are told not to try the network.
"""

from __future__ import annotations

import contextlib
import csv
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from finetune.jobs.runner import JobRunner

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_CSV = ROOT / "examples" / "support_tickets.csv"
PACKAGED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


@pytest.fixture(autouse=True)
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private, empty workspace per test, with the offline switches on."""
    home = tmp_path / "workspace"
    home.mkdir()
    monkeypatch.setenv("TUNEWISE_HOME", str(home))
    monkeypatch.setenv("TUNEWISE_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")
    # Training subprocesses inherit this: one intra-op thread each keeps small CPU runs from thrashing
    # when several share a small machine (OpenMP spin-waits degrade badly when oversubscribed).
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    monkeypatch.delenv("TUNEWISE_MAX_JOBS", raising=False)
    monkeypatch.delenv("TUNEWISE_LLM", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("TUNEWISE_LLM_API_KEY", raising=False)
    monkeypatch.delenv("TUNEWISE_LLM_BASE_URL", raising=False)
    _clear_environment_caches()
    yield home
    _clear_environment_caches()


def _clear_environment_caches() -> None:
    """Forget results that were computed from the environment (the Hub reachability probe)."""
    from catalog.availability import reset_hub_cache

    reset_hub_cache()


def ticket_rows(labels: tuple[str, ...] = ("billing", "refund", "delivery"), train_per_label: int = 20,
                test_per_label: int = 7) -> list[dict[str, str]]:
    """A small, balanced subset of the bundled example tickets (text, label, split)."""
    with EXAMPLE_CSV.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    picked: list[dict[str, str]] = []
    for label in labels:
        mine = [r for r in rows if r["label"] == label]
        picked += [r for r in mine if r["split"] == "train"][:train_per_label]
        picked += [r for r in mine if r["split"] == "test"][:test_per_label]
    return picked


def write_csv(path: Path, rows: list[dict[str, str]], fieldnames: list[str] | None = None) -> Path:
    """Write rows as a UTF-8 CSV with a header."""
    fieldnames = fieldnames or list(rows[0])
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="session")
def csv_writer() -> Callable[..., Path]:
    """The ``write_csv`` helper, for tests that build their own tables."""
    return write_csv


@pytest.fixture(scope="session")
def packaged_model() -> str:
    """Catalog id of the model whose weights ship in a pip package (trains offline on CPU)."""
    return PACKAGED_MODEL


@pytest.fixture(scope="session")
def example_rows() -> Callable[..., list[dict[str, str]]]:
    """The ``ticket_rows`` helper: a balanced subset of the example tickets."""
    return ticket_rows


@pytest.fixture
def tickets_csv(workspace: Path) -> Path:
    """``data.csv`` in the workspace: 3 labels, 60 train and 21 test rows from the example file."""
    return write_csv(workspace / "data.csv", ticket_rows())


@pytest.fixture
def runner(workspace: Path) -> Iterator[JobRunner]:
    """A real ``JobRunner`` on the test's workspace; leaves no training process behind."""
    job_runner = JobRunner(max_running=1)
    yield job_runner
    stop_all_jobs(job_runner)


def stop_all_jobs(job_runner: JobRunner) -> None:
    """Cancel every active job of a runner, wait for the processes to end, and drop grace timers."""
    from catalog.errors import JobError
    from finetune.jobs.store import ACTIVE

    for _ in range(3):
        active = [j for j in job_runner.list() if j.status in ACTIVE]
        if not active:
            break
        for job in active:
            with contextlib.suppress(JobError):
                job_runner.cancel(job.id)
        for job in active:
            with contextlib.suppress(JobError):
                job_runner.wait(job.id, timeout=60)
    # ``JobRunner.cancel`` arms a non-daemon SIGKILL timer; once the job has ended it has nothing to do.
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()
