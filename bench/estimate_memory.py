"""Estimator vs measurement: QLoRA peak memory and step time of random-init Llama models on this CPU.

    .venv/bin/python bench/estimate_memory.py [--sizes tiny,small,mid] [--steps 4] [--seq-len 256] [--batch 4]
    .venv/bin/python bench/estimate_memory.py --compare-bits large --seq-len 128 --batch 2

Each size runs in a fresh subprocess (so its peak RSS is its own): a randomly initialised Llama of that
shape is saved, loaded back in 4-bit NF4 (bitsandbytes, double quantisation, float32 compute as
tunewise uses on CPU), wrapped in LoRA r=16 on all seven projections, and trained for a few AdamW
steps on random tokens. The parent prints measured peak RSS and seconds per step next to
``catalog.estimate``'s figures for the same shape, and their ratios (estimate / measured).
Nothing is downloaded; the numbers describe this machine only.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# name: (hidden, layers, vocab)
SIZES = {
    "tiny": (256, 4, 32_000),
    "small": (512, 8, 32_000),
    "mid": (1024, 12, 32_000),
    "large": (1536, 16, 32_000),
}


MAKE_MODEL = """
import json, sys, torch
from transformers import AutoModelForCausalLM, LlamaConfig
torch.manual_seed(0)
cfg = LlamaConfig(**json.loads(sys.argv[2]))
AutoModelForCausalLM.from_config(cfg).save_pretrained(sys.argv[1])
"""
#: What the first tunewise job does (finetune.train.quantized): quantize the float checkpoint once and save the
#: 4-bit copy. Run in its own process so that pass is not in the measured child's peak.
WRITE_QUANTIZED = """
import sys, torch
from transformers import AutoModelForCausalLM, BitsAndBytesConfig
quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                           bnb_4bit_compute_dtype=torch.float32)
model = AutoModelForCausalLM.from_pretrained(sys.argv[1], quantization_config=quant, device_map="cpu",
                                             dtype=torch.float32)
model.save_pretrained(sys.argv[2], safe_serialization=True)
"""
#: ``bits`` of the measured child: 4 = quantize the float checkpoint while loading (what every job did before
#: the cache), 32 = float32 LoRA, 40 = load the cached pre-quantized 4-bit copy (what later jobs do now).
PREQUANTIZED = 40


def _dense_params(config: object) -> int:
    """Parameter count of the dense model the 4-bit one was made from."""
    import torch
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        return sum(p.numel() for p in AutoModelForCausalLM.from_config(config).parameters())


def mapped_weight_bytes(model: object) -> int:
    """Bytes of the model's tensors that still live in a memory-mapped ``.safetensors`` file.

    transformers hands out float32 weights as views into the mapped checkpoint instead of copying them.
    Those pages count as file-backed, not anonymous, memory, but the model needs them resident all the same.
    """
    ranges = []
    for line in Path("/proc/self/maps").read_text().splitlines():
        if ".safetensors" in line:
            start, end = line.split()[0].split("-")
            ranges.append((int(start, 16), int(end, 16)))
    seen: dict[int, int] = {}
    for tensor in [*model.parameters(), *model.buffers()]:  # type: ignore[attr-defined]
        storage = tensor.untyped_storage()
        if any(start <= storage.data_ptr() < end for start, end in ranges):
            seen[storage.data_ptr()] = storage.nbytes()
    return sum(seen.values())


class AnonPeak:
    """Samples the process's anonymous memory (RssAnon: heap, tensors) every 20 ms and keeps the peak.

    Peak RSS (``ru_maxrss``) also counts pages of memory-mapped checkpoint files that loading touched;
    those are page cache the kernel can drop, so RssAnon is the fairer measure of what training needs.
    """

    def __init__(self) -> None:
        import threading

        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def now_kib() -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, self.now_kib())
            self._stop.wait(0.02)

    def stop(self) -> float:
        """Stop sampling and return the peak in GiB."""
        self._stop.set()
        self._thread.join()
        return max(self.peak_kib, self.now_kib()) / 2**20


def child(size: str, steps: int, seq_len: int, batch: int, bits: int = 4) -> dict:
    """Train one shape and report its parameter count, peak RSS and seconds per step."""
    anon = AnonPeak()
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig, LlamaConfig

    from bench.serve_pair import PeakMemory
    from finetune.train.model import keep_cpu_4bit_trainable

    torch.manual_seed(0)
    hidden, layers, vocab = SIZES[size]
    config = LlamaConfig(hidden_size=hidden, intermediate_size=int(hidden * 2.6875), num_hidden_layers=layers,
                         num_attention_heads=max(1, hidden // 128), num_key_value_heads=max(1, hidden // 128),
                         vocab_size=vocab, max_position_embeddings=seq_len, tie_word_embeddings=False)
    with tempfile.TemporaryDirectory() as tmp:
        # Build and save the random model in another process, so its fp32 copy is not in our peak.
        subprocess.run([sys.executable, "-c", MAKE_MODEL, tmp, config.to_json_string()], check=True)
        source = tmp
        if bits == PREQUANTIZED:
            source = str(Path(tmp) / "nf4")
            subprocess.run([sys.executable, "-c", WRITE_QUANTIZED, tmp, source], check=True)
        rss_before_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        anon_before_load = AnonPeak.now_kib()
        load_start = time.perf_counter()
        quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                   bnb_4bit_compute_dtype=torch.float32) if bits == 4 else None
        extra = {} if bits == PREQUANTIZED else {"quantization_config": quant}  # the copy's config.json says 4-bit
        model = AutoModelForCausalLM.from_pretrained(source, device_map="cpu", dtype=torch.float32, **extra)
        load_s = time.perf_counter() - load_start
    params = _dense_params(config)
    rss_after_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    held_after_load = PeakMemory.now()  # what stays resident once loading is over (not the peak)
    mapped = mapped_weight_bytes(model)
    keep_cpu_4bit_trainable(model)
    lora = LoraConfig(r=16, lora_alpha=32, task_type="CAUSAL_LM",
                      target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    model = get_peft_model(model, lora)
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    ids = torch.randint(0, vocab, (batch, seq_len))
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - start)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    anon_peak_gb = anon.stop()
    return {"size": size, "params": params, "hidden": hidden, "layers": layers, "vocab": vocab,
            "peak_gb": peak_kib / 2**20, "anon_peak_gb": anon_peak_gb, "rss_before_load_gb": rss_before_load / 2**20,
            "load_peak_gb": rss_after_load / 2**20, "rss_after_load_gb": held_after_load["VmRSS"] / 2**20,
            "anon_after_load_gb": held_after_load["RssAnon"] / 2**20, "mapped_weights_gb": mapped / 2**30,
            "anon_before_load_gb": anon_before_load / 2**20, "load_s": load_s,
            "step_s": sorted(times[1:])[len(times[1:]) // 2] if len(times) > 1 else times[0]}


def main() -> None:
    """Run every size in its own process and print the comparison table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="tiny,small,mid")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--seq-len", type=int, default=256)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--compare-bits", metavar="SIZE",
                        help="instead: peak memory of 4-bit QLoRA vs float32 LoRA on the SIZE shape")
    parser.add_argument("--bits", type=int, default=4, choices=[4, 32, PREQUANTIZED], help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.steps, args.seq_len, args.batch, args.bits)))
        return
    if args.compare_bits:
        compare_bits(args)
        return

    from catalog.hardware import detect_hardware

    print(f"# {detect_hardware().describe()}; QLoRA r=16, batch {args.batch}, {args.seq_len} tokens, no checkpointing, float32 compute")
    print(f"{'size':6} {'params':>8} {'peak GB':>8} {'est GB':>7} {'est/meas':>8} {'s/step':>7} {'est s':>7} {'est/meas':>8}")
    for size in args.sizes.split(","):
        m = measure(size, args.steps, args.seq_len, args.batch)
        est = estimate_for(m, args.seq_len, args.batch)
        print(f"{size:6} {m['params'] / 1e6:7.0f}M {m['peak_gb']:8.2f} {est['memory_gb']:7.2f} "
              f"{est['memory_gb'] / m['peak_gb']:8.2f} {m['step_s']:7.2f} {est['step_s']:7.2f} "
              f"{est['step_s'] / m['step_s']:8.2f}")


def measure(size: str, steps: int, seq_len: int, batch: int, bits: int = 4) -> dict:
    """Run :func:`child` for one shape in a fresh process (so its peak RSS is its own); its measurements."""
    from bench.common import run_json_child

    return run_json_child([sys.executable, __file__, "--child", size, "--steps", str(steps), "--seq-len",
                           str(seq_len), "--batch", str(batch), "--bits", str(bits)],
                          env={**os.environ, "TQDM_DISABLE": "1"})


def estimate_for(measured: dict, seq_len: int, batch: int) -> dict:
    """``catalog.estimate``'s QLoRA memory (GB) and seconds per step on this CPU for a measured shape."""
    from catalog.estimate import estimate_training_memory
    from catalog.estimate_time import estimate_training_time
    from catalog.hardware import detect_hardware

    m = measured
    mem = estimate_training_memory(m["params"], method="qlora", seq_len=seq_len, batch_size=batch,
                                   lora_rank=16, gradient_checkpointing=False, hidden_size=m["hidden"],
                                   num_layers=m["layers"], vocab_size=m["vocab"], device="cpu")
    took = estimate_training_time(m["params"] - m["vocab"] * m["hidden"], batch * seq_len,
                                  method="qlora", hardware=detect_hardware(), gradient_checkpointing=False)
    return {"memory_gb": mem.total_gb, "step_s": took.seconds}


def compare_bits(args: argparse.Namespace) -> None:
    """Peak RSS of the same LoRA run with a 4-bit NF4 base and with a float32 base, and their ratio."""
    peaks = {bits: measure(args.compare_bits, args.steps, args.seq_len, args.batch, bits) for bits in (32, 4)}
    params = peaks[4]["params"]
    print(f"# {args.compare_bits}: {params / 1e6:.0f}M params, LoRA r=16, batch {args.batch} x {args.seq_len} tokens")
    for bits in (32, 4):
        print(f"{'QLoRA 4-bit NF4' if bits == 4 else 'LoRA float32':16} peak RSS {peaks[bits]['peak_gb']:6.2f} GB, "
              f"peak anonymous {peaks[bits]['anon_peak_gb']:6.2f} GB  {peaks[bits]['step_s']:.2f} s/step")
    print(f"ratio QLoRA/LoRA: peak RSS {peaks[4]['peak_gb'] / peaks[32]['peak_gb']:.2f}x, peak anonymous memory "
          f"{peaks[4]['anon_peak_gb'] / peaks[32]['anon_peak_gb']:.2f}x")


if __name__ == "__main__":
    main()
