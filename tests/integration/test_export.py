"""Export of a finished job: merged model = base + adapter, the model card, and push to the Hub (offline).

Two tiny jobs (a BERT classifier and a Llama chat model, both LoRA on a 32-bit base so the comparison is
exact) are trained once in a workspace shared by the tests of this module.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog.errors import ConfigError, JobError, PathError
from finetune.config.run import RunConfig
from finetune.export.card import NOT_CATALOG_NOTE, write_model_card
from finetune.export.hub import HubError, check_repo_id, merge_adapter, push_job
from finetune.jobs.refs import resolve_job_dir
from tests.helpers.tiny_models import tiny_bert, tiny_llama

ROOT = Path(__file__).resolve().parents[2]
CATALOG_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
CLS_TEXTS = ["my card charge was twice", "where is my parcel it is late", "please help login password"]
CHAT_TEXTS = ["Where is my parcel? It was due on Monday.", "I was charged twice for my card, please help."]


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("export") / "workspace"
    home.mkdir()
    return home


@pytest.fixture(autouse=True)
def workspace(workspace: Path, shared_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The conftest workspace's offline settings, but one folder for the module: the tiny jobs train once."""
    monkeypatch.setenv("TUNEWISE_HOME", str(shared_home))
    return shared_home


@pytest.fixture(scope="module")
def trained() -> dict[str, Path]:
    return {}


def _train(home: Path, name: str, cfg: dict[str, Any]) -> Path:
    from finetune.train.main import main

    job = home / "jobs" / name
    job.mkdir(parents=True)
    RunConfig.from_dict({**cfg, "output": {"dir": str(job)}}).save(job / "config.yaml")
    assert main([str(job / "config.yaml")]) == 0, (job / "events.jsonl").read_text(encoding="utf-8")[-2000:]
    return job


@pytest.fixture
def cls_job(workspace: Path, trained: dict[str, Path]) -> Path:
    if "cls" not in trained:
        model = tiny_bert(workspace / "models" / "tiny-bert")
        rows = ["text,label"] + [f"my card charge was twice {i},billing" for i in range(12)] + \
               [f"where is my parcel it is late {i},delivery" for i in range(12)]
        (workspace / "tiny.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        trained["cls"] = _train(workspace, "cls", {
            "model": {"name": str(model)}, "data": {"path": "tiny.csv"}, "quantization": {"bits": 32},
            "lora": {"target_modules": ["query", "value"], "r": 4},
            "train": {"max_steps": 4, "batch_size": 8, "learning_rate": 5e-2, "warmup_ratio": 0.0},
            "eval": {"max_examples": 8}})
    return trained["cls"]


@pytest.fixture
def chat_job(workspace: Path, trained: dict[str, Path]) -> Path:
    if "chat" not in trained:
        model = tiny_llama(workspace / "models" / "tiny-llama")
        shutil.copy(ROOT / "examples" / "chat_house_style.jsonl", workspace / "chat.jsonl")
        trained["chat"] = _train(workspace, "chat", {
            "task": "chat", "model": {"name": str(model)}, "data": {"path": "chat.jsonl", "max_length": 96},
            "quantization": {"bits": 32}, "lora": {"target_modules": ["q_proj", "v_proj"], "r": 4},
            "train": {"max_steps": 3, "batch_size": 8, "learning_rate": 5e-2, "warmup_ratio": 0.0},
            "eval": {"max_examples": 4, "max_new_tokens": 4}})
    return trained["chat"]


def _reference_logits(job: Path, texts: list[str]) -> tuple[Any, Any, Any]:
    """``(tokenizer, base + adapter logits, base logits)`` from the fp32 base with the peft adapter attached."""
    import torch

    from finetune.train.model import load_for_inference

    model, tokenizer = load_for_inference(job, RunConfig.from_yaml(job / "config.yaml"))
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        tuned = model(**batch).logits
        with model.disable_adapter():
            base = model(**batch).logits
    return tokenizer, tuned, base


def _assert_merged_matches(out: Path, job: Path, auto_class: str, texts: list[str]) -> Any:
    import torch
    import transformers

    tokenizer, tuned, base = _reference_logits(job, texts)
    merged = getattr(transformers, auto_class).from_pretrained(out).eval()
    with torch.no_grad():
        logits = merged(**tokenizer(texts, padding=True, return_tensors="pt")).logits
    assert torch.allclose(logits, tuned, atol=1e-4), (logits - tuned).abs().max()
    assert (logits - base).abs().max() > 1e-3  # the adapter changed the model
    assert not (out / "adapter_config.json").exists()  # a plain transformers model, no peft needed
    return merged


def test_merged_classifier_equals_base_plus_adapter(cls_job: Path, workspace: Path) -> None:
    (workspace / "merged-cls").mkdir()  # an existing empty folder is accepted
    out = merge_adapter(cls_job, Path("merged-cls"))
    assert out == workspace / "merged-cls"
    merged = _assert_merged_matches(out, cls_job, "AutoModelForSequenceClassification", CLS_TEXTS)
    assert merged.config.id2label == {0: "billing", 1: "delivery"}
    assert json.loads((out / "labels.json").read_text(encoding="utf-8")) == ["billing", "delivery"]
    card = yaml.safe_load((out / "README.md").read_text(encoding="utf-8").split("---")[1])
    assert card["library_name"] == "transformers" and "merged" in card["tags"]
    assert not list(workspace.glob(".merged-cls.tmp-*"))


def test_merged_chat_model_equals_base_plus_adapter(chat_job: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    out = merge_adapter(chat_job, Path("merged-chat"))
    _assert_merged_matches(out, chat_job, "AutoModelForCausalLM", CHAT_TEXTS)
    half = merge_adapter(chat_job, Path("merged-chat-bf16"), dtype="bfloat16")
    assert AutoModelForCausalLM.from_pretrained(half).dtype == torch.bfloat16


def test_merge_refuses_bad_targets(cls_job: Path, workspace: Path, tmp_path: Path) -> None:
    with pytest.raises(PathError, match="outside the workspace"):
        merge_adapter(cls_job, tmp_path / "elsewhere")
    (workspace / "full").mkdir()
    (workspace / "full" / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(PathError, match="not an empty folder"):
        merge_adapter(cls_job, Path("full"))
    assert (workspace / "full" / "keep.txt").read_text(encoding="utf-8") == "mine"
    with pytest.raises(ConfigError, match="float32"):
        merge_adapter(cls_job, Path("m16"), dtype="float16")
    (workspace / "jobs" / "unfinished").mkdir()
    (workspace / "jobs" / "unfinished" / "config.yaml").write_text("task: chat\n", encoding="utf-8")
    with pytest.raises(JobError, match="no trained adapter"):
        merge_adapter(workspace / "jobs" / "unfinished", Path("m-unfinished"))


def _front_matter(card: str) -> dict[str, Any]:
    assert card.startswith("---\n")
    return yaml.safe_load(card.split("---\n")[1])


def _assert_no_outside_paths(text: str, home: Path) -> None:
    assert str(home) not in text and str(home.parent) not in text
    assert not re.search(r"(^|[\s\"'`(=])/(home|tmp|root|usr|work|Users|var|opt)/", text), text


def test_model_card_of_a_tiny_model(cls_job: Path, workspace: Path) -> None:
    card = write_model_card(cls_job).read_text(encoding="utf-8")
    meta = _front_matter(card)
    assert meta["library_name"] == "peft" and meta["pipeline_tag"] == "text-classification"
    assert {"tunewise", "lora", "text-classification"} <= set(meta["tags"]) and "qlora" not in meta["tags"]
    assert "base_model" not in meta  # a local folder is no Hub id; the Hub would reject it
    assert "license" not in meta
    metrics = json.loads((cls_job / "metrics.json").read_text(encoding="utf-8"))
    results = meta["model-index"][0]["results"][0]
    assert results["task"]["type"] == "text-classification" and results["dataset"]["name"] == "tiny.csv"
    assert {m["type"]: m["value"] for m in results["metrics"]} == {k: round(v, 4) for k, v in metrics["tuned"].items()}
    assert NOT_CATALOG_NOTE in card and "`./models/tiny-bert`" in card
    assert "tunewise train jobs/cls/config.yaml" in card
    assert "20 training rows and 4 held-out rows" in card and metrics["base_method"] in card
    assert "| accuracy |" in card and "r / alpha / dropout | 4 / 32 / 0.05" in card
    assert 'PeftModel.from_pretrained(base, "./jobs/cls/adapter")' in card
    _assert_no_outside_paths(card, workspace)


def test_model_card_of_a_catalog_model_and_its_push_plan(cls_job: Path, workspace: Path) -> None:
    """Same adapter files, but the config names a catalog model: Hub id, licence, no tiny-model note."""
    job = workspace / "jobs" / "catalog-job"
    shutil.copytree(cls_job, job, ignore=shutil.ignore_patterns("checkpoints", "README.md"))
    cfg = RunConfig.from_yaml(job / "config.yaml")
    cfg.model.name = CATALOG_MODEL
    cfg.quantization.bits = 4
    cfg.save(job / "config.yaml")
    (job / "metrics.json").write_text(json.dumps({"task": "text-classification", "metric": "accuracy",
                                                  "eval_rows": 100, "tuned": {"accuracy": 0.91}}), encoding="utf-8")
    card = write_model_card(job).read_text(encoding="utf-8")
    meta = _front_matter(card)
    assert meta["base_model"] == CATALOG_MODEL and meta["license"] == "apache-2.0"
    assert "qlora" in meta["tags"] and NOT_CATALOG_NOTE not in card
    assert "There is no baseline" in card and "±10 points" in card
    assert f'AutoModelForSequenceClassification.from_pretrained("{CATALOG_MODEL}"' in card

    result = push_job(job, "someone/catalog-adapter", dry_run=True)
    staged = {f["path"]: f["bytes"] for f in result["files"]}
    config = json.loads((job / "adapter" / "adapter_config.json").read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = CATALOG_MODEL  # the upload names the Hub id, not a local folder
    assert staged["adapter_config.json"] == len(json.dumps(config, indent=2, sort_keys=True)) + 1
    assert (job / "README.md").read_text(encoding="utf-8") == card  # the local card is left as it was


@pytest.fixture
def hub_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any call to the Hub fails the test, and no token is in the environment."""
    import huggingface_hub

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a dry run must not call the Hub")

    for method in ("create_repo", "upload_folder", "create_commit", "whoami"):
        monkeypatch.setattr(huggingface_hub.HfApi, method, refuse)
    monkeypatch.delenv("HF_TOKEN", raising=False)


@pytest.mark.disable_socket
@pytest.mark.usefixtures("hub_refused")
def test_push_dry_run_lists_files_and_touches_no_network(cls_job: Path, workspace: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    (cls_job / "README.md").unlink(missing_ok=True)
    result = push_job(cls_job, "someone/tiny-adapter", dry_run=True)
    files = {f["path"]: f["bytes"] for f in result["files"]}
    assert {"adapter_model.safetensors", "adapter_config.json", "README.md", "labels.json", "metrics.json"} <= set(files)
    assert files["adapter_model.safetensors"] == (cls_job / "adapter" / "adapter_model.safetensors").stat().st_size
    assert not any(name.startswith(("checkpoints", "events", "config.yaml")) for name in files)
    assert result["repo_id"] == "someone/tiny-adapter" and result["private"] is True and result["dry_run"] is True
    assert result["card"].startswith("---\n")
    card = (cls_job / "README.md").read_text(encoding="utf-8")  # written because it was missing
    assert 'PeftModel.from_pretrained(base, "someone/tiny-adapter")' in card
    _assert_no_outside_paths(json.dumps(result), workspace)


def test_push_needs_a_token_and_a_reachable_hub(cls_job: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)  # ignore a developer's saved login
    with pytest.raises(HubError, match="hf auth login"):
        push_job(cls_job, "someone/tiny-adapter")
    with pytest.raises(HubError, match="Offline mode is on"):  # the conftest workspace runs offline
        push_job(cls_job, "someone/tiny-adapter", token="hf_secret_token_value")


class FakeHub:
    """Stands in for ``huggingface_hub.HfApi``: records calls and what the uploaded folder held."""

    calls: list[tuple[str, dict[str, Any]]] = []
    fail_with: Exception | None = None

    def __init__(self, token: str | None = None) -> None:
        self.token = token

    def create_repo(self, repo_id: str, **kwargs: Any) -> str:
        if FakeHub.fail_with is not None:
            raise FakeHub.fail_with
        FakeHub.calls.append(("create_repo", {"repo_id": repo_id, "token": self.token, **kwargs}))
        return f"https://huggingface.co/{repo_id}"

    def upload_folder(self, *, repo_id: str, folder_path: str, **kwargs: Any) -> Any:
        folder = Path(folder_path)
        files = {p.name: p.read_bytes() for p in folder.iterdir()}
        FakeHub.calls.append(("upload_folder", {"repo_id": repo_id, "files": files, **kwargs}))
        return type("Commit", (), {"commit_url": f"https://huggingface.co/{repo_id}/commit/abc"})()


def test_push_uploads_adapter_card_labels_and_metrics(cls_job: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx
    import huggingface_hub
    from huggingface_hub.errors import HfHubHTTPError

    monkeypatch.setenv("TUNEWISE_OFFLINE", "0")
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr("catalog.availability.hub_reachable", lambda timeout=1.5: True)
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeHub)
    monkeypatch.setattr(FakeHub, "calls", [])
    monkeypatch.setenv("HF_TOKEN", "hf_from_env")
    result = push_job(cls_job, "someone/tiny-adapter", private=False)
    (create, kwargs), (upload, sent) = FakeHub.calls
    assert kwargs == {"repo_id": "someone/tiny-adapter", "token": "hf_from_env", "repo_type": "model",
                      "private": False, "exist_ok": True}
    assert set(sent["files"]) == {"adapter_model.safetensors", "adapter_config.json", "README.md", "labels.json",
                                  "metrics.json", "tokenizer.json", "tokenizer_config.json"}
    assert b'from_pretrained(base, "someone/tiny-adapter")' in sent["files"]["README.md"]
    assert sent["files"]["adapter_model.safetensors"] == (cls_job / "adapter" / "adapter_model.safetensors").read_bytes()
    assert result["url"] == "https://huggingface.co/someone/tiny-adapter" and "hf_from_env" not in json.dumps(result)
    assert not list(cls_job.glob(".push-*"))  # the staging folder is gone

    request = httpx.Request("POST", "https://huggingface.co/api/repos/create")
    for error, message in ((HfHubHTTPError("401", response=httpx.Response(401, request=request)), "token was refused"),
                           (httpx.ConnectError("no route", request=request), "Could not reach")):
        monkeypatch.setattr(FakeHub, "fail_with", error)
        with pytest.raises(HubError, match=message):
            push_job(cls_job, "someone/tiny-adapter", token="hf_secret_token_value")
    assert not list(cls_job.glob(".push-*"))


@pytest.mark.parametrize("repo_id", ["no-namespace", "a/b/c", "user/re--po", "user/.hidden", "user/name.git",
                                     "user/", "/name", "user/" + "x" * 97, "user/has space"])
def test_invalid_repo_ids_are_refused(repo_id: str) -> None:
    with pytest.raises(ConfigError, match="repo id"):
        check_repo_id(repo_id)


def test_valid_repo_id_and_job_references(cls_job: Path, workspace: Path) -> None:
    from finetune.jobs.runner import JobRunner
    from finetune.jobs.store import Job

    assert check_repo_id(" my-org/tiny_adapter.v2 ") == "my-org/tiny_adapter.v2"
    assert resolve_job_dir(str(cls_job)) == cls_job and resolve_job_dir("jobs/cls") == cls_job
    runner = JobRunner()
    runner.store.insert(Job(id="exp0001", owner="local", status="succeeded", task="text-classification", model="m",
                            data="tiny.csv", folder=str(cls_job), pid=None, created=0.0, started=None, finished=None,
                            reason=None, exit_code=0, resume=0, cancel_requested=0))
    assert resolve_job_dir("exp0001") == cls_job
    with pytest.raises(JobError):
        resolve_job_dir("no-such-job")
    with pytest.raises(JobError, match="not a job folder"):  # the CLI reads any path, but only a job folder
        resolve_job_dir("/etc")


def _tunewise(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TUNEWISE_HOME": str(home), "TUNEWISE_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "assistant.cli.main", *args], capture_output=True, text=True,
                          env=env, cwd=home, timeout=300)


def test_cli_export_and_push_dry_run(cls_job: Path, workspace: Path) -> None:
    out = _tunewise("export", str(cls_job), "--merge", "merged-cli", home=workspace)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == str(workspace / "merged-cli")
    assert (workspace / "merged-cli" / "model.safetensors").is_file()
    again = _tunewise("export", str(cls_job), "--merge", "merged-cli", home=workspace)
    assert again.returncode == 2 and "not an empty folder" in again.stderr and "Traceback" not in again.stderr

    push = _tunewise("push", str(cls_job), "user/repo", "--dry-run", "--json", home=workspace)
    assert push.returncode == 0, push.stderr
    files = {f["path"] for f in json.loads(push.stdout)["files"]}
    assert {"adapter_model.safetensors", "adapter_config.json", "README.md"} <= files
    bad = _tunewise("push", str(cls_job), "user/re--po", "--dry-run", home=workspace)
    assert bad.returncode == 2 and "repo id" in bad.stderr and "Traceback" not in bad.stderr
    offline = _tunewise("push", "jobs/cls", "user/repo", home=workspace)
    assert offline.returncode == 2 and ("hf auth login" in offline.stderr or "Offline" in offline.stderr)


# -- card metadata and push --merged ---------------------------------------------------------------------
def _catalog_job(cls_job: Path, workspace: Path, name: str) -> Path:
    """The tiny adapter under a config that names a catalog model (so the card has a Hub base_model)."""
    job = workspace / "jobs" / name
    shutil.copytree(cls_job, job, ignore=shutil.ignore_patterns("checkpoints", "README.md", "merged"))
    cfg = RunConfig.from_yaml(job / "config.yaml")
    cfg.model.name = CATALOG_MODEL
    cfg.save(job / "config.yaml")
    return job


def test_card_metadata_validates_and_parses_back(cls_job: Path, workspace: Path) -> None:
    from huggingface_hub import ModelCard, metadata_load
    from huggingface_hub.repocard_data import model_index_to_eval_results

    from finetune.export.card import card_problems, read_job, render_card

    job = _catalog_job(cls_job, workspace, "card-job")
    card = render_card(read_job(job), repo_id="someone/tickets-adapter", dataset_id="someone/support-tickets")
    assert card_problems(card, adapter=True) == []
    (job / "README.md").write_text(card, encoding="utf-8")
    meta = metadata_load(job / "README.md") or {}
    assert meta["base_model"] == CATALOG_MODEL and meta["library_name"] == "peft"
    assert meta["base_model_relation"] == "adapter" and meta["pipeline_tag"] == "text-classification"
    assert meta["datasets"] == ["someone/support-tickets"]
    name, results = model_index_to_eval_results(meta["model-index"])
    metrics = json.loads((job / "metrics.json").read_text(encoding="utf-8"))
    assert name == "tickets-adapter"
    assert {r.metric_type: r.metric_value for r in results} == {k: round(v, 4) for k, v in metrics["tuned"].items()}
    assert {(r.task_type, r.dataset_type, r.dataset_name, r.dataset_split) for r in results} == {
        ("text-classification", "someone/support-tickets", "someone/support-tickets", "held-out")}
    parsed = ModelCard(card, ignore_metadata_errors=False)
    assert parsed.data.eval_results == results and parsed.data.base_model == CATALOG_MODEL
    assert "[`someone/support-tickets`](https://huggingface.co/datasets/someone/support-tickets)" in card

    # a local file stays out of `datasets` (the Hub would link a dataset that does not exist)
    local = render_card(read_job(job))
    assert card_problems(local, adapter=True) == [] and "datasets" not in _front_matter(local)


def test_card_problems_are_reported_and_block_a_push(cls_job: Path, workspace: Path) -> None:
    from finetune.export.card import card_problems

    assert card_problems("---\nlicense: [unclosed\n---\n# x\n")[0].startswith("The front matter does not parse")
    problems = card_problems("---\nlibrary_name: transformers\n---\n# x\n", adapter=True)
    assert "`pipeline_tag` is missing." in problems and any("needs 'peft'" in p for p in problems)
    assert card_problems("---\npipeline_tag: text-classification\nlibrary_name: peft\nmodel-index: [{}]\n---\n",
                         adapter=True)[0].startswith("The front matter does not parse: Invalid `model_index`")

    job = _catalog_job(cls_job, workspace, "edited-card-job")
    write_model_card(job)
    card = (job / "README.md").read_text(encoding="utf-8")
    (job / "README.md").write_text(card.replace("pipeline_tag: text-classification\n", ""), encoding="utf-8")
    with pytest.raises(ConfigError, match="would not validate on the Hub: `pipeline_tag` is missing"):
        push_job(job, "someone/edited", dry_run=True)
    with pytest.raises(ConfigError, match="dataset repo id"):
        push_job(job, "someone/edited", dry_run=True, dataset_id="not-an-id")


@pytest.mark.disable_socket
@pytest.mark.usefixtures("hub_refused")
def test_push_merged_dry_run_lists_the_merged_model(cls_job: Path, workspace: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from finetune.export.card import card_problems

    job = _catalog_job(cls_job, workspace, "merged-job")
    cfg = RunConfig.from_yaml(job / "config.yaml")
    cfg.model.name = str(workspace / "models" / "tiny-bert")  # merge onto the real (tiny) base weights
    cfg.save(job / "config.yaml")
    result = push_job(job, "someone/tiny-merged", dry_run=True, merged=True)
    files = {f["path"]: f["bytes"] for f in result["files"]}
    assert result["merged"] is True and result["dry_run"] is True
    assert {"model.safetensors", "config.json", "README.md", "labels.json", "tokenizer_config.json"} <= set(files)
    assert "adapter_model.safetensors" not in files and "adapter_config.json" not in files
    assert files["model.safetensors"] == (job / "merged" / "model.safetensors").stat().st_size
    card = (job / "merged" / "README.md").read_text(encoding="utf-8")
    assert card_problems(card, adapter=False) == [] and _front_matter(card)["library_name"] == "transformers"
    assert "merged" in _front_matter(card)["tags"]
    assert "library_name: transformers" in result["card"] and "library_name: peft" not in result["card"]
    made = (job / "merged" / "model.safetensors").stat().st_mtime_ns
    again = push_job(job, "someone/tiny-merged", dry_run=True, merged=True)  # the merge is made once
    assert again["files"] == result["files"] and (job / "merged" / "model.safetensors").stat().st_mtime_ns == made
    _assert_no_outside_paths(json.dumps(result), workspace)
