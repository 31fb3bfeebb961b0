"""Base and tuned side by side from one model: predictions per task, mixed batches, streaming, comparison
on a file, the OpenAI-compatible endpoint (with the real ``openai`` client on loopback) — on tiny random
models trained in-process once for the module — and a short real MiniLM classification job.

Tiny jobs train a few steps; the adapters of the generative ones are then scrambled (random LoRA B) so
that base and tuned visibly differ. Their outputs mean nothing: the tests check plumbing and equalities.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from finetune.config.run import RunConfig
from tests.helpers.tiny_models import tiny_encoder_with_minilm_tokenizer, tiny_llama, tiny_t5

ROOT = Path(__file__).resolve().parents[2]
TINY: dict[str, tuple[str, str, list[str]]] = {
    "text-classification": ("support_tickets.csv", "encoder", ["query", "value"]),
    "token-classification": ("ner_custom_entities.jsonl", "encoder", ["query", "value"]),
    "question-answering": ("qa_handbook.jsonl", "encoder", ["query", "value"]),
    "summarization": ("summarization_incidents.jsonl", "t5", ["q", "v"]),
    "translation": ("translation_en_de_support.jsonl", "t5", ["q", "v"]),
    "chat": ("chat_house_style.jsonl", "llama", ["q_proj", "v_proj"]),
}
GENERATIVE = ("summarization", "translation", "chat")
SCRAMBLE_SEED = {"chat": 10}


@pytest.fixture(scope="module", autouse=True)
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One offline workspace for the whole module (overrides the per-test one): the jobs are built once."""
    from catalog.availability import reset_hub_cache
    from finetune.serve.pair import clear_pairs

    home = tmp_path_factory.mktemp("serve-workspace")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {
            "TUNEWISE_HOME": str(home),
            "TUNEWISE_OFFLINE": "1",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
        }.items():
            mp.setenv(key, value)
        reset_hub_cache()
        yield home
        clear_pairs()
    reset_hub_cache()


def _train(home: Path, name: str, settings: dict[str, Any]) -> Path:
    from finetune.train.main import main

    job = home / "jobs" / name
    job.mkdir(parents=True)
    cfg = RunConfig.from_dict({**settings, "output": {"dir": str(job)}})
    cfg.save(job / "config.yaml")
    assert main([str(job / "config.yaml")]) == 0, (job / "events.jsonl").read_text(encoding="utf-8")[-1500:]
    return job


def _scramble(job: Path, seed: int, *, heads: bool = False) -> None:
    """Random LoRA B matrices (and task heads): a few training steps barely move a tiny model's outputs."""
    import torch
    from safetensors.torch import load_file, save_file

    path = job / "adapter" / "adapter_model.safetensors"
    weights = load_file(path)
    gen = torch.Generator().manual_seed(seed)
    for key, value in weights.items():
        if "lora_B" in key or (heads and "classifier" in key):
            weights[key] = torch.randn(value.shape, generator=gen) * 0.5
    save_file(weights, path)


@pytest.fixture(scope="module")
def jobs(workspace: Path) -> dict[str, Path]:
    """A tiny job per task, trained in-process (a few seconds in all)."""
    import torch

    encoder = tiny_encoder_with_minilm_tokenizer(workspace / "models" / "encoder")
    builders = {"t5": tiny_t5, "llama": tiny_llama}
    out = {}
    for task, (data_file, arch, targets) in TINY.items():
        shutil.copy(ROOT / "examples" / data_file, workspace / data_file)
        torch.manual_seed(0)  # the same random weights whatever ran before
        model = encoder if arch == "encoder" else builders[arch](workspace / "models" / task)
        out[task] = _train(
            workspace,
            task,
            {
                "task": task,
                "model": {"name": str(model)},
                "data": {"path": data_file, "max_length": 96, "doc_stride": 32},
                "lora": {"target_modules": targets, "r": 8},
                "train": {
                    "max_steps": 3,
                    "batch_size": 8,
                    "learning_rate": 1e-2,
                    "logging_steps": 1,
                    "save_steps": 100,
                    "warmup_ratio": 0.0,
                },
                "eval": {"max_examples": 4, "max_new_tokens": 10},
            },
        )
        if task in GENERATIVE or task == "token-classification":
            # seed 10 makes the tiny chat model answer with spaces: streamers emit text at word boundaries
            _scramble(out[task], seed=SCRAMBLE_SEED.get(task, 0), heads=task == "token-classification")
    return out


def _records(workspace: Path, task: str, n: int = 4) -> list[dict[str, Any]]:
    from finetune.data.intake import load_data

    return load_data(workspace / TINY[task][0], task=task).records[:n]


def _plain(output: dict[str, Any]) -> Any:
    return next(output[k] for k in ("label", "tags", "answer", "text") if k in output)


# -- predictions per task --------------------------------------------------------------------------
@pytest.mark.parametrize("task", list(TINY))
def test_pair_predictions_have_the_task_shape_and_match_the_recipe(
    task: str, jobs: dict[str, Path], workspace: Path
) -> None:
    from finetune.serve.pair import model_pair

    pair = model_pair(jobs[task])
    records = _records(workspace, task)
    rows = pair.predict_records(records)
    assert len(rows) == len(records) and all(isinstance(r["input"], str) and r["input"] for r in rows)
    expected = [p for p, _ in pair.recipe.predict(pair.model, pair.tokenizer, records)]
    assert [_plain(r["tuned"]) for r in rows] == expected  # the tuned side is what training scored
    if task == "text-classification":
        for row in rows:
            assert {row["base"]["label"], row["tuned"]["label"]} <= set(pair.labels or [])
            assert 0.0 <= row["tuned"]["score"] <= 1.0 and -1.0 <= row["base"]["score"] <= 1.0
    elif task == "token-classification":
        assert any(r["tuned"]["entities"] for r in rows)  # the scrambled head tags something
        for record, row in zip(records, rows, strict=True):
            assert row["base"] is None and "untrained" in row["note"]
            for entity in row["tuned"]["entities"]:
                start, end = entity["start_token"], entity["end_token"]
                assert entity["text"] == " ".join(record["tokens"][start:end])
                assert {t[2:] for t in row["tuned"]["tags"][start:end]} == {entity["type"]}
    elif task == "question-answering":
        for record, row in zip(records, rows, strict=True):
            assert row["base"] is None and row["note"]
            out = row["tuned"]
            assert 0.0 <= out["score"] <= 1.0
            if out["answer"]:
                assert record["context"][out["start"] : out["end"]] == out["answer"]
    else:
        with pair.model.disable_adapter():
            base = [p for p, _ in pair.recipe.predict(pair.model, pair.tokenizer, records)]
        assert [r["base"]["text"] for r in rows] == base
        assert base != expected  # the scrambled adapter changes the answers


def test_inputs_in_user_shapes(jobs: dict[str, Path]) -> None:
    from catalog.errors import DataError
    from finetune.serve.pair import model_pair

    ner = model_pair(jobs["token-classification"]).predict(
        ["Anna bought headphones in Berlin", ["Sony", "store"]], which="tuned"
    )
    assert [len(r["tuned"]["tags"]) for r in ner] == [5, 2] and ner[0]["base"] is None
    qa = model_pair(jobs["question-answering"])
    assert (
        qa.predict([{"question": "How far?", "context": "It covers 60 to 140 km."}])[0]["tuned"]["score"] >= 0
    )
    with pytest.raises(DataError, match="question, context"):
        qa.predict(["no context here"])
    chat = model_pair(jobs["chat"])
    one = chat.predict(
        [[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]], "base"
    )
    assert one[0]["tuned"] is None and isinstance(one[0]["base"]["text"], str)


def test_bio_entities_groups_tags() -> None:
    from finetune.tasks.ner import bio_entities

    tokens = ["Anna", "bought", "Sony", "head", "phones", "in", "New", "York", "Paris"]
    tags = ["B-PER", "O", "B-ORG", "I-PRODUCT", "I-PRODUCT", "O", "B-LOC", "I-LOC", "B-LOC"]
    assert bio_entities(tokens, tags) == [
        {"text": "Anna", "type": "PER", "start_token": 0, "end_token": 1},
        {"text": "Sony", "type": "ORG", "start_token": 2, "end_token": 3},
        {"text": "head phones", "type": "PRODUCT", "start_token": 3, "end_token": 5},
        {"text": "New York", "type": "LOC", "start_token": 6, "end_token": 8},
        {"text": "Paris", "type": "LOC", "start_token": 8, "end_token": 9},
    ]


# -- one model, mixed batches, streaming -----------------------------------------------------------
PROMPTS = ["Where is my parcel?", "I was charged twice for my card, please help. It was due on Monday.", "Hi"]


@pytest.mark.parametrize("task", ["chat", "summarization"])
def test_mixed_batch_equals_one_at_a_time(task: str, jobs: dict[str, Path]) -> None:
    import torch

    from finetune.serve.pair import model_pair

    pair = model_pair(jobs[task])
    rows = pair.predict(PROMPTS, "both")  # base and tuned rows in one generate call per chunk
    assert [r["base"]["text"] for r in rows] != [r["tuned"]["text"] for r in rows]
    calls = []
    original = pair.model.generate

    def spy(**kwargs: Any) -> Any:
        calls.append(kwargs.get("adapter_names"))
        return original(**kwargs)

    with mock.patch.object(pair.model, "generate", side_effect=spy):
        pair.predict(PROMPTS, "both")
    assert calls == [["__base__"] * 3 + ["default"] * 3]
    for prompt, row in zip(PROMPTS, rows, strict=True):
        enc = pair.tokenizer(
            [pair.prompt_text(pair.to_record(prompt))],
            add_special_tokens=pair.kind != "causal",
            return_tensors="pt",
        )
        # the job's decoding settings (greedy, repetition penalty, no repeated n-grams), one prompt at a time
        options = {**pair.generation_options(), "pad_token_id": pair.tokenizer.pad_token_id}
        assert options["repetition_penalty"] > 1.0 and options["no_repeat_ngram_size"] > 0
        with torch.inference_mode():
            tuned = pair.model.generate(**enc, **options)
            with pair.model.disable_adapter():
                base = pair.model.generate(**enc, **options)
        start = enc["input_ids"].shape[1] if pair.kind == "causal" else 1
        alone = [
            pair.tokenizer.decode(ids[0, start:], skip_special_tokens=True).strip() for ids in (base, tuned)
        ]
        assert alone == [row["base"]["text"], row["tuned"]["text"]]


def test_the_pair_holds_one_copy_of_the_weights(jobs: dict[str, Path]) -> None:
    import torch

    from finetune.serve.pair import model_pair

    pair = model_pair(jobs["chat"])
    assert model_pair(jobs["chat"]) is pair  # cached
    pair.predict(["warm up"], "both")
    held = [v for v in vars(pair).values() if isinstance(v, torch.nn.Module)]
    assert held == [pair.model]
    storages = {p.data_ptr() for p in pair.model.parameters()}
    forbid = mock.Mock(side_effect=AssertionError("a second model was loaded"))
    with (
        mock.patch("transformers.AutoModelForCausalLM.from_pretrained", forbid),
        mock.patch("peft.PeftModel.from_pretrained", forbid),
    ):
        pair.predict(PROMPTS, "both")
        assert "".join(pair.stream("Hi", which="base")) is not None
    assert {p.data_ptr() for p in pair.model.parameters()} == storages
    lora = sum(p.numel() for n, p in pair.model.named_parameters() if "lora_" in n)
    assert 0 < lora < sum(p.numel() for p in pair.model.parameters())


@pytest.mark.parametrize("task", ["chat", "summarization"])
@pytest.mark.parametrize("which", ["base", "tuned"])
def test_stream_chunks_join_to_the_greedy_text(task: str, which: str, jobs: dict[str, Path]) -> None:
    from finetune.serve.pair import model_pair

    pair = model_pair(jobs[task])
    prompt = PROMPTS[0]
    chunks = list(pair.stream(prompt, which=which))  # type: ignore[arg-type]
    assert "".join(chunks).strip() == pair.predict([prompt], which)[0][which]["text"]  # type: ignore[arg-type]
    if task == "chat" and which == "tuned":
        assert len(chunks) > 1


def test_closing_a_stream_stops_generation(jobs: dict[str, Path]) -> None:
    from finetune.serve.pair import model_pair

    pair = model_pair(jobs["chat"])
    stream = pair.stream("Hi", max_new_tokens=400)
    for _ in stream:
        break
    stream.close()
    stream._thread.join(timeout=20)
    assert not stream._thread.is_alive() and stream.completion_tokens < 400


# -- comparison on a file --------------------------------------------------------------------------
def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize("task", ["text-classification", "chat", "token-classification"])
def test_compare_with_data_scores_both_models(task: str, jobs: dict[str, Path], workspace: Path) -> None:
    from finetune.serve.compare import compare_job
    from finetune.serve.pair import model_pair

    pair = model_pair(jobs[task])
    result = compare_job(jobs[task], data=TINY[task][0], limit=3)
    assert {"task", "metric", "base", "tuned", "delta", "examples", "metrics"} <= set(result)
    assert result["task"] == task and result["eval_rows"] == 4 and len(result["examples"]) == 3
    assert all(
        {"input", "reference", "base", "tuned"} <= set(e) or task == "token-classification"
        for e in result["examples"]
    )
    records = _records(workspace, task)
    tuned = [p for p, _ in pair.recipe.predict(pair.model, pair.tokenizer, records)]
    assert result["metrics"]["tuned"] == pair.recipe.score(pair.recipe.references(records), tuned)
    if task == "token-classification":
        assert result["base"] is None and result["delta"] is None and "untrained" in result["note"]
    else:
        assert result["delta"] == round(result["tuned"] - result["base"], 4)


def test_cli_compare_with_data(
    jobs: dict[str, Path], workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.cli.main import main

    rows = list(csv.DictReader((workspace / "support_tickets.csv").open(encoding="utf-8")))[:6]
    _write_csv(workspace / "few.csv", [{"text": r["text"], "label": r["label"]} for r in rows])
    job = str(jobs["text-classification"])
    assert main(["compare", job, "--data", "few.csv", "--limit", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["data"] == "few.csv" and result["metric"] == "accuracy" and len(result["examples"]) == 2
    assert main(["compare", job, "--data", "few.csv"]) == 0
    table = capsys.readouterr().out
    assert "accuracy" in table and "macro_f1" in table and "few.csv" in table
    assert main(["compare", job]) == 0  # the held-out split, from the job's files
    assert "held-out" in capsys.readouterr().out


def test_compare_with_unknown_labels_says_which(jobs: dict[str, Path], workspace: Path) -> None:
    from catalog.errors import DataError
    from finetune.serve.compare import compare_job

    _write_csv(workspace / "odd.csv", [{"text": f"row {i} text", "label": "weather"} for i in range(12)])
    with pytest.raises(DataError, match="weather"):
        compare_job(jobs["text-classification"], data="odd.csv")


# -- the OpenAI-compatible endpoint ----------------------------------------------------------------
@pytest.fixture(scope="module")
def server(jobs: dict[str, Path]) -> Iterator[str]:
    """``tunewise serve`` for the chat job on a free loopback port; yields the base URL."""
    import uvicorn

    from finetune.serve.openai.app import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    srv = uvicorn.Server(uvicorn.Config(create_app(jobs["chat"]), log_level="warning"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert srv.started
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def client(server: str) -> Any:
    import openai

    return openai.OpenAI(base_url=server, api_key="x", max_retries=0, timeout=60)


MESSAGES = [
    {"role": "system", "content": "You are brief."},
    {"role": "user", "content": "Where is my parcel?"},
]


def test_openai_models_and_chat(client: Any, jobs: dict[str, Path]) -> None:
    from finetune.serve.pair import model_pair

    assert [m.id for m in client.models.list()] == ["chat-base", "chat-tuned"]
    assert client.models.retrieve("chat-tuned").id == "chat-tuned"
    pair = model_pair(jobs["chat"])
    expected = {
        side: pair.generate([pair.chat_text(MESSAGES)], [side], max_new_tokens=12)[0].text  # type: ignore[list-item]
        for side in ("base", "tuned")
    }
    for side in ("base", "tuned"):
        reply = client.chat.completions.create(model=f"chat-{side}", messages=MESSAGES, max_tokens=12)
        assert reply.object == "chat.completion" and reply.choices[0].message.role == "assistant"
        assert reply.choices[0].message.content == expected[side]
        assert reply.choices[0].finish_reason in ("stop", "length") and reply.usage.completion_tokens <= 12
    assert expected["base"] != expected["tuned"]


def test_openai_streaming_reassembles_the_greedy_text(client: Any) -> None:
    whole = client.chat.completions.create(model="chat-tuned", messages=MESSAGES, max_tokens=16)
    chunks = list(
        client.chat.completions.create(
            model="chat-tuned",
            messages=MESSAGES,
            max_tokens=16,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    content = [c.choices[0].delta.content or "" for c in chunks if c.choices]
    assert len([c for c in content if c]) > 1
    assert "".join(content) == whole.choices[0].message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == [whole.choices[0].finish_reason]
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens


def test_the_agents_openai_backend_talks_to_tunewise_serve(client: Any, server: str) -> None:
    """The assistant's own OpenAI-compatible backend (LangChain's ChatOpenAI) speaks ``tunewise serve``'s
    wire protocol: the same greedy text as the raw client, whole and streamed."""
    from langchain_core.messages import HumanMessage, SystemMessage

    from assistant.llm import make_chat_model
    from assistant.settings import Settings

    model = make_chat_model(Settings(llm_backend="openai", llm_base_url=server, llm_model="chat-tuned",
                                     llm_api_key="x"))
    model = model.bind(max_tokens=16)
    raw = client.chat.completions.create(model="chat-tuned", messages=MESSAGES, max_tokens=16)
    messages = [SystemMessage(MESSAGES[0]["content"]), HumanMessage(MESSAGES[1]["content"])]
    assert model.invoke(messages).content == raw.choices[0].message.content
    chunks = [str(c.content) for c in model.stream(messages)]
    assert len([c for c in chunks if c]) > 1 and "".join(chunks) == raw.choices[0].message.content


def test_openai_stop_strings_cut_both_ways(client: Any) -> None:
    whole = client.chat.completions.create(model="chat-tuned", messages=MESSAGES, max_tokens=16)
    text = whole.choices[0].message.content
    stop = text[3:5]
    cut = client.chat.completions.create(model="chat-tuned", messages=MESSAGES, max_tokens=16, stop=[stop])
    assert (
        cut.choices[0].message.content == text[: text.find(stop)] and cut.choices[0].finish_reason == "stop"
    )
    streamed = client.chat.completions.create(
        model="chat-tuned", messages=MESSAGES, max_tokens=16, stop=stop, stream=True
    )
    assert (
        "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
        == cut.choices[0].message.content
    )


def test_openai_completions(client: Any, jobs: dict[str, Path]) -> None:
    from finetune.serve.pair import model_pair

    pair = model_pair(jobs["chat"])
    prompts = ["Hello there", "My card was charged twice"]
    reply = client.completions.create(model="chat-tuned", prompt=prompts, max_tokens=8)
    assert reply.object == "text_completion" and [c.index for c in reply.choices] == [0, 1]
    assert [c.text for c in reply.choices] == [
        g.text for g in pair.generate(prompts, ["tuned", "tuned"], max_new_tokens=8)
    ]
    streamed = client.completions.create(model="chat-base", prompt=prompts[0], max_tokens=8, stream=True)
    base = client.completions.create(model="chat-base", prompt=prompts[0], max_tokens=8)
    assert "".join(c.choices[0].text for c in streamed if c.choices) == base.choices[0].text


def test_openai_errors_are_error_objects(client: Any, server: str) -> None:
    import httpx
    import openai

    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert missing.value.status_code == 404 and missing.value.code == "model_not_found"
    assert "chat-tuned" in missing.value.message
    with pytest.raises(openai.BadRequestError, match="messages"):
        client.chat.completions.create(model="chat-tuned", messages=[])
    with pytest.raises(openai.BadRequestError, match="last message"):
        client.chat.completions.create(model="chat-tuned", messages=[{"role": "assistant", "content": "hi"}])
    broken = httpx.post(
        f"{server}/chat/completions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400 and "Traceback" not in broken.text and broken.json()["error"]["message"]


def test_non_generative_jobs_answer_with_the_task_output(jobs: dict[str, Path]) -> None:
    from fastapi.testclient import TestClient

    from finetune.serve.openai.app import create_app
    from finetune.serve.pair import model_pair

    with TestClient(create_app(jobs["text-classification"])) as http:
        reply = http.post(
            "/v1/chat/completions",
            json={
                "model": "text-classification-tuned",
                "messages": [{"role": "user", "content": "I was charged twice"}],
            },
        ).json()
        labels = model_pair(jobs["text-classification"]).labels or []
        assert reply["choices"][0]["message"]["content"] in labels
        events = http.post(
            "/v1/completions",
            json={"model": "text-classification-base", "prompt": "late parcel", "stream": True},
        ).text
        assert events.rstrip().endswith("data: [DONE]") and '"text_completion"' in events
    with TestClient(create_app(jobs["token-classification"])) as http:
        bad = http.post(
            "/v1/chat/completions",
            json={
                "model": "token-classification-base",
                "messages": [{"role": "user", "content": "Anna lives in Berlin"}],
            },
        )
        assert bad.status_code == 400 and "untrained" in bad.json()["error"]["message"]
        good = http.post(
            "/v1/completions", json={"model": "token-classification-tuned", "prompt": "Anna in Berlin"}
        )
        assert isinstance(json.loads(good.json()["choices"][0]["text"]), list)
    with TestClient(create_app(jobs["question-answering"])) as http:
        no_context = http.post(
            "/v1/chat/completions",
            json={"model": "question-answering-tuned", "messages": [{"role": "user", "content": "How far?"}]},
        )
        assert no_context.status_code == 400 and "system message" in no_context.json()["error"]["message"]


def test_print_vllm_command(jobs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli.main import main

    assert main(["serve", str(jobs["chat"]), "--print-vllm"]) == 0
    command = capsys.readouterr().out.strip()
    adapter = (jobs["chat"] / "adapter").resolve()
    assert command.startswith("vllm serve ") and "--enable-lora" in command
    assert f"--lora-modules chat-tuned={adapter}" in command and "--max-lora-rank 8" in command
    assert main(["serve", str(jobs["text-classification"]), "--print-vllm"]) == 2  # not a decoder-only LM


# -- the packaged MiniLM, for real -----------------------------------------------------------------
@pytest.fixture(scope="module")
def minilm_job(workspace: Path, packaged_model: str) -> Path:
    """A real (short) QLoRA run of the packaged MiniLM on the example tickets: 1 epoch, batch 32."""
    shutil.copy(ROOT / "examples" / "support_tickets.csv", workspace / "tickets.csv")
    return _train(
        workspace,
        "minilm",
        {
            "model": {"name": packaged_model},
            "data": {"path": "tickets.csv"},
            "train": {"epochs": 1, "batch_size": 32},
            "eval": {"max_examples": 40},
        },
    )


def test_minilm_pair_and_compare(minilm_job: Path, workspace: Path) -> None:
    from finetune.data.intake import load_data
    from finetune.serve.compare import compare_job
    from finetune.serve.pair import classifier_pair, model_pair

    pair = model_pair(minilm_job)
    rows = pair.predict(["I was charged twice for one order", "where is my parcel, it is a week late"])
    for row in rows:
        for side in ("base", "tuned"):
            assert row[side]["label"] in (pair.labels or []) and isinstance(row[side]["score"], float)
    flat = classifier_pair(minilm_job).predict(["I was charged twice for one order"])[0]
    assert flat["tuned"] == rows[0]["tuned"]["label"] and flat["base_score"] == rows[0]["base"]["score"]
    held = compare_job(minilm_job, limit=5)
    assert held["eval_rows"] == 40 and held["base"] is not None and held["tuned"] is not None
    # The same held-out rows scored now through the pair: the zero-shot base is the one training used.
    splits = json.loads((minilm_job / "splits.json").read_text(encoding="utf-8"))["splits"]
    records = load_data(workspace / "tickets.csv", task="text-classification").records
    held_out = [records[i] for i in sorted(splits.get("validation", []) + splits.get("test", []))][:40]
    _write_csv(workspace / "held.csv", [{"text": r["text"], "label": r["label"]} for r in held_out])
    fresh = compare_job(minilm_job, data="held.csv", limit=40)
    assert fresh["eval_rows"] == 40 and fresh["metrics"]["base"] == held["metrics"]["base"]
    assert abs(fresh["tuned"] - held["tuned"]) <= 0.1  # packed 4-bit CPU kernels at inference vs training
    labels = pair.labels or []
    assert all(isinstance(e["tuned_score"], float) and e["tuned"] in labels for e in fresh["examples"])


def test_stop_filter_holds_back_a_stop_string_split_across_chunks() -> None:
    from finetune.serve.openai.protocol import StopFilter

    stops = StopFilter(["||", "END"])
    sent = [stops.feed(chunk) for chunk in ["ab", "c|", "|d", "ignored"]]
    assert "".join(sent) == "abc" and stops.hit
    plain = StopFilter(["END"])
    assert "".join(plain.feed(c) for c in ["x E", "N", "d"]) + plain.flush() == "x ENd" and not plain.hit


@pytest.mark.parametrize("task", ["chat", "summarization", "text-classification"])
def test_the_pages_side_by_side_streams_generated_text(task: str, jobs: dict[str, Path]) -> None:
    """The Compare tab's "Try an input": generated answers grow chunk by chunk and end as the greedy
    answers; other tasks answer in one step with their scores."""
    from assistant.ui.compare_tab import side_by_side
    from finetune.serve.pair import model_pair

    text = "Where is my parcel? It was due on Monday."
    updates = list(side_by_side(jobs[task], text))
    base, tuned = updates[-1]
    if task not in GENERATIVE:
        assert len(updates) == 1 and base.startswith("**Base:**") and "confident" in tuned
        return
    pair = model_pair(jobs[task])
    chunks = {side: list(pair.stream(text, side)) for side in ("base", "tuned")}
    expected = {side: "".join(parts) for side, parts in chunks.items()}
    assert base == f"**Base:** {expected['base']}" and tuned == f"**Tuned:** {expected['tuned']}"
    # One update per streamed chunk (how many a tiny random model makes depends on its bytes), then the final.
    assert len(updates) == len(chunks["base"]) + len(chunks["tuned"]) + 1
    if expected["base"]:  # the base streams first (a tiny base may say nothing at all), then the tuned
        assert updates[0][1] == "**Tuned:** …" and updates[0][0].endswith("▌")
    tuned_lengths = [len(u[1].rstrip("▌")) for u in updates if u[1] != "**Tuned:** …"]
    assert tuned_lengths == sorted(tuned_lengths)
