"""Every task trains end to end through ``python -m finetune.train`` on a tiny random model, in 4-bit.

Tiny random models show the plumbing (features, collator, heads, metrics, baseline, job folder) and
that the loss goes down on the training data; their held-out scores mean nothing.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from finetune.config.run import RunConfig
from tests.helpers.tiny_models import tiny_encoder_with_minilm_tokenizer, tiny_llama, tiny_t5

ROOT = Path(__file__).resolve().parents[2]

CASES: dict[str, tuple[str, Callable[[Path], Path], list[str]]] = {
    "token-classification": ("ner_custom_entities.jsonl", tiny_encoder_with_minilm_tokenizer, ["query", "value"]),
    "question-answering": ("qa_handbook.jsonl", tiny_encoder_with_minilm_tokenizer, ["query", "value"]),
    "summarization": ("summarization_incidents.jsonl", tiny_t5, ["q", "v"]),
    "translation": ("translation_en_de_support.jsonl", tiny_t5, ["q", "v"]),
    "chat": ("chat_house_style.jsonl", tiny_llama, ["q_proj", "v_proj"]),
}
EXPECTED_METRICS = {"token-classification": {"entity_f1", "token_accuracy"},
                    "question-answering": {"exact_match", "f1"},
                    "summarization": {"rouge1", "rouge2", "rougeL"},
                    "translation": {"bleu", "chrf", "rougeL"},
                    "chat": {"rougeL"}}


def _losses(job: Path) -> list[float]:
    events = [json.loads(line) for line in (job / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    return [e["loss"] for e in events if e.get("type") == "log" and e.get("loss") is not None]


@pytest.mark.parametrize("task", list(CASES))
def test_task_trains_a_tiny_model_and_its_loss_goes_down(task: str, workspace: Path) -> None:
    data_file, build, targets = CASES[task]
    shutil.copy(ROOT / "examples" / data_file, workspace / data_file)
    model_dir = build(workspace / "models" / f"tiny-{task}")
    job = workspace / "jobs" / task
    job.mkdir(parents=True)
    cfg = RunConfig.from_dict({
        "task": task, "model": {"name": str(model_dir)}, "data": {"path": data_file, "max_length": 96, "doc_stride": 32},
        "lora": {"target_modules": targets, "r": 8},
        "train": {"max_steps": 30, "batch_size": 8, "learning_rate": 1e-2, "logging_steps": 2, "save_steps": 15,
                  "warmup_ratio": 0.0},
        "eval": {"max_examples": 6, "max_new_tokens": 8}, "output": {"dir": str(job)}})
    cfg.save(job / "config.yaml")
    from finetune.train.main import main

    assert main([str(job / "config.yaml")]) == 0, (job / "events.jsonl").read_text(encoding="utf-8")[-2000:]
    losses = _losses(job)
    assert len(losses) >= 5
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3, losses
    metrics = json.loads((job / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["task"] == task and metrics["eval_rows"] == 6
    assert EXPECTED_METRICS[task] <= set(metrics["tuned"])
    if task in ("summarization", "translation"):  # a tiny T5: the same weights, adapter off, same prompt
        assert metrics["base_method"] == "the base model without the adapter"
        assert EXPECTED_METRICS[task] <= set(metrics["base"])
    elif task == "chat":  # a decoder-only model: the base is prompted with worked examples where they fit
        assert metrics["base_method"].startswith("the same weights without the adapter, prompted")
        assert EXPECTED_METRICS[task] <= set(metrics["base"])
        assert set(metrics["intervals"]) >= {"rougeL"} and metrics["intervals"]["rougeL"]["rows"] == 6
    else:
        assert "base" not in metrics  # an untrained head is no baseline
    preds = [json.loads(line) for line in (job / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(preds) == 6 and all({"input", "reference", "tuned"} <= set(p) for p in preds)
    assert (job / "adapter" / "adapter_model.safetensors").is_file()
    assert any((job / "checkpoints").glob("checkpoint-*"))
    events = [json.loads(line) for line in (job / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all(e["tokens_per_s"] > 0 for e in events if e["type"] == "log")  # non-padding tokens counted
    card = (job / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---") and task in card and "tunewise train" in card
    if task == "token-classification":
        labels = json.loads((job / "labels.json").read_text(encoding="utf-8"))
        assert labels[0] == "O" and "B-PRODUCT" in labels
        assert all(len(p["tuned"]) == len(p["reference"]) for p in preds)


def test_chat_with_packing_trains_on_full_blocks(workspace: Path) -> None:
    shutil.copy(ROOT / "examples" / "chat_house_style.jsonl", workspace / "chat.jsonl")
    model_dir = tiny_llama(workspace / "models" / "tiny-chat")
    job = workspace / "jobs" / "packed"
    job.mkdir(parents=True)
    cfg = RunConfig.from_dict({
        "task": "chat", "model": {"name": str(model_dir)}, "data": {"path": "chat.jsonl", "max_length": 256},
        "lora": {"target_modules": ["q_proj", "v_proj"], "r": 8},
        "train": {"max_steps": 12, "batch_size": 4, "learning_rate": 1e-2, "logging_steps": 2, "packing": True,
                  "warmup_ratio": 0.0},
        "eval": {"max_examples": 4, "max_new_tokens": 8}, "output": {"dir": str(job)}})
    cfg.save(job / "config.yaml")
    from finetune.train.main import main

    assert main([str(job / "config.yaml")]) == 0
    events = [json.loads(line) for line in (job / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    start = next(e for e in events if e["type"] == "start")
    # 176 conversations of ~200 tokens packed into 256-token blocks: far fewer examples than conversations
    assert start["train_examples"] < 176
    losses = _losses(job)
    assert losses[-1] < losses[0]


def test_eval_steps_and_early_stopping_map_onto_the_trainer(workspace: Path) -> None:
    from finetune.train.main import training_arguments

    cfg = RunConfig.from_dict({"train": {"eval_steps": 10, "early_stopping_patience": 2, "save_steps": 50}})
    args = training_arguments(cfg, workspace, "cpu", has_eval=True)
    assert args.eval_strategy == "steps" and args.eval_steps == 10
    assert args.load_best_model_at_end and args.metric_for_best_model == "eval_loss"
    assert args.save_steps == 10  # best-checkpoint selection needs a checkpoint at every evaluation
    plain = training_arguments(RunConfig(), workspace, "cpu", has_eval=False)
    assert plain.eval_strategy == "no" and not plain.load_best_model_at_end
