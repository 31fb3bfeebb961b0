"""The CPU memory estimate against a peak measured here and now (slow: it trains a random-init model)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from catalog.estimate import estimate_training_memory

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_estimate_matches_a_freshly_measured_qlora_peak_on_this_cpu() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "estimate_memory.py"), "--child", "small",
                          "--steps", "2", "--seq-len", "256", "--batch", "4"],
                         capture_output=True, text=True, check=True, timeout=600)
    measured = json.loads(out.stdout.strip().splitlines()[-1])
    est = estimate_training_memory(measured["params"], seq_len=256, batch_size=4, lora_rank=16,
                                   gradient_checkpointing=False, hidden_size=measured["hidden"],
                                   num_layers=measured["layers"], vocab_size=measured["vocab"], device="cpu")
    assert measured["peak_gb"] > measured["rss_before_load_gb"]
    assert abs(est.total_gb / measured["peak_gb"] - 1) <= 0.25
