"""End to end: ``python -m finetune.train config.yaml`` on the packaged MiniLM, 4-bit QLoRA on CPU.

One real training run (a few seconds) is shared by the tests of this module; each test checks one part
of the self-describing job folder it leaves behind.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from finetune.config.run import RunConfig
from finetune.train.events import read_events

TRAIN_TIMEOUT_S = 600
PACKAGED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def offline_env(home: Path) -> dict[str, str]:
    """The environment of a training process that uses ``home`` as its workspace."""
    return {**os.environ, "TUNEWISE_HOME": str(home), "TUNEWISE_OFFLINE": "1", "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
            "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}


def run_train(config: Path, home: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "finetune.train", str(config), *extra], cwd=home,
                          env=offline_env(home), capture_output=True, text=True, timeout=TRAIN_TIMEOUT_S)


def write_config(path: Path, **sections: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(sections), encoding="utf-8")
    return path


@dataclass
class TrainedJob:
    home: Path
    job_dir: Path
    proc: subprocess.CompletedProcess[str]
    rows: list[dict[str, str]]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, example_rows: Callable[..., list[dict[str, str]]],
            csv_writer: Callable[..., Path]) -> TrainedJob:
    """Train once: 60 rows, 3 labels, 3 epochs of batch 8 (24 optimizer steps)."""
    home = tmp_path_factory.mktemp("e2e-workspace")
    rows = example_rows(train_per_label=20, test_per_label=4)
    csv_writer(home / "data.csv", rows)
    job_dir = home / "jobs" / "e2e"
    config = write_config(
        home / "config.yaml",
        model={"name": PACKAGED_MODEL},
        data={"path": "data.csv", "max_length": 48},
        quantization={"bits": 4},
        train={"epochs": 3, "batch_size": 8, "learning_rate": 3e-3, "logging_steps": 2, "save_steps": 8,
               "device": "cpu"},
        output={"dir": str(job_dir)},
    )
    proc = run_train(config, home)
    return TrainedJob(home=home, job_dir=job_dir, proc=proc, rows=rows)


def test_training_exits_cleanly(trained: TrainedJob) -> None:
    assert trained.proc.returncode == 0, trained.proc.stderr[-4000:]


def test_job_folder_is_self_describing(trained: TrainedJob) -> None:
    job = trained.job_dir
    for name in ("config.yaml", "events.jsonl", "labels.json", "metrics.json", "predictions.jsonl",
                 "adapter/adapter_config.json", "adapter/adapter_model.safetensors"):
        assert (job / name).is_file(), f"{name} missing from the job folder"
    assert any((job / "checkpoints").glob("checkpoint-*"))
    assert not list(job.glob(".adapter-tmp-*"))
    cfg = RunConfig.from_yaml(job / "config.yaml")
    assert cfg.model.name == PACKAGED_MODEL
    assert cfg.quantization.bits == 4 and cfg.train.epochs == 3
    assert cfg.output.dir == str(job)
    assert json.loads((job / "labels.json").read_text(encoding="utf-8")) == ["billing", "delivery", "refund"]
    splits = json.loads((job / "splits.json").read_text(encoding="utf-8"))["splits"]
    held = splits.get("validation", []) + splits.get("test", [])
    assert splits["train"] and held and not set(splits["train"]) & set(held)
    assert json.loads((job / "splits.json").read_text(encoding="utf-8"))["seed"] == cfg.data.seed
    adapter_cfg = json.loads((job / "adapter" / "adapter_config.json").read_text(encoding="utf-8"))
    assert adapter_cfg["r"] == cfg.lora.r and adapter_cfg["task_type"] == "SEQ_CLS"


def test_events_tell_the_whole_story(trained: TrainedJob) -> None:
    events = read_events(trained.job_dir / "events.jsonl")
    kinds = [e["type"] for e in events]
    for kind in ("start", "log", "eval", "checkpoint", "done"):
        assert kind in kinds, f"no {kind} event in {kinds}"
    assert kinds[-1] == "done"
    assert "error" not in kinds
    assert kinds.index("start") < kinds.index("log") < kinds.index("done")
    start = events[kinds.index("start")]
    assert start["total_steps"] == 24 and start["train_examples"] == 60
    logs = [e for e in events if e["type"] == "log"]
    assert all(math.isfinite(e["loss"]) and e["loss"] >= 0 for e in logs)
    steps = [e["step"] for e in logs]
    assert steps == sorted(steps) and steps[-1] == 24
    assert logs[-1]["progress"] == 1.0 and logs[-1]["eta_s"] == 0.0
    evals = [e for e in events if e["type"] == "eval"]
    assert len(evals) == 3  # one per epoch
    assert all(0.0 <= e["metrics"]["accuracy"] <= 1.0 and math.isfinite(e["metrics"]["loss"]) for e in evals)
    done = events[-1]
    metrics = json.loads((trained.job_dir / "metrics.json").read_text(encoding="utf-8"))
    assert done["metrics"] == metrics


def test_metrics_compare_base_and_tuned(trained: TrainedJob) -> None:
    metrics = json.loads((trained.job_dir / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["task"] == "text-classification" and metrics["metric"] == "accuracy"
    assert metrics["eval_rows"] == 12
    for side in ("base", "tuned"):
        assert 0.0 <= metrics[side]["accuracy"] <= 1.0
        assert 0.0 <= metrics[side]["macro_f1"] <= 1.0
    assert "zero-shot" in metrics["base_method"]


def test_predictions_hold_every_held_out_row(trained: TrainedJob) -> None:
    lines = (trained.job_dir / "predictions.jsonl").read_text(encoding="utf-8").splitlines()
    preds = [json.loads(line) for line in lines]
    held_out = [(r["text"], r["label"]) for r in trained.rows if r["split"] == "test"]
    assert [(p["input"], p["reference"]) for p in preds] == held_out
    labels = {"billing", "delivery", "refund"}
    for p in preds:
        assert {"input", "reference", "base", "tuned", "tuned_score", "base_score"} <= set(p)
        assert p["base"] in labels and p["tuned"] in labels
        assert 0.0 <= p["tuned_score"] <= 1.0
    metrics = json.loads((trained.job_dir / "metrics.json").read_text(encoding="utf-8"))
    accuracy = sum(p["tuned"] == p["reference"] for p in preds) / len(preds)
    assert accuracy == pytest.approx(metrics["tuned"]["accuracy"])
    base_accuracy = sum(p["base"] == p["reference"] for p in preds) / len(preds)
    assert base_accuracy == pytest.approx(metrics["base"]["accuracy"])


def test_saved_adapter_reloads_and_predicts_the_same(trained: TrainedJob) -> None:
    from finetune.tasks.metrics import classifier_predict
    from finetune.train.model import load_for_inference

    job = trained.job_dir
    cfg = RunConfig.from_yaml(job / "config.yaml")
    preds = [json.loads(line) for line in (job / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    model, tokenizer = load_for_inference(job, cfg)
    assert model.config.id2label == {0: "billing", 1: "delivery", 2: "refund"}
    sample = preds[:8]
    again = classifier_predict(model, tokenizer, [p["input"] for p in sample], max_length=cfg.data.max_length)
    for p, (label, score) in zip(sample, again, strict=True):
        assert score == pytest.approx(p["tuned_score"], abs=0.01), p["input"]
        if p["tuned_score"] >= 0.6:  # a clear winner must be the same label
            assert label == p["tuned"], p["input"]
    assert any(p["tuned_score"] >= 0.6 for p in sample), "the tuned model is not confident on any row"


def test_missing_dataset_fails_with_a_readable_error(workspace: Path) -> None:
    job_dir = workspace / "jobs" / "missing"
    config = write_config(workspace / "config.yaml", data={"path": "no_such_tickets.csv"},
                          output={"dir": str(job_dir)})
    proc = run_train(config, workspace)
    assert proc.returncode == 1
    events = read_events(job_dir / "events.jsonl")
    assert events[-1]["type"] == "error"
    reason = events[-1]["reason"]
    assert "no_such_tickets.csv" in reason
    assert "Traceback" not in reason and 'File "' not in reason
    assert events[-1]["category"] == "user"
    assert "start" not in [e["type"] for e in events]
    assert "Traceback" not in proc.stderr
    assert "no_such_tickets.csv" in proc.stderr


def test_invalid_config_file_fails_with_exit_code_1(workspace: Path) -> None:
    config = write_config(workspace / "config.yaml", train={"epochs": -2, "batch_sise": 4})
    proc = run_train(config, workspace)
    assert proc.returncode == 1
    assert "train.epochs" in proc.stderr and "train.batch_sise" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_same_seed_trains_the_same_adapter(workspace: Path, example_rows: Callable[..., list[dict[str, str]]],
                                           csv_writer: Callable[..., Path]) -> None:
    import torch
    from safetensors.torch import load_file

    csv_writer(workspace / "data.csv", example_rows(train_per_label=8, test_per_label=2))
    procs = []
    for name in ("a", "b"):
        config = write_config(workspace / f"{name}.yaml", data={"path": "data.csv", "max_length": 32},
                              train={"max_steps": 1, "batch_size": 8, "logging_steps": 1, "seed": 7,
                                     "device": "cpu"},
                              eval={"baseline": "none", "max_examples": 2},
                              output={"dir": str(workspace / "jobs" / name)})
        procs.append(subprocess.Popen([sys.executable, "-m", "finetune.train", str(config)], cwd=workspace,
                                      env=offline_env(workspace), stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
    assert [p.wait(timeout=TRAIN_TIMEOUT_S) for p in procs] == [0, 0]
    a, b = (load_file(workspace / "jobs" / n / "adapter" / "adapter_model.safetensors") for n in ("a", "b"))
    assert a.keys() == b.keys()
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert different == [], f"{len(different)} of {len(a)} adapter tensors differ, e.g. {different[:3]}"
