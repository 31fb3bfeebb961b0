"""``RunConfig``: defaults, YAML round trip, and one complete error for every bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.errors import ConfigError
from finetune.config.run import RunConfig, leaf_fields


def test_defaults_are_the_documented_qlora_recipe() -> None:
    cfg = RunConfig()
    assert cfg.task == "text-classification"
    assert cfg.model.name == "sentence-transformers/all-MiniLM-L6-v2"
    assert cfg.model.trust_remote_code is False
    assert cfg.data.path == "examples/support_tickets.csv"
    assert cfg.data.text_column is None and cfg.data.label_column is None
    assert cfg.data.eval_fraction == pytest.approx(0.2)
    assert cfg.quantization.bits == 4
    assert cfg.quantization.quant_type == "nf4"
    assert cfg.quantization.double_quant is True
    assert cfg.lora.method == "lora"
    assert (cfg.lora.r, cfg.lora.alpha) == (16, 32)
    assert cfg.train.max_steps == -1
    assert cfg.train.batch_size == 16
    assert cfg.eval.baseline == "zero-shot"
    assert cfg.output.dir is None


def test_every_field_has_a_description_for_tooltips() -> None:
    fields = leaf_fields()
    assert {"task", "train.max_steps", "lora.r", "data.columns"} <= set(fields)
    for path, info in fields.items():
        assert (info.description or "").strip(), f"{path} has no description"


def test_yaml_round_trip_through_a_file(tmp_path: Path) -> None:
    cfg = RunConfig.from_dict({
        "model": {"name": "google-bert/bert-base-cased"},
        "data": {"path": "uploads/x/tickets.csv", "text_column": "message", "max_length": 64},
        "quantization": {"bits": 8},
        "lora": {"r": 8, "alpha": 16, "target_modules": ["query", "value"]},
        "train": {"epochs": 1.5, "max_steps": 7, "learning_rate": 2e-4, "scheduler": "cosine"},
        "output": {"dir": str(tmp_path / "job")},
    })
    path = tmp_path / "config.yaml"
    cfg.save(path)
    text = path.read_text(encoding="utf-8")
    assert yaml.safe_load(text) == yaml.safe_load(cfg.to_yaml())
    # Every default is written out, so the file alone reproduces the run.
    assert "warmup_ratio" in text and "double_quant" in text
    loaded = RunConfig.from_yaml(path)
    assert loaded == cfg
    assert loaded.lora.target_modules == ["query", "value"]
    assert not path.with_suffix(".yaml.tmp").exists()


def test_default_config_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "default.yaml"
    path.write_text(RunConfig().to_yaml(), encoding="utf-8")
    assert RunConfig.from_yaml(path) == RunConfig()


def test_several_bad_fields_are_all_reported_in_one_error() -> None:
    bad = {
        "task": "poetry",
        "quantization": {"bits": 3},
        "lora": {"r": 0},
        "train": {"learning_rate": 5.0, "batch_size": 0, "scheduler": "wobbly"},
        "data": {"eval_fraction": 0.95},
    }
    with pytest.raises(ConfigError) as info:
        RunConfig.from_dict(bad)
    message = str(info.value)
    for where in ("task", "quantization.bits", "lora.r", "train.learning_rate", "train.batch_size",
                  "train.scheduler", "data.eval_fraction"):
        assert f"- {where}:" in message, f"{where} missing from:\n{message}"
    assert "7 problem(s)" in message
    assert "Traceback" not in message


def test_literal_fields_list_the_allowed_values() -> None:
    with pytest.raises(ConfigError) as info:
        RunConfig.from_dict({"train": {"device": "tpu"}})
    assert "train.device" in str(info.value)
    assert "'cpu'" in str(info.value) and "'cuda'" in str(info.value)


def test_unknown_field_is_rejected_by_name() -> None:
    with pytest.raises(ConfigError) as info:
        RunConfig.from_dict({"train": {"epochz": 3}})
    message = str(info.value)
    assert "train.epochz" in message
    assert "unknown field" in message
    with pytest.raises(ConfigError, match="optimizer"):
        RunConfig.from_dict({"optimizer": {"name": "sgd"}})


@pytest.mark.parametrize("bits", [4, 8])
def test_full_fine_tuning_of_quantized_weights_is_rejected(bits: int) -> None:
    with pytest.raises(ConfigError) as info:
        RunConfig.from_dict({"lora": {"method": "full"}, "quantization": {"bits": bits}})
    assert "full" in str(info.value) and "quantization.bits" in str(info.value)


def test_full_fine_tuning_in_16_bit_is_accepted() -> None:
    cfg = RunConfig.from_dict({"lora": {"method": "full"}, "quantization": {"bits": 16}})
    assert cfg.lora.method == "full"


def test_from_yaml_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        RunConfig.from_yaml(tmp_path / "nope.yaml")


def test_from_yaml_not_yaml(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("train: {epochs: 3\nmodel: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        RunConfig.from_yaml(path)


@pytest.mark.parametrize("content", ["- just\n- a list\n", "42\n", "just a string\n"])
def test_from_yaml_not_a_mapping(tmp_path: Path, content: str) -> None:
    path = tmp_path / "list.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match="mapping"):
        RunConfig.from_yaml(path)


def test_from_yaml_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "weights.yaml"
    path.write_bytes(b"\xff\xfe\x00\x81binary")
    with pytest.raises(ConfigError):
        RunConfig.from_yaml(path)


def test_from_yaml_reports_field_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("train:\n  epochs: -1\n  batch_size: lots\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        RunConfig.from_yaml(path)
    assert "train.epochs" in str(info.value) and "train.batch_size" in str(info.value)


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                     st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12))
_values = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(st.one_of(st.text(max_size=8), st.integers()),
                                                                         inner, max_size=3)),
                       max_leaves=8)
_sections = st.one_of(
    st.sampled_from(["task", "model", "data", "quantization", "lora", "train", "eval", "output", "extra"]),
    st.integers(0, 3),
)
_fields = st.sampled_from(["name", "path", "bits", "r", "alpha", "epochs", "max_steps", "batch_size", "method",
                           "learning_rate", "text_column", "dir", "baseline", "device", "target_modules", "x"])


@st.composite
def _config_dicts(draw: st.DrawFn) -> dict[Any, Any]:
    data: dict[Any, Any] = {}
    for section in draw(st.lists(_sections, max_size=5, unique=True)):
        if section == "task" or draw(st.booleans()) is False:
            data[section] = draw(_values)
        else:
            data[section] = draw(st.dictionaries(_fields, _values, max_size=4))
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_config_dicts())
def test_random_dicts_only_ever_raise_config_error(data: dict[Any, Any]) -> None:
    try:
        cfg = RunConfig.from_dict(data)
    except ConfigError as exc:
        assert str(exc).startswith("The run config has")
    else:
        assert RunConfig.from_dict(yaml.safe_load(cfg.to_yaml())) == cfg


# -- dotted overrides (``tunewise train CONFIG KEY=VALUE ...``) ------------------------------------------------
def test_key_value_overrides_are_typed_by_their_field() -> None:
    from finetune.config.overrides import config_from, parse_key_values

    overrides, problems = parse_key_values(["train.max_steps=5", "lora.r=8", "model.name=007", "task=chat",
                                            "data.columns.text=body", "train.learning_rate=2e-4",
                                            "lora.target_modules=[q_proj, v_proj]", "model.revision="])
    assert problems == []
    cfg = config_from({}, overrides)
    assert (cfg.train.max_steps, cfg.lora.r, cfg.model.name, cfg.task) == (5, 8, "007", "chat")
    assert cfg.data.columns == {"text": "body"} and cfg.train.learning_rate == pytest.approx(2e-4)
    assert cfg.lora.target_modules == ["q_proj", "v_proj"] and cfg.model.revision is None


def test_every_override_problem_is_in_one_error_with_the_closest_field() -> None:
    from finetune.config.overrides import config_from, parse_key_values

    overrides, problems = parse_key_values(["train.max_step=5", "lora.dropuot=0.1", "train.batch_size=0", "oops"])
    with pytest.raises(ConfigError) as info:
        config_from({"task": "chat"}, overrides, problems=problems)
    message = str(info.value)
    assert "4 problem(s)" in message
    assert "unknown field 'train.max_step': did you mean 'train.max_steps'?" in message
    assert "unknown field 'lora.dropuot': did you mean 'lora.dropout'?" in message
    assert "- train.batch_size:" in message and "'oops' is not KEY=VALUE" in message


def test_the_default_estimate_shape_is_the_default_run() -> None:
    from catalog import get_model
    from finetune.config.defaults import default_estimate_shape, estimate_shape
    from finetune.config.presets import load_preset

    minilm = get_model("sentence-transformers/all-MiniLM-L6-v2")
    assert default_estimate_shape(None, minilm) == estimate_shape(load_preset("text-classification-minilm-qlora"))
    roberta = get_model("FacebookAI/roberta-base")
    shape = default_estimate_shape("question-answering", roberta)
    cfg = RunConfig(task="question-answering")
    assert (shape.seq_len, shape.batch_size, shape.lora_rank, shape.method) == (
        cfg.data.max_length, cfg.train.batch_size, cfg.lora.r, "qlora")
    assert default_estimate_shape("chat", minilm).seq_len <= minilm.context_length, "capped at the context"
