"""Exact-tensor tests of the feature recipes in ``finetune.tasks`` (tiny tokenizers built on the fly)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from catalog.errors import DataError
from finetune.config.run import RunConfig
from finetune.data.canonical import ner_tag_names
from finetune.tasks import chat_format as prepare_chat
from finetune.tasks.causal import CausalRecipe
from finetune.tasks.chat_format import pack_sequences, render_chat
from finetune.tasks.features import (
    IGNORE_INDEX,
    align_ner_labels,
    tokenize_classification,
    tokenize_seq2seq,
)
from finetune.tasks.ner import NerRecipe
from finetune.tasks.qa_features import (
    postprocess_qa_predictions,
    prepare_qa_eval_features,
    prepare_qa_features,
)
from tests.helpers.tiny_models import (
    CHATML_TEMPLATE,
    tiny_chat_tokenizer,
    tiny_t5_tokenizer,
    tiny_wordpiece_tokenizer,
)

CONTEXT = ("anna bought new headphones from sony in berlin . she lives in paris and she does work on monday . "
           "it was ten euros .")
CHAT = [
    {"role": "system", "content": "You are helpful."},
    {"role": "user", "content": "Where is my parcel?"},
    {"role": "assistant", "content": "It is late."},
    {"role": "user", "content": "Why?"},
    {"role": "assistant", "content": "The truck broke down, sorry!"},
]


@pytest.fixture(scope="module")
def wordpiece(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_wordpiece_tokenizer(tmp_path_factory.mktemp("wordpiece")))


@pytest.fixture(scope="module")
def chat_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_chat_tokenizer(tmp_path_factory.mktemp("chat")))


@pytest.fixture(scope="module")
def t5_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_t5_tokenizer(tmp_path_factory.mktemp("t5")))


def labelled_runs(tokenizer: Any, features: dict[str, list[int]]) -> list[str]:
    """Decode each contiguous run of tokens whose label is not -100."""
    runs: list[list[int]] = []
    previous = IGNORE_INDEX
    for token, label in zip(features["input_ids"], features["labels"], strict=True):
        if label != IGNORE_INDEX:
            assert label == token
            if previous == IGNORE_INDEX:
                runs.append([])
            runs[-1].append(token)
        previous = label
    return [tokenizer.decode(run) for run in runs]


# ---------------------------------------------------------------------------------- classification, NER


def test_tokenize_classification_single_and_pair(wordpiece: Any) -> None:
    batch = {"text": ["anna bought headphones"], "text_pair": ["in berlin"], "label": [1]}
    single = tokenize_classification(batch, wordpiece, max_length=16)
    assert single["input_ids"] == wordpiece(["anna bought headphones"])["input_ids"]
    assert single["labels"] == [1]
    pair = tokenize_classification(batch, wordpiece, max_length=16, text_pair=True)
    assert wordpiece.decode(pair["input_ids"][0]) == "[CLS] anna bought headphones [SEP] in berlin [SEP]"
    assert pair["token_type_ids"][0] == [0] * 7 + [1] * 3  # head ##phone ##s


def test_ner_labels_only_the_first_sub_word(wordpiece: Any) -> None:
    tags = [3, 0, 5, 6, 0, 1]  # anna/B-PER bought/O new/B-PRODUCT headphones/I-PRODUCT in/O berlin/B-LOC
    batch = {"tokens": [["anna", "bought", "new", "headphones", "in", "berlin"]], "tags": [tags]}
    out = align_ner_labels(batch, wordpiece, max_length=32)
    assert wordpiece.convert_ids_to_tokens(out["input_ids"][0]) == [
        "[CLS]", "anna", "bought", "new", "head", "##phone", "##s", "in", "berlin", "[SEP]"]
    assert out["labels"] == [[-100, 3, 0, 5, 6, -100, -100, 0, 1, -100]]
    short = align_ner_labels(batch, wordpiece, max_length=6)
    assert short["labels"] == [[-100, 3, 0, 5, 6, -100]]


def test_ner_recipe_features_align_the_tag_ids(wordpiece: Any) -> None:
    records = [{"tokens": ["sony", "headphones"], "tags": ["B-ORG", "B-PRODUCT"]}]
    recipe = NerRecipe("token-classification", RunConfig.from_dict({"data": {"max_length": 16}}),
                       ner_tag_names(records))
    mapped = recipe.features(records, wordpiece)
    assert mapped[0]["labels"] == [-100, 1, 3, -100, -100, -100]
    assert mapped[0]["length"] == len(mapped[0]["input_ids"])


def test_slow_tokenizers_are_refused_with_a_clear_message() -> None:
    slow = SimpleNamespace(is_fast=False, name_or_path="acme/slow-bert")
    with pytest.raises(DataError, match=r"acme/slow-bert.*slow.*fast"):
        align_ner_labels({"tokens": [["a"]], "tags": [[0]]}, slow, 8)
    with pytest.raises(DataError, match="fast"):
        prepare_qa_features({"question": ["q"], "context": ["c"], "answers": [{}]}, slow)


# ------------------------------------------------------------------------------------ question answering


def qa_batch(question: str, answer: str | None, qid: str = "q1") -> dict[str, list[Any]]:
    answers = ({"text": [answer], "answer_start": [CONTEXT.index(answer)]} if answer
               else {"text": [], "answer_start": []})
    return {"id": [qid], "question": [question], "context": [CONTEXT], "answers": [answers]}


@pytest.mark.parametrize("answer", ["sony", "new headphones", "ten euros"])
def test_qa_windows_point_at_the_answer_or_at_cls(wordpiece: Any, answer: str) -> None:
    batch = qa_batch("who did anna buy headphones from ?", answer)
    train = prepare_qa_features(batch, wordpiece, max_length=20, doc_stride=6)
    evals = prepare_qa_eval_features(batch, wordpiece, max_length=20, doc_stride=6)
    assert len(train["input_ids"]) == len(evals["input_ids"]) > 3
    first_char = CONTEXT.index(answer)
    last_char = first_char + len(answer)
    hits = 0
    for window, offsets in enumerate(evals["offset_mapping"]):
        spans = [o for o in offsets if o is not None]
        start, end = train["start_positions"][window], train["end_positions"][window]
        if spans[0][0] <= first_char and spans[-1][1] >= last_char:
            hits += 1
            assert 0 < start <= end
            assert wordpiece.decode(train["input_ids"][window][start:end + 1]) == answer
            assert CONTEXT[offsets[start][0]:offsets[end][1]] == answer
        else:
            assert (start, end) == (0, 0)
    assert 0 < hits < len(evals["offset_mapping"])
    assert all(len(ids) == 20 for ids in train["input_ids"])  # padded to max_length by default


def test_unanswerable_questions_point_at_cls_in_every_window(wordpiece: Any) -> None:
    train = prepare_qa_features(qa_batch("where does anna work ?", None), wordpiece, max_length=20, doc_stride=6)
    assert set(train["start_positions"]) == {0} and set(train["end_positions"]) == {0}


def test_qa_eval_features_keep_ids_and_context_offsets_only(wordpiece: Any) -> None:
    batch = qa_batch("who ?", "sony")
    evals = prepare_qa_eval_features(batch, wordpiece, max_length=20, doc_stride=6)
    assert set(evals["example_id"]) == {"q1"}
    first = evals["offset_mapping"][0]
    assert first[:4] == [None, None, None, None]  # [CLS] who ? [SEP]
    assert first[4] == [0, 4]  # "anna"
    assert "start_positions" not in evals


def test_too_long_question_raises_a_data_error(wordpiece: Any) -> None:
    with pytest.raises(DataError, match="too long"):
        prepare_qa_features(qa_batch("who did anna buy headphones from ?", "sony"), wordpiece, max_length=10,
                            doc_stride=6)


def test_postprocess_picks_the_best_span_or_no_answer(wordpiece: Any) -> None:
    from datasets import Dataset

    examples = [{"id": "q1", "context": CONTEXT}, {"id": "q2", "context": CONTEXT}]
    batch = {"id": ["q1", "q2"], "question": ["who ?", "where ?"], "context": [CONTEXT, CONTEXT]}
    features = prepare_qa_eval_features(batch, wordpiece, max_length=24, doc_stride=8)
    rows = [{"example_id": e, "offset_mapping": o}
            for e, o in zip(features["example_id"], features["offset_mapping"], strict=True)]
    start = np.zeros((len(rows), 24))
    end = np.zeros((len(rows), 24))
    q1 = features["example_id"].index("q1")
    sony = next(t for t, o in enumerate(rows[q1]["offset_mapping"]) if o and CONTEXT[o[0]:o[1]] == "sony")
    start[q1, sony], end[q1, sony + 2] = 5.0, 5.0  # "sony in berlin", far above the null score 0
    q2 = features["example_id"].index("q2")
    q2_windows = [w for w, e in enumerate(features["example_id"]) if e == "q2"]
    start[q2_windows, 0], end[q2_windows, 0] = 6.0, 4.0  # the lowest null score over q2's windows is 10 ...
    start[q2, 5], end[q2, 6] = 3.0, 3.0  # ... and beats the best span (6) by 4
    assert postprocess_qa_predictions(examples, rows, start, end) == {"q1": "sony in berlin", "q2": ""}
    lenient = postprocess_qa_predictions(Dataset.from_list(examples), Dataset.from_list(rows), start, end,
                                         null_score_diff_threshold=5.0)
    span = rows[q2]["offset_mapping"]
    assert lenient == {"q1": "sony in berlin", "q2": CONTEXT[span[5][0]:span[6][1]]}
    assert postprocess_qa_predictions(examples, rows, start, end, max_answer_length=2)["q1"] != "sony in berlin"


# ---------------------------------------------------------------------------------------------- seq2seq


def test_seq2seq_labels_are_the_target_ids(t5_tokenizer: Any) -> None:
    batch = {"source": ["hello world", "the parcel arrived late"], "target": ["hallo welt", "das paket"]}
    out = tokenize_seq2seq(batch, t5_tokenizer, 32, 32, "source", "target", prefix="translate English to German: ")
    assert out["labels"] == t5_tokenizer(text_target=batch["target"])["input_ids"]
    assert out["input_ids"] == t5_tokenizer(["translate English to German: " + s for s in batch["source"]])[
        "input_ids"]
    assert all(ids[-1] == t5_tokenizer.eos_token_id for ids in out["labels"])
    short = tokenize_seq2seq(batch, t5_tokenizer, 4, 3, "source", "target")
    assert max(map(len, short["input_ids"])) == 4 and max(map(len, short["labels"])) == 3


# ------------------------------------------------------------------------------------------------- chat


def test_chat_labels_cover_exactly_the_assistant_turns(chat_tokenizer: Any) -> None:
    out = render_chat(CHAT[:3], chat_tokenizer, max_length=256)
    assert chat_tokenizer.decode(out["input_ids"]) == chat_tokenizer.apply_chat_template(CHAT[:3], tokenize=False)
    assert labelled_runs(chat_tokenizer, out) == ["It is late.<|im_end|>"]
    assert out["attention_mask"] == [1] * len(out["input_ids"])


def test_multi_turn_chat_masks_every_assistant_turn(chat_tokenizer: Any) -> None:
    out = render_chat(CHAT, chat_tokenizer, max_length=256)
    assert labelled_runs(chat_tokenizer, out) == ["It is late.<|im_end|>", "The truck broke down, sorry!<|im_end|>"]
    unlabelled = chat_tokenizer.decode([t for t, lab in zip(out["input_ids"], out["labels"], strict=True)
                                        if lab == IGNORE_INDEX])
    assert "It is late" not in unlabelled and "Where is my parcel?" in unlabelled and "You are helpful" in unlabelled


def test_templates_without_the_prefix_property_fall_back_to_search(chat_tokenizer: Any) -> None:
    # Appends a marker once the conversation is complete, so a rendered prefix is not a prefix of the whole.
    template = CHATML_TEMPLATE + "{% if not add_generation_prompt %}<|endoftext|>{% endif %}"
    tokenizer = chat_tokenizer.__class__.from_pretrained(chat_tokenizer.name_or_path)
    tokenizer.chat_template = template
    text = tokenizer.apply_chat_template(CHAT, tokenize=False)
    assert prepare_chat._spans_by_prefix(tokenizer, CHAT, text) is None
    out = render_chat(CHAT, tokenizer, max_length=256)
    assert labelled_runs(tokenizer, out) == ["It is late.<|im_end|>", "The truck broke down, sorry!<|im_end|>"]


def test_chat_is_truncated_and_batched(chat_tokenizer: Any) -> None:
    full = render_chat(CHAT, chat_tokenizer, max_length=256)
    short = render_chat(CHAT, chat_tokenizer, max_length=12)
    assert short["input_ids"] == full["input_ids"][:12] and short["labels"] == full["labels"][:12]
    recipe = CausalRecipe("chat", RunConfig.from_dict({"task": "chat", "data": {"max_length": 256}}))
    mapped = recipe.features([{"messages": CHAT}, {"messages": CHAT[:3]}], chat_tokenizer, for_eval=True)
    assert mapped[0]["labels"] == full["labels"]


def test_chat_errors_are_written_for_users(chat_tokenizer: Any) -> None:
    plain = chat_tokenizer.__class__.from_pretrained(chat_tokenizer.name_or_path)
    plain.chat_template = None
    with pytest.raises(DataError, match=r"has no chat template.*chat / instruct model"):
        render_chat(CHAT, plain, 64)
    with pytest.raises(DataError, match="no assistant message"):
        render_chat(CHAT[:2], chat_tokenizer, 64)
    strict = chat_tokenizer.__class__.from_pretrained(chat_tokenizer.name_or_path)
    strict.chat_template = ("{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not "
                            "supported') }}{% endif %}" + CHATML_TEMPLATE)
    with pytest.raises(DataError, match="System role not supported"):
        render_chat(CHAT, strict, 64)


def test_pack_sequences_masks_across_example_boundaries() -> None:
    examples = {"input_ids": [[1, 2, 3], [4, 5], [6, 7, 8]], "labels": [[-100, 2, 3], [4, 5], [6, -100, 8]]}
    packed = pack_sequences(examples, max_length=4, eos_token_id=0)
    assert packed["input_ids"] == [[1, 2, 3, 0], [4, 5, 0, 6], [7, 8]]
    assert packed["labels"] == [[-100, 2, 3, -100], [-100, 5, -100, -100], [-100, 8]]
    assert packed["attention_mask"] == [[1, 1, 1, 1], [1, 1, 1, 1], [1, 1]]
    bare = pack_sequences(examples, max_length=8)
    assert bare["input_ids"] == [[1, 2, 3, 4, 5, 6, 7, 8]]
    assert bare["labels"] == [[-100, 2, 3, -100, 5, -100, -100, 8]]
