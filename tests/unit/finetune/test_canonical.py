"""Canonical records built from the shapes found in the wild (``finetune.data.canonical``)."""

from __future__ import annotations

import pytest

from finetune.data.canonical import chat_from_alpaca, ner_tag_names
from finetune.data.shapes import ShapeError, turns


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
    sharegpt = [{"from": "system", "value": "s"}, {"from": "human", "value": "q"}, {"from": "gpt", "value": "a"},
                {"from": "user", "value": "q2"}, {"from": "ChatGPT", "value": "a2"}]
    assert [m["role"] for m in turns(sharegpt)] == ["system", "user", "assistant", "user", "assistant"]
    with pytest.raises(ShapeError, match="'function_call'"):
        turns([{"from": "human", "value": "q"}, {"from": "function_call", "value": "{}"}])
