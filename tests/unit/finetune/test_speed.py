"""The fast paths keep the result: the selected-token causal loss equals the model's own loss."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from finetune.config.run import RunConfig
from finetune.train.speed import selected_token_trainer, use_bf16_autocast


def _tiny_llama() -> torch.nn.Module:
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=97, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64)
    return LlamaForCausalLM(config).eval()


def _batch() -> dict[str, torch.Tensor]:
    ids = torch.randint(3, 97, (3, 12))
    mask = torch.ones_like(ids)
    mask[1, 9:] = 0  # a padded row
    labels = ids.clone()
    labels[:, :5] = -100  # the prompt is not learned
    labels[mask == 0] = -100
    labels[2, :] = -100  # a row whose answer was cut off: no loss at all
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


@pytest.fixture
def trainer(tmp_path: Path):  # type: ignore[no-untyped-def]
    from transformers import TrainingArguments

    args = TrainingArguments(output_dir=str(tmp_path), use_cpu=True, report_to="none")
    return selected_token_trainer()(model=_tiny_llama(), args=args)


def test_selected_token_loss_equals_the_models_own_loss(trainer) -> None:  # type: ignore[no-untyped-def]
    batch = _batch()
    with torch.no_grad():
        expected = trainer.model(**batch).loss
        got, outputs = trainer.compute_loss(trainer.model, dict(batch), return_outputs=True)
    assert torch.allclose(got, expected, atol=1e-5)
    learned = int((batch["labels"][:, 1:] != -100).sum())
    assert outputs.logits.shape == (learned, 97)  # logits were built only where a token is learned


def test_selected_token_loss_normalises_by_the_trainers_token_count(trainer) -> None:  # type: ignore[no-untyped-def]
    batch = _batch()
    learned = int((batch["labels"][:, 1:] != -100).sum())
    with torch.no_grad():
        mean = trainer.compute_loss(trainer.model, dict(batch))
        scaled = trainer.compute_loss(trainer.model, dict(batch), num_items_in_batch=torch.tensor(4 * learned))
    assert trainer.loss_is_scaled_for_ga  # the Trainer must not divide by accumulation steps again
    assert torch.allclose(scaled * 4, mean, atol=1e-5)


def test_bf16_autocast_follows_the_config_and_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    from finetune.train import speed

    cfg = RunConfig.from_dict({"task": "chat", "model": {"name": "m"}, "data": {"path": "d.jsonl"}})
    monkeypatch.setattr(speed, "cpu_has_bf16", lambda: True)
    assert use_bf16_autocast(cfg, "cpu", decoder_only=True)
    assert not use_bf16_autocast(cfg, "cpu")  # encoders lost 13 points of accuracy with it: off by default
    assert not use_bf16_autocast(cfg, "cuda", decoder_only=True)  # a GPU base computes in bf16 already
    monkeypatch.setattr(speed, "cpu_has_bf16", lambda: False)
    assert not use_bf16_autocast(cfg, "cpu", decoder_only=True)
    assert use_bf16_autocast(cfg.model_copy(update={"train": cfg.train.model_copy(
        update={"mixed_precision": "bf16"})}), "cpu")
