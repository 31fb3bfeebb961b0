"""The pre-flight fit every job gets (``finetune.train.preflight``), and the default model for a task."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.estimate import memory_budget_gb
from catalog.hardware import Hardware
from catalog.plan_fit import EstimateShape, fit_plan
from finetune.config.defaults import default_config, default_model
from finetune.train import preflight as preflight_module
from finetune.train.preflight import CPU_JOB_BUDGET_S, CPU_TIME_BUDGET_S, preflight
from tests.helpers.tiny_models import tiny_llama

ROOT = Path(__file__).resolve().parents[3]
SMALL_CPU = Hardware(device="cpu", ram_gb=24.0, cpu_count=2)
SMOLLM = "HuggingFaceTB/SmolLM2-135M-Instruct"


@pytest.fixture
def tiny_causal(workspace: Path) -> str:
    tiny_llama(workspace / "models" / "tiny-llama")
    return "models/tiny-llama"


def test_causal_length_comes_from_the_data_and_explicit_fields_are_kept(tiny_causal: str) -> None:
    cfg, _ = default_config("chat", tiny_causal, {"data.path": "examples/chat_house_style.jsonl"})
    assert cfg.data.max_length == 1024  # the fixed default the data now replaces
    fitted = preflight(cfg, hardware=SMALL_CPU)
    p99 = fitted.lengths["p99"]
    assert fitted.config.data.max_length == min(256, -(-p99 // 64) * 64)  # capped by the model's 256 positions
    assert any(c.startswith("max length 1024 -> ") for c in fitted.changes)
    assert fitted.train_rows + fitted.held_out_rows == 220 and fitted.memory_gb is not None

    given = cfg.model_copy(update={"data": cfg.data.model_copy(update={"max_length": 96})})
    kept = preflight(given, explicit={"data.max_length"}, hardware=SMALL_CPU)
    assert kept.config.data.max_length == 96 and not any("max length" in c for c in kept.changes)


def test_a_cpu_plan_is_capped_to_the_time_budget_unless_the_user_set_the_steps(
        tiny_causal: str, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg, _ = default_config("chat", tiny_causal, {"data.path": "examples/chat_house_style.jsonl"})
    uncapped = preflight(cfg, hardware=SMALL_CPU)
    assert uncapped.config.train.max_steps == -1
    monkeypatch.setattr(preflight_module, "CPU_TIME_BUDGET_S", uncapped.seconds / 4)
    capped = preflight(cfg, hardware=SMALL_CPU)
    assert 1 <= capped.config.train.max_steps < uncapped.steps and capped.steps == capped.config.train.max_steps
    assert capped.seconds is not None and capped.seconds <= uncapped.seconds / 4 + 1e-9
    assert any(f"capped at {capped.steps} steps" in c and "raise train.max_steps" in c for c in capped.changes)
    for given in ({"train.max_steps"}, {"train.epochs"}):
        assert preflight(cfg, explicit=given, hardware=SMALL_CPU).config.train.max_steps == -1
    on_gpu = Hardware(device="cuda", gpu_name="Tesla T4", gpu_memory_gb=15.0, ram_gb=32.0, cpu_count=8)
    assert preflight(cfg, hardware=on_gpu).config.train.max_steps == -1  # the budget is a CPU's


def test_the_fit_prints_every_change_and_the_figures(tiny_causal: str) -> None:
    cfg, _ = default_config("chat", tiny_causal, {"data.path": "examples/chat_house_style.jsonl"})
    lines = preflight(cfg, hardware=SMALL_CPU).summary()
    assert lines[0].startswith(f"plan: chat on {tiny_causal}") and "training rows" in lines[0]
    assert any("estimated peak memory" in line and "training about" in line for line in lines)
    assert any(line.strip().startswith("changed: max length") for line in lines)


def test_on_a_cpu_the_batch_shrinks_before_checkpointing_turns_on() -> None:
    shape = EstimateShape(method="qlora", seq_len=384, batch_size=16, gradient_accumulation=1, lora_rank=16,
                          gradient_checkpointing=False, epochs=1.0)
    dims = {"hidden_size": 576, "num_layers": 30, "vocab_size": 49_152}
    fit = fit_plan(134_515_008, SMALL_CPU, shape, batch_first=True, **dims)
    assert fit is not None and not fit.gradient_checkpointing
    assert fit.batch_size * fit.gradient_accumulation == 16 and fit.batch_size < 16
    assert fit.estimate.total_gb <= memory_budget_gb(SMALL_CPU)
    assert "accumulation" in fit.changes[0]


def test_default_model_is_the_best_one_that_loads_and_fits_here() -> None:
    assert default_model("text-classification", SMALL_CPU).entry.id == "sentence-transformers/all-MiniLM-L6-v2"
    for task in ("chat", "summarization", "translation"):
        assert default_model(task, SMALL_CPU).entry.id == SMOLLM, task


def _smollm_converted() -> bool:
    from catalog import get_model
    from finetune.train.packaged import is_converted

    try:
        return is_converted(get_model(SMOLLM))
    except Exception:  # noqa: BLE001 - no package, no conversion: the test is skipped
        return False


@pytest.mark.skipif(not _smollm_converted(), reason="the packaged SmolLM2 has not been converted here yet")
@pytest.mark.parametrize(("example", "p99"), [("chat_house_style.jsonl", 379), ("summarization_incidents.jsonl", 308),
                                              ("translation_en_de_support.jsonl", 124), ("qa_handbook.jsonl", 225)])
def test_the_oom_case_and_every_generative_example_get_a_plan_that_fits_and_finishes(example: str, p99: int) -> None:
    """SmolLM2-135M with the old default chat plan (batch 16 x 1024) was OOM-killed at 24 GB; each example's
    default plan must now fit 24 GB with its margin and train within the CPU budget on 2 cores."""
    from finetune.data.intake import load_data

    loaded = load_data(ROOT / "examples" / example)
    cfg, _ = default_config(loaded.task, SMOLLM, {"data.path": f"examples/{example}"})
    fitted = preflight(cfg, loaded=loaded, hardware=SMALL_CPU)
    assert abs(fitted.lengths["p99"] - p99) <= 8
    assert fitted.config.data.max_length == -(-fitted.lengths["p99"] // 64) * 64
    assert fitted.memory_gb is not None and fitted.memory_gb <= memory_budget_gb(SMALL_CPU)
    t = fitted.config.train
    assert t.batch_size * t.gradient_accumulation == 16 and t.batch_size * fitted.config.data.max_length < 16 * 1024
    assert fitted.seconds is not None and fitted.seconds <= CPU_TIME_BUDGET_S + 1
    # the whole job, scoring base and tuned on the held-out rows included, fits the job budget
    assert fitted.eval_seconds is not None and fitted.seconds + fitted.eval_seconds <= CPU_JOB_BUDGET_S + 1
    assert "scoring base and tuned on the held-out rows" in "\n".join(fitted.summary())


def test_a_model_too_big_for_one_gpu_is_planned_sharded_when_there_are_several(
        tiny_causal: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Refusing here would make the launch rule's FSDP-QLoRA unreachable: each GPU's share must fit."""
    from catalog.errors import TunewiseError

    t4 = Hardware(device="cuda", gpu_name="Tesla T4", gpu_memory_gb=15.0, ram_gb=64.0, cpu_count=8)
    cfg, _ = default_config("chat", tiny_causal, {"data.path": "examples/chat_house_style.jsonl"})
    big = preflight_module._Model(params=30_000_000_000, dims={}, kind="causal", context=None, tokenizer=None,
                                  compute_params=30_000_000_000)
    monkeypatch.setattr(preflight_module, "gpus_here", lambda hw: 1)
    with pytest.raises(TunewiseError, match="does not fit here"):
        preflight_module._fit_memory(cfg, big, t4)
    monkeypatch.setattr(preflight_module, "gpus_here", lambda hw: 8)
    fitted, per_gpu, changes = preflight_module._fit_memory(cfg, big, t4)
    assert per_gpu is not None and per_gpu <= memory_budget_gb(t4)
    assert any("FSDP-QLoRA shards the 4-bit base over the 8 GPUs" in c for c in changes)
    eight_bit = cfg.model_copy(update={"quantization": cfg.quantization.model_copy(update={"bits": 8})})
    with pytest.raises(TunewiseError):  # 8-bit weights cannot be sharded: still refused
        preflight_module._fit_memory(eight_bit, big, t4)
