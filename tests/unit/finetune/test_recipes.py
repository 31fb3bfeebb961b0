"""The per-kind recipes without a model: one per kind of ``HEADS``, user inputs, prompts, answers as text."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.errors import DataError, ModelError
from finetune.config.run import RunConfig
from finetune.tasks.registry import RECIPES, recipe_for
from finetune.train.model import HEADS

TASK_OF = {"seq-cls": "text-classification", "token-cls": "token-classification", "qa": "question-answering",
           "seq2seq": "summarization", "causal": "chat"}


def recipe(kind: str, task: str | None = None, **data: Any) -> Any:
    task = task or TASK_OF[kind]
    return recipe_for(kind, task, RunConfig.from_dict({"task": task, "data": data}), ["billing", "refund"])


def test_every_model_kind_has_one_recipe() -> None:
    assert set(RECIPES) == set(HEADS)
    assert all(cls.kind == kind for kind, cls in RECIPES.items())
    assert {k for k, cls in RECIPES.items() if cls.generative} == {"seq2seq", "causal"}
    assert {k for k, cls in RECIPES.items() if cls.decoder_only} == {"causal"}
    assert {k for k, cls in RECIPES.items() if cls.base_note} == {"token-cls", "qa"}
    assert {k for k, cls in RECIPES.items() if cls.baseline_method} == {"seq-cls", "seq2seq", "causal"}


@pytest.mark.parametrize(("kind", "task", "item", "record"), [
    ("seq-cls", None, "late parcel", {"text": "late parcel"}),
    ("seq-cls", None, {"text": "a", "label": "b"}, {"text": "a", "label": "b"}),
    ("token-cls", None, "Anna in Berlin", {"tokens": ["Anna", "in", "Berlin"], "tags": ["O", "O", "O"]}),
    ("token-cls", None, ["Sony", 7], {"tokens": ["Sony", "7"], "tags": ["O", "O"]}),
    ("qa", None, {"question": "Who?", "context": "Anna."},
     {"id": "3", "question": "Who?", "context": "Anna.", "answers": {"text": [], "answer_start": []}}),
    ("seq2seq", "summarization", "a long text", {"document": "a long text", "summary": ""}),
    ("seq2seq", "translation", "hello", {"source": "hello", "target": ""}),
    ("causal", "chat", "Hi", {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": ""}]}),
    ("causal", "chat", [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
     {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                   {"role": "assistant", "content": ""}]}),
])
def test_user_inputs_become_canonical_records(kind: str, task: str | None, item: Any, record: dict[str, Any]) -> None:
    assert recipe(kind, task).to_record(item, 3) == record


@pytest.mark.parametrize(("kind", "task", "item", "expected"), [
    ("seq-cls", None, ["a", "b"], "must be a string; got list"),
    ("token-cls", None, 7, "a sentence or a word list"),
    ("qa", None, "no context here", "question, context"),
    ("seq2seq", "translation", ["a"], "must be a string"),
    ("causal", "chat", {"role": "user", "content": "Hi"}, "a message or a list of"),
])
def test_inputs_that_do_not_fit_say_what_would(kind: str, task: str | None, item: Any, expected: str) -> None:
    with pytest.raises(DataError, match=expected):
        recipe(kind, task).to_record(item)


def test_generative_prompts_per_task() -> None:
    summary = recipe("seq2seq", "summarization")
    assert summary.prompt_text({"document": "Text.", "summary": "S"}, None) == "summarize: Text."
    assert summary.references([{"document": "Text.", "summary": "S"}]) == ["S"]
    translate = recipe("seq2seq", "translation", source_lang="en", target_lang="de")
    assert translate.prompt_text({"source": "Hello", "target": ""}, None) == "translate English to German: Hello"
    assert translate.conversation_prompt([{"role": "user", "content": "Hi"}], None) == "translate English to German: Hi"
    assert translate.text.messages({"source": "Hello", "target": "Hallo"}, translate.cfg) == [
        {"role": "user", "content": "Translate from English to German:\n\nHello"},
        {"role": "assistant", "content": "Hallo"}]
    chat = recipe("causal", "chat")
    record = {"messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]}
    assert chat.references([record]) == ["A"]
    assert chat.input_text(record) == "user: Q"


def test_answers_as_text_and_label_checks() -> None:
    assert recipe("seq-cls").answer_text({"label": "refund", "score": 0.9}) == "refund"
    assert recipe("token-cls").answer_text({"entities": [{"text": "Anna", "type": "PER"}], "tags": ["B-PER"]}) \
        == '[{"text": "Anna", "type": "PER"}]'
    assert recipe("qa").answer_text({"answer": "Anna", "score": 0.5}) == "Anna"
    assert recipe("causal").answer_text({"text": "Hi!"}) == "Hi!"
    with pytest.raises(DataError, match="weather.*It knows: billing, refund"):
        recipe("seq-cls").check_references([{"text": "x", "label": "weather"}], "odd.csv")
    with pytest.raises(ModelError, match="does not generate text"):
        recipe("qa").prompt_text({"question": "q", "context": "c"}, None)
