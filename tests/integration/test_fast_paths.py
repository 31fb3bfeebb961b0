"""The fast paths of training and serving keep what they promise on real (tiny) models.

* the pre-quantized 4-bit copy: the first load writes it, later loads read it and give the same model;
* a pair on a CPU serves a float32 base when it fits, with the adapter unmerged and a note saying so.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from finetune.config.run import RunConfig
from tests.helpers.tiny_models import tiny_llama

pytestmark = pytest.mark.integration


def _cfg(model: Path, **quantization: object) -> RunConfig:
    return RunConfig.from_dict({"task": "chat", "model": {"name": str(model)}, "data": {"path": "x.jsonl"},
                                "train": {"device": "cpu"}, "quantization": quantization})


def test_the_first_4bit_load_writes_a_copy_that_later_loads_read(workspace: Path) -> None:
    from finetune.train import quantized
    from finetune.train.model import _load, compute_dtype

    model_dir = tiny_llama(workspace / "models" / "llama")
    cfg = _cfg(model_dir)
    folder = quantized.cache_folder(cfg, str(model_dir), compute_dtype(cfg, "cpu"))
    assert not quantized.is_ready(folder)
    first, tok = _load(cfg, str(model_dir), "causal", None, "cpu")
    assert quantized.is_ready(folder)
    assert folder.parent == workspace / "quantized"
    second, _ = _load(cfg, str(model_dir), "causal", None, "cpu")
    assert type(second.model.layers[0].self_attn.q_proj).__name__ == "Linear4bit"  # still 4-bit, not dequantized
    assert second.name_or_path == str(model_dir)  # adapters and cards name the real base, not the cache
    from finetune.serve.loading import guard_cpu_packing

    for model in (first, second):
        guard_cpu_packing(model)  # tiny layers are narrower than bitsandbytes' CPU packing needs
    ids = tok("hello there", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        assert torch.allclose(first(ids).logits, second(ids).logits)
    other = quantized.cache_folder(_cfg(model_dir, quant_type="fp4"), str(model_dir), compute_dtype(cfg, "cpu"))
    assert other != folder  # other settings: another copy


def test_a_cpu_pair_serves_a_float_base_where_it_fits(workspace: Path) -> None:
    from finetune.serve.loading import serving_config

    model_dir = tiny_llama(workspace / "models" / "llama")
    cfg = _cfg(model_dir)
    served, note = serving_config(cfg, "cpu", free_bytes=8e9)
    assert served.quantization.bits == 32 and note and "4-bit" in note
    assert cfg.quantization.bits == 4  # the job's own config is untouched
    kept, none = serving_config(cfg, "cpu", free_bytes=1e3)  # does not fit: served as trained
    assert kept.quantization.bits == 4 and none is None
    assert serving_config(cfg, "cuda", free_bytes=8e9)[0].quantization.bits == 4
