"""Every preset under finetune/config/presets/ loads, validates, names a catalog model for its task, and says how to run it."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from catalog import load_catalog
from catalog.errors import ConfigError
from catalog.schema import TASKS
from finetune.config.presets import list_presets, load_preset, preset_path, read_preset
from finetune.config.run import RunConfig

ROOT = Path(__file__).resolve().parents[3]
PRESETS = list_presets()
#: Written out in a preset even when equal to the default: what the preset is about.
ALWAYS_WRITTEN = {"task", "model.name", "quantization.bits"}


def _leaves(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and key != "columns":
            out.update(_leaves(value, path + "."))
        else:
            out[path] = value
    return out


def test_there_are_presets_for_every_task() -> None:
    tasks = {read_preset(name)["task"] for name in PRESETS}
    assert tasks == set(TASKS)
    assert len(PRESETS) >= 12


@pytest.mark.parametrize("name", PRESETS)
def test_preset_loads_and_validates(name: str) -> None:
    cfg = load_preset(name)
    assert isinstance(cfg, RunConfig)
    # the file itself is a plain run config: what `tunewise train FILE` reads
    assert RunConfig.from_yaml(preset_path(name)) == cfg


@pytest.mark.parametrize("name", PRESETS)
def test_preset_model_is_in_the_catalog_for_its_task(name: str) -> None:
    cfg = load_preset(name)
    entry = load_catalog().get(cfg.model.name)
    assert entry is not None, f"{name}: {cfg.model.name} is not in catalog/models.yaml"
    assert cfg.task in entry.tasks, f"{name}: {cfg.model.name} is not catalogued for {cfg.task}"


@pytest.mark.parametrize("name", PRESETS)
def test_preset_header_gives_the_command_that_runs_it(name: str) -> None:
    text = preset_path(name).read_text(encoding="utf-8")
    header = text.split("\ntask:", 1)[0]
    assert all(line.startswith("#") or not line.strip() for line in header.splitlines()), "header is comments"
    assert f"tunewise train finetune/config/presets/{name}.yaml --data FILE" in header


@pytest.mark.parametrize("name", PRESETS)
def test_preset_header_command_works_with_the_cli(name: str, monkeypatch: pytest.MonkeyPatch,
                                                  workspace: Path) -> None:
    from assistant.cli.main import build_parser
    from assistant.cli.train import train_config

    monkeypatch.chdir(ROOT)
    (workspace / "mine.jsonl").write_text("{}\n", encoding="utf-8")
    args = build_parser().parse_args(["train", f"finetune/config/presets/{name}.yaml", "--data", "mine.jsonl"])
    assert train_config(args) == load_preset(name, **{"data.path": "mine.jsonl"})


@pytest.mark.parametrize("name", PRESETS)
def test_preset_writes_only_what_differs_from_the_defaults(name: str) -> None:
    raw = read_preset(name)
    defaults = _leaves(RunConfig(task=raw["task"]).model_dump(mode="json"))
    for path, value in _leaves(raw).items():
        assert path in defaults, f"{name}: {path} is not a RunConfig field"
        if path not in ALWAYS_WRITTEN:
            assert value != defaults[path], f"{name}: {path} = {value!r} is the default; leave it out"


@pytest.mark.parametrize("name", PRESETS)
def test_preset_is_named_for_its_task_and_method(name: str) -> None:
    cfg = load_preset(name)
    assert name.startswith(cfg.task + "-")
    assert name.endswith(("-qlora", "-lora"))
    if name.endswith("-qlora"):
        assert cfg.quantization.bits == 4
        assert read_preset(name)["quantization"]["bits"] == 4, "a QLoRA preset says so explicitly"
    else:
        assert cfg.quantization.bits in (16, 32)
    assert cfg.lora.method == "lora"


def test_qlora_preset_is_the_lora_preset_plus_quantization() -> None:
    pairs = [n for n in PRESETS if n.endswith("-lora") and n.removesuffix("-lora") + "-qlora" in PRESETS]
    assert pairs, "at least one LoRA / QLoRA pair"
    for lora in pairs:
        plain, quantized = read_preset(lora), read_preset(lora.removesuffix("-lora") + "-qlora")
        assert plain.pop("quantization")["bits"] == 16
        assert quantized.pop("quantization")["bits"] == 4
        assert plain == quantized


@pytest.mark.parametrize("name", PRESETS)
def test_preset_data_path_is_a_bundled_example_of_its_task(name: str) -> None:
    from finetune.data.intake import load_data
    from finetune.workspace import confine

    cfg = load_preset(name)
    loaded = load_data(confine(cfg.data.path), task=cfg.task)
    assert len(loaded.records) > 50


def test_every_task_has_a_preset_that_needs_no_gpu() -> None:
    free = {load_preset(n).task for n in PRESETS if load_preset(n).train.device != "cuda"}
    assert free == set(TASKS)


def test_gpu_chat_presets_fit_the_gpus_their_headers_name() -> None:
    from catalog import get_model
    from catalog.estimate import estimate_training_memory

    for name, method, budget_gb in (("chat-llama-3.1-8b-qlora", "qlora", 24), ("chat-llama-3.1-8b-lora", "lora", 40)):
        cfg = load_preset(name)
        m = get_model(cfg.model.name)
        need = estimate_training_memory(m.params, method=method, seq_len=cfg.data.max_length or 0,
                                        batch_size=cfg.train.batch_size, lora_rank=cfg.lora.r,
                                        gradient_checkpointing=cfg.train.gradient_checkpointing,
                                        hidden_size=m.hidden_size, num_layers=m.num_layers, vocab_size=m.vocab_size)
        assert need.total_gb < budget_gb, (name, need.total_gb)


# -- overrides ------------------------------------------------------------------------------------------------
def test_dotted_overrides_are_merged_and_validated() -> None:
    cfg = load_preset("chat-qwen2.5-0.5b-qlora", **{"data.path": "x.jsonl", "train.max_steps": 5,
                                                     "data.columns.prompt": "question"})
    assert (cfg.data.path, cfg.train.max_steps, cfg.data.columns) == ("x.jsonl", 5, {"prompt": "question"})
    assert cfg.train.batch_size == 4 and cfg.eval.max_new_tokens == 256, "the rest of the preset is kept"


def test_section_overrides_merge_into_the_section() -> None:
    cfg = load_preset("text-classification-deberta-v3-qlora", train={"epochs": 1}, quantization={"bits": 32})
    assert cfg.train.epochs == 1 and cfg.train.learning_rate == 5e-4 and cfg.quantization.bits == 32


def test_none_override_restores_the_task_default() -> None:
    cfg = load_preset("translation-opus-mt-en-de-qlora", **{"train.learning_rate": None})
    assert cfg.train.learning_rate == RunConfig(task="translation").train.learning_rate


def test_preset_name_may_carry_the_yaml_suffix() -> None:
    assert load_preset("text-classification-minilm-qlora.yaml") == load_preset("text-classification-minilm-qlora")


def test_unknown_preset_names_the_closest() -> None:
    with pytest.raises(ConfigError, match=r"Did you mean 'chat-qwen2\.5-0\.5b-qlora'"):
        load_preset("chat-qwen")
    with pytest.raises(ConfigError, match="text-classification-minilm-qlora") as info:
        load_preset("text-clasification-minilm")
    assert "There is no preset" in str(info.value)


def test_unknown_override_field_names_the_closest() -> None:
    with pytest.raises(ConfigError) as info:
        load_preset("chat-qwen2.5-0.5b-qlora", **{"train.max_step": 3, "trian.epochs": 1})
    text = str(info.value)
    assert "2 problem(s)" in text and "'train.max_steps'" in text and "did you mean 'train'" in text


def test_invalid_override_values_are_all_listed() -> None:
    with pytest.raises(ConfigError) as info:
        load_preset("chat-qwen2.5-0.5b-qlora", **{"train.batch_size": 0, "quantization.bits": 3})
    text = str(info.value)
    assert "train.batch_size" in text and "quantization.bits" in text


def test_full_fine_tuning_of_a_qlora_preset_is_refused() -> None:
    with pytest.raises(ConfigError, match="full fine-tuning"):
        load_preset("text-classification-minilm-qlora", **{"lora.method": "full"})


def test_presets_ship_in_the_wheel() -> None:
    if sys.version_info < (3, 11):
        pytest.skip("tomllib needs Python 3.11")
    import tomllib
    from setuptools import find_packages

    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found = find_packages(str(ROOT), include=data["tool"]["setuptools"]["packages"]["find"]["include"])
    assert "finetune.config.presets" in found and "tests" not in found
    patterns = data["tool"]["setuptools"]["package-data"]["finetune.config.presets"]
    assert any(Path("x.yaml").match(p) for p in patterns)
    assert all(re.fullmatch(r"[a-z0-9.-]+", name) for name in PRESETS), "file names safe to type"


# -- lookup by task and model ---------------------------------------------------------------------------------
def test_preset_for_takes_the_exact_model_then_its_family() -> None:
    from finetune.config.presets import preset_for

    assert preset_for("chat", "meta-llama/Llama-3.1-8B-Instruct") == "chat-llama-3.1-8b-qlora", "QLoRA first"
    assert preset_for("chat", "Qwen/Qwen2.5-7B-Instruct") == "chat-qwen2.5-0.5b-qlora"
    assert preset_for("summarization", "google/flan-t5-large") == "summarization-flan-t5-qlora"
    assert preset_for("translation", "Helsinki-NLP/opus-mt-en-fr") is None, "another language pair"
    assert preset_for("chat", "meta-llama/Llama-3.2-1B-Instruct") is None, "another version"
    assert preset_for("text-classification", "google/flan-t5-base") is None, "no preset of that task"
    assert preset_for("text-classification", "models/my-model") is None


# -- ``tunewise train`` with presets, generated flags and KEY=VALUE ----------------------------------------------
def _train_args(*words: str) -> Any:
    from assistant.cli.main import build_parser, parse_args

    return parse_args(build_parser(), ["train", *words])


def test_train_flags_are_generated_from_run_config() -> None:
    from assistant.cli.train import FLAG_FIELDS
    from finetune.config.run import config_field

    train = next(a for a in _train_parser()._actions if a.option_strings == ["--task"])
    assert train.choices == list(TASKS)
    for flag, path in FLAG_FIELDS.items():
        action = next(a for a in _train_parser()._actions if flag in a.option_strings)
        assert action.help == config_field(path).description, flag
        assert action.default is None, f"{flag} restates no default"


def _train_parser() -> Any:
    from assistant.cli.main import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sub.choices["train"]  # type: ignore[attr-defined]


def test_train_from_a_preset_with_flags_and_key_values(workspace: Path) -> None:
    from assistant.cli.train import train_config

    (workspace / "mine.jsonl").write_text("{}\n", encoding="utf-8")
    args = _train_args("--preset", "chat-qwen2.5-0.5b-qlora", "--data", "mine.jsonl", "--max-steps", "3", "lora.r=8",
                       "train.max_steps=5")
    assert train_config(args) == load_preset("chat-qwen2.5-0.5b-qlora", **{"data.path": "mine.jsonl", "lora.r": 8,
                                                                            "train.max_steps": 5})


def test_train_key_value_typos_are_one_error_with_hints(workspace: Path) -> None:
    from assistant.cli.train import train_config

    args = _train_args("--preset", "text-classification-minilm-qlora", "train.max_step=5", "lora.r=0")
    with pytest.raises(ConfigError) as info:
        train_config(args)
    message = str(info.value)
    assert "2 problem(s)" in message and "did you mean 'train.max_steps'?" in message and "- lora.r:" in message


def test_train_takes_a_config_file_or_a_preset_not_both(workspace: Path) -> None:
    from assistant.cli.train import train_config

    with pytest.raises(ConfigError, match="not both"):
        train_config(_train_args(str(preset_path("chat-qwen2.5-0.5b-qlora")), "--preset", "chat-qwen2.5-0.5b-qlora"))
