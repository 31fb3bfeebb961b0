"""The agent's tool schemas come from ``RunConfig``; a plan starts from its preset; every estimate sizes one run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import ToolMessage
from pydantic import ValidationError

from assistant.session import Services
from assistant.tools.schemas import START_FINETUNE_FIELDS, EstimateArgs, StartFinetuneArgs, plan_config
from assistant.tools.toolkit import make_tools
from catalog import get_model
from catalog.hardware import Hardware
from finetune.config.defaults import default_estimate_shape, estimate_shape
from finetune.config.presets import load_preset
from finetune.config.run import RunConfig, config_field, field_bounds
from finetune.jobs.runner import JobRunner

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
TICKETS = "examples/support_tickets.csv"
LAPTOP = Hardware(device="cpu", cpu_count=4, ram_gb=16)


@pytest.fixture(autouse=True)
def laptop(monkeypatch: pytest.MonkeyPatch) -> None:
    import catalog.hardware

    monkeypatch.setattr(catalog.hardware, "detect_hardware", lambda: LAPTOP)


def test_start_finetune_schema_is_generated_from_run_config() -> None:
    fields = StartFinetuneArgs.model_fields
    assert list(fields) == list(START_FINETUNE_FIELDS)
    for name, path in START_FINETUNE_FIELDS.items():
        info = config_field(path)
        assert fields[name].description == info.description, name
        generated = field_bounds(fields[name])
        assert all(generated[key] == value for key, value in field_bounds(info).items()), name
    assert fields["model_id"].is_required() and fields["dataset"].is_required()
    assert all(fields[name].default is None for name in START_FINETUNE_FIELDS if name not in ("model_id", "dataset"))


def test_start_finetune_schema_refuses_unknown_fields_and_out_of_bounds_values() -> None:
    with pytest.raises(ValidationError, match="trust_remote_code"):
        StartFinetuneArgs(model_id=MINILM, dataset=TICKETS, trust_remote_code=True)
    with pytest.raises(ValidationError) as info:
        StartFinetuneArgs(model_id=MINILM, dataset=TICKETS, epochs=0, batch_size=5000, task="poetry")
    assert {e["loc"][0] for e in info.value.errors()} == {"epochs", "batch_size", "task"}


def test_a_plan_starts_from_the_preset_of_its_task_and_model() -> None:
    cfg, preset = plan_config(StartFinetuneArgs(model_id=MINILM, dataset=TICKETS, task="text-classification"))
    assert preset == "text-classification-minilm-qlora"
    assert cfg == load_preset(preset, **{"data.path": TICKETS})
    assert cfg.train.batch_size == 32, "the preset's batch, not RunConfig's 16"
    mine, _ = plan_config(StartFinetuneArgs(model_id=MINILM, dataset=TICKETS, batch_size=8, epochs=1))
    assert (mine.train.batch_size, mine.train.epochs) == (8, 1), "the call's values win over the preset's"


def test_a_plan_for_another_size_of_a_family_starts_from_the_family_preset() -> None:
    cfg, preset = plan_config(StartFinetuneArgs(model_id="Qwen/Qwen2.5-1.5B-Instruct", dataset="chats.jsonl",
                                                task="chat"))
    assert preset == "chat-qwen2.5-0.5b-qlora"
    assert cfg.model.name == "Qwen/Qwen2.5-1.5B-Instruct" and cfg.data.path == "chats.jsonl"
    assert (cfg.train.batch_size, cfg.train.gradient_accumulation) == (4, 4)


def test_a_plan_without_a_preset_takes_run_config_defaults() -> None:
    cfg, preset = plan_config(StartFinetuneArgs(model_id="FacebookAI/roberta-base", dataset=TICKETS))
    assert preset is None
    assert cfg == RunConfig.from_dict({"model": {"name": "FacebookAI/roberta-base"}, "data": {"path": TICKETS}})


def _call(tool: Any, **args: Any) -> ToolMessage:
    message = tool.invoke({"name": tool.name, "args": args, "id": "call_test", "type": "tool_call"})
    assert isinstance(message, ToolMessage)
    return message


def test_the_agents_plan_names_its_preset_and_starts_nothing(runner: JobRunner) -> None:
    services = Services(runner=runner, single_user=True)
    tools = {t.name: t for t in make_tools(services, services.session())}
    message = _call(tools["start_finetune"], model_id=MINILM, dataset=TICKETS)
    assert message.artifact["status"] == "needs_confirmation"
    plan = message.artifact["plan"]
    assert plan["preset"] == "text-classification-minilm-qlora" and plan["batch_size"] == 32
    assert "text-classification-minilm-qlora" in str(message.content)
    assert runner.list() == []


def test_the_catalog_tab_the_estimate_tool_and_the_plan_size_the_same_run(runner: JobRunner) -> None:
    from assistant.tools.estimates import estimate_for, estimate_run
    from assistant.ui.catalog_tab import catalog_table

    entry = get_model(MINILM)
    cfg, _ = plan_config(StartFinetuneArgs(model_id=MINILM, dataset=TICKETS))
    assert default_estimate_shape("text-classification", entry) == estimate_shape(cfg)
    _, tool = estimate_for(EstimateArgs(model_id=MINILM), task="text-classification")
    plan = estimate_run(MINILM, estimate_shape(cfg), examples=1000)
    table = catalog_table("text-classification", "any", "any", 0, False)
    row = table[table["model"] == MINILM].iloc[0]
    assert tool["memory_gb"] == plan["memory_gb"]
    assert row["QLoRA memory (GB)"] == round(plan["memory_gb"], 1)
    assert (row["fits here"] == "yes") == tool["fits"] == plan["fits"]


def test_estimate_arguments_left_out_take_the_default_runs_values() -> None:
    from assistant.tools.estimates import estimate_for

    text, est = estimate_for(EstimateArgs(model_id="Qwen/Qwen2.5-0.5B-Instruct"), task="chat")
    preset = load_preset("chat-qwen2.5-0.5b-qlora")
    assert (est["seq_len"], est["batch_size"], est["method"]) == (preset.data.max_length, 4, "qlora")
    assert f"x {preset.train.epochs:g} epochs" in text
    _, mine = estimate_for(EstimateArgs(model_id="Qwen/Qwen2.5-0.5B-Instruct", seq_len=256, batch_size=2))
    assert (mine["seq_len"], mine["batch_size"]) == (256, 2)



def test_the_plan_says_when_a_job_is_spread_over_ray_nodes(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.tools.actions import plan_launch_line

    monkeypatch.setenv("TUNEWISE_RAY_ADDRESS", "127.0.0.1:1")  # nothing is contacted until a job is submitted
    monkeypatch.setenv("TUNEWISE_RAY_NODES", "2")
    services = Services(runner=JobRunner(), single_user=True)
    cfg, _ = plan_config(StartFinetuneArgs(model_id=MINILM, dataset=TICKETS))
    launch, line = plan_launch_line(services, cfg)
    assert launch is None and "over 2 nodes" in line and "(DDP)" in line
    monkeypatch.setenv("TUNEWISE_RAY_NODES", "1")
    _, one = plan_launch_line(Services(runner=JobRunner(), single_user=True), cfg)
    assert "the node it lands on" in one
