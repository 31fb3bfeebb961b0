"""A model folder outside the catalog (a tiny random BERT) trains through the same entry point."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from finetune.config.run import RunConfig
from tests.helpers.tiny_models import tiny_bert


@pytest.fixture
def tiny_setup() -> tuple[Path, Path]:
    """A tiny random BERT and a two-label ``tiny.csv`` in the test's workspace: ``(home, model_dir)``."""
    home = Path(os.environ["TUNEWISE_HOME"])
    model_dir = tiny_bert(home / "models" / "tiny-bert")
    rows = ["text,label"] + [f"my card charge was twice {i},billing" for i in range(20)] + \
           [f"where is my parcel it is late {i},delivery" for i in range(20)]
    (home / "tiny.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return home, model_dir


def test_tiny_local_model_trains_in_4bit(tiny_setup: tuple[Path, Path]) -> None:
    home, model_dir = tiny_setup
    job = home / "jobs" / "tiny"
    job.mkdir(parents=True)
    cfg = RunConfig.from_dict({"model": {"name": str(model_dir)}, "data": {"path": "tiny.csv"},
                               "train": {"epochs": 1, "batch_size": 8},
                               "lora": {"target_modules": ["query", "value"]},
                               "output": {"dir": str(job)}})
    cfg.save(job / "config.yaml")
    from finetune.train.main import main

    assert main([str(job / "config.yaml")]) == 0
    metrics = json.loads((job / "metrics.json").read_text())
    assert 0.0 <= metrics["tuned"]["accuracy"] <= 1.0
    assert (job / "adapter" / "adapter_model.safetensors").is_file()
    adapter_cfg = json.loads((job / "adapter" / "adapter_config.json").read_text())
    assert set(adapter_cfg["target_modules"]) == {"query", "value"}
    assert "classifier" in adapter_cfg["modules_to_save"]


def test_model_folder_outside_workspace_is_refused() -> None:
    from catalog.errors import PathError
    from finetune.train.model import resolve_model_source

    with pytest.raises(PathError):
        resolve_model_source("/usr/lib")


def test_comparing_a_tiny_model_job_says_it_is_not_real_quality(tiny_setup: tuple[Path, Path]) -> None:
    from assistant.session import Services
    from assistant.tools.actions import TINY_NOTE, compare
    from finetune.jobs.runner import JobRunner

    _, model_dir = tiny_setup
    runner = JobRunner()
    cfg = RunConfig.from_dict({"model": {"name": str(model_dir)}, "data": {"path": "tiny.csv"},
                               "train": {"epochs": 1, "batch_size": 8}, "lora": {"target_modules": ["query"]}})
    job = runner.wait(runner.submit(cfg).id, timeout=300)
    assert job.status == "succeeded", job.reason
    services = Services(runner=runner)
    text, artifact = compare(services, services.session(), job_id=job.id)
    assert TINY_NOTE in text and artifact["note"] == TINY_NOTE


def test_tiny_bert_tokenizer_knows_its_words(tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_bert(tmp_path / "tb"))
    ids = tokenizer("my card charge was twice")["input_ids"]
    assert tokenizer.unk_token_id not in ids and len(ids) == 7
