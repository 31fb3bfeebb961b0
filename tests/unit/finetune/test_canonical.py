"""Canonical records built from the shapes found in the wild (``finetune.data.canonical``)."""

from __future__ import annotations

import pytest

from catalog.errors import DataError
from finetune.data.canonical import chat_from_alpaca, chat_from_sharegpt, ner_tag_names


def test_ner_tag_names_pair_every_entity_type() -> None:
    records = [{"tokens": ["anna", "headphones"], "tags": ["B-PER", "B-PRODUCT"]},
               {"tokens": ["new", "headphones"], "tags": ["B-PRODUCT", "I-PRODUCT"]}]
    assert ner_tag_names(records) == ["O", "B-PER", "I-PER", "B-PRODUCT", "I-PRODUCT"]


def test_alpaca_and_sharegpt_convert_to_messages() -> None:
    assert chat_from_alpaca("Translate", "hello", "hallo", system="Be brief.") == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Translate\n\nhello"},
        {"role": "assistant", "content": "hallo"},
    ]
    assert chat_from_alpaca("Say hi", "", "hi")[0] == {"role": "user", "content": "Say hi"}
    turns = [{"from": "system", "value": "s"}, {"from": "human", "value": "q"}, {"from": "gpt", "value": "a"},
             {"from": "user", "value": "q2"}, {"from": "ChatGPT", "value": "a2"}]
    assert [m["role"] for m in chat_from_sharegpt(turns)] == ["system", "user", "assistant", "user", "assistant"]
    with pytest.raises(DataError, match="'function_call'"):
        chat_from_sharegpt([{"from": "human", "value": "q"}, {"from": "function_call", "value": "{}"}])
