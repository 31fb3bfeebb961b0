"""Side by side from one model: memory and speed of ``finetune.serve.pair.ModelPair`` on a CPU-sized Llama.

    .venv/bin/python bench/serve_pair.py [--hidden 512] [--layers 8] [--vocab 32000] [--prompts 8]
                                         [--new-tokens 32] [--threads 1]

A random Llama of that shape (4-bit NF4 base, float32 compute, LoRA r=16 on all seven projections with
random B so the adapter changes outputs) is saved as a job folder in a temp workspace. Then:

1. Memory, each case in a fresh subprocess: the base alone answering N prompts (and 2N rows, the size of
   the pair's batch); the pair (one model, adapter on/off) answering the same prompts for base AND tuned
   in one mixed batch; the naive way, two loaded copies (plain base + base with adapter). Reported: bytes
   of the weights held (unique tensor storages) and the peak resident memory (VmRSS, and RssAnon) above
   the process's baseline after imports.
2. Time, in this process: base + tuned answers for N prompts as one mixed-batch ``generate``
   (``adapter_names``) vs two calls (adapter disabled, then enabled); decode tokens/s of batch-1
   greedy generation with the adapter vs without. Every row generates exactly ``--new-tokens`` tokens.

Goals (issue 8): pair memory <= 1.15x base alone (two copies are the naive ~2x); mixed batch >= 1.5x
faster than two calls. Ratios are only meaningful within one run on one machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class PeakMemory:
    """Samples the process's resident memory every 10 ms and keeps the peak (KiB).

    ``VmRSS`` counts weights that stay memory-mapped from the checkpoint as well as heap and tensors;
    ``RssAnon`` only the latter. Both are reported.
    """

    def __init__(self) -> None:
        self.peak = self.now()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def now() -> dict[str, int]:
        """Current ``VmRSS`` and ``RssAnon`` in KiB."""
        out = {"VmRSS": 0, "RssAnon": 0}
        for line in Path("/proc/self/status").read_text().splitlines():
            key = line.split(":")[0]
            if key in out:
                out[key] = int(line.split()[1])
        return out

    def _run(self) -> None:
        while not self._stop.is_set():
            now = self.now()
            self.peak = {k: max(v, now[k]) for k, v in self.peak.items()}
            self._stop.wait(0.01)

    def stop(self) -> dict[str, int]:
        """Stop sampling; the peaks in KiB."""
        self._stop.set()
        self._thread.join()
        now = self.now()
        return {k: max(v, now[k]) for k, v in self.peak.items()}


CASES = ("base", "base-2x", "pair", "naive")
"""Memory cases: the base answering N prompts, or 2N rows (the size of the pair's mixed batch); the pair
answering N prompts with base and tuned; two loaded copies answering N prompts each."""


def build_job(home: Path, hidden: int, layers: int, vocab: int) -> Path:
    """Save a random Llama, a chat tokenizer and a random LoRA adapter as a tunewise job folder."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    from finetune.config.run import RunConfig
    from tests.helpers.tiny_models import tiny_chat_tokenizer

    torch.manual_seed(0)
    model_dir = home / "models" / "llama"
    tiny_chat_tokenizer(
        model_dir
    )  # ids past its 400 tokens decode to nothing: timing counts tokens, not text
    config = LlamaConfig(
        hidden_size=hidden,
        intermediate_size=hidden * 11 // 4 // 64 * 64,
        num_hidden_layers=layers,
        num_attention_heads=max(1, hidden // 64),
        num_key_value_heads=max(1, hidden // 128),
        vocab_size=vocab,
        max_position_embeddings=1024,
        tie_word_embeddings=False,
        bos_token_id=None,
        eos_token_id=2,
        pad_token_id=0,
    )
    base = LlamaForCausalLM(config)
    base.save_pretrained(model_dir)
    targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    peft_model = get_peft_model(
        base, LoraConfig(r=16, lora_alpha=32, target_modules=targets, task_type="CAUSAL_LM")
    )
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.02)
    job = home / "jobs" / "bench"
    peft_model.save_pretrained(str(job / "adapter"))
    cfg = RunConfig.from_dict(
        {
            "task": "chat",
            "model": {"name": str(model_dir)},
            "data": {"max_length": 256},
            "lora": {"r": 16, "target_modules": targets},
            "output": {"dir": str(job)},
        }
    )
    cfg.save(job / "config.yaml")
    return job


def prompts(n: int) -> list[str]:
    """N chat prompts of different lengths (so left padding is exercised)."""
    return [
        f"Customer {i}: my parcel number {i * 7919} is late " + "and I need it soon " * (i % 4)
        for i in range(n)
    ]


def _weight_bytes(*models: Any) -> int:
    """Bytes of the distinct tensor storages the models hold (shared weights count once)."""
    seen: dict[int, int] = {}
    for model in models:
        for tensor in [*model.parameters(), *model.buffers()]:
            storage = tensor.untyped_storage()
            seen[storage.data_ptr()] = storage.nbytes()
    return sum(seen.values())


def child(case: str, job: Path, n: int, new_tokens: int) -> dict[str, Any]:
    """Run one memory case in this (fresh) process and report weight bytes and peak memory growth."""
    import accelerate  # noqa: F401 - libraries imported before the baseline: their memory is not the model's
    import bitsandbytes  # noqa: F401
    import peft  # noqa: F401
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM  # noqa: F401

    import finetune.tasks.registry  # noqa: F401 - what the pair imports lazily (datasets, ...) is not model memory
    from catalog import load_catalog
    from finetune.config.run import RunConfig
    from finetune.serve.loading import serving_config
    from finetune.serve.pair import Side, model_pair
    from finetune.train.model import load_for_inference, quantization_config

    load_catalog()
    torch.manual_seed(0)
    cfg = serving_config(RunConfig.from_yaml(job / "config.yaml"), "cpu")[0]  # what the pair serves: same precision
    tok = AutoTokenizer.from_pretrained(cfg.model.name)
    baseline = PeakMemory.now()
    sampler = PeakMemory()
    if case == "pair":
        pair = model_pair(job)
        sides = cast("list[Side]", ["base"] * n + ["tuned"] * n)
        texts = [pair.chat_text([{"role": "user", "content": p}]) for p in prompts(n)]
        pair.generate(texts * 2, sides, max_new_tokens=new_tokens)
        held = _weight_bytes(pair.model)
    else:
        tok.padding_side = "left"
        texts = [
            str(
                tok.apply_chat_template(
                    [{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True
                )
            )
            for p in prompts(n)
        ]
        enc = tok(
            texts * (2 if case == "base-2x" else 1),
            return_tensors="pt",
            padding=True,
            add_special_tokens=False,
        )
        gen = {
            "max_new_tokens": new_tokens,
            "min_new_tokens": new_tokens,
            "do_sample": False,
            "pad_token_id": 0,
        }
        base = AutoModelForCausalLM.from_pretrained(
            cfg.model.name, quantization_config=quantization_config(cfg, "cpu"), device_map="cpu"
        ).eval()
        models = [base]
        if case == "naive":
            tuned, _ = load_for_inference(job, cfg)
            models.append(tuned)
        with torch.inference_mode():
            for model in models:
                model.generate(**enc, **gen)
        held = _weight_bytes(*models)
    peak = sampler.stop()
    return {
        "case": case,
        "weights_mb": held / 2**20,
        "rss_growth_mb": (peak["VmRSS"] - baseline["VmRSS"]) / 1024,
        "anon_growth_mb": (peak["RssAnon"] - baseline["RssAnon"]) / 1024,
    }


def timings(job: Path, n: int, new_tokens: int, repeats: int) -> dict[str, float]:
    """Mixed batch vs two calls, and decode tokens/s with and without the adapter (best of ``repeats``)."""
    import torch

    from finetune.serve.pair import BASE_ADAPTER, model_pair

    pair = model_pair(job)
    tok, model = pair.tokenizer, pair.model
    texts = [pair.chat_text([{"role": "user", "content": p}]) for p in prompts(n)]
    tok.padding_side = "left"
    enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    both = {k: torch.cat([v, v]) for k, v in enc.items()}
    gen = {
        "max_new_tokens": new_tokens,
        "min_new_tokens": new_tokens,
        "do_sample": False,
        "pad_token_id": tok.pad_token_id,
    }

    def best(fn: Any) -> float:
        fn()  # warm-up (bitsandbytes repacks 4-bit weights for the CPU kernel on first use)
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - start)
        return min(runs)

    def two_calls() -> None:
        with pair.model.disable_adapter():
            model.generate(**enc, **gen)
        model.generate(**enc, **gen)

    first = enc["input_ids"][0][enc["attention_mask"][0].bool()].unsqueeze(0)
    one = {"input_ids": first, "attention_mask": torch.ones_like(first)}

    def decode(adapter: bool) -> None:
        if adapter:
            model.generate(**one, **gen)
        else:
            with pair.model.disable_adapter():
                model.generate(**one, **gen)

    def row_by_row() -> None:  # what a UI that asks each model for each input in turn would do
        for i in range(n):
            ids = enc["input_ids"][i][enc["attention_mask"][i].bool()].unsqueeze(0)  # unpadded
            model.generate(
                input_ids=ids, attention_mask=torch.ones_like(ids), **gen, adapter_names=[BASE_ADAPTER]
            )
            model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), **gen)

    from transformers import AutoModelForCausalLM

    plain = AutoModelForCausalLM.from_pretrained(pair.cfg.model.name, dtype=torch.float32).eval()

    def plain_decode() -> None:  # what anyone would run: the float32 base's own generate
        plain.generate(**one, **gen)

    with torch.inference_mode():
        plain_s = best(plain_decode)
        mixed = best(
            lambda: model.generate(**both, **gen, adapter_names=[BASE_ADAPTER] * n + [pair.adapter] * n)
        )
        separate = best(two_calls)
        start = time.perf_counter()
        row_by_row()
        rows = time.perf_counter() - start
        with_adapter = best(lambda: decode(True))
        without = best(lambda: decode(False))
    return {
        "mixed_s": mixed,
        "two_calls_s": separate,
        "row_by_row_s": rows,
        "tokens_per_s_adapter": new_tokens / with_adapter,
        "tokens_per_s_base": new_tokens / without,
        "tokens_per_s_plain_generate": new_tokens / plain_s,
        "served_precision": pair.precision_note or "as trained",
    }


def parser() -> argparse.ArgumentParser:
    """The command line (the parent's and each memory child's)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--vocab", type=int, default=32_000)
    parser.add_argument("--prompts", type=int, default=8, help="prompts per side (a mixed batch holds twice as many)")
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (best counts)")
    parser.add_argument("--memory-runs", type=int, default=3, help="processes per memory case (median counts)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch/OpenMP threads (default 1: on a shared CPU more threads make timings erratic)")
    parser.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--job", type=Path, help=argparse.SUPPRESS)
    return parser


def measure(args: argparse.Namespace) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Build the job in a temp workspace; the memory cases (fresh processes) and the timings (here).

    Sets this process's torch threads and, for the run, its environment (offline, ``OMP_NUM_THREADS``);
    the environment is restored afterwards.
    """
    import torch

    torch.set_num_threads(args.threads)
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "TUNEWISE_HOME": tmp,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            "OMP_NUM_THREADS": str(args.threads),
        }
        os.environ.update(env)
        try:
            job = build_job(Path(tmp), args.hidden, args.layers, args.vocab)
            mem = memory_cases(job, args, env)
            t = timings(job, args.prompts, args.new_tokens, args.repeats)
        finally:
            os.environ.clear()
            os.environ.update(saved)
    return mem, t


def main() -> None:
    """Build the job, run the memory cases in subprocesses and the timings here; print the ratios."""
    args = parser().parse_args()
    if args.child:
        import torch

        torch.set_num_threads(args.threads)
        print(json.dumps(child(args.child, args.job, args.prompts, args.new_tokens)))
        return
    print(
        f"random Llama: hidden {args.hidden}, {args.layers} layers, vocab {args.vocab}; 4-bit NF4 base, "
        f"LoRA r=16 on 7 projections; {args.prompts} prompts x {args.new_tokens} new tokens; "
        f"torch threads {args.threads}"
    )
    mem, t = measure(args)
    report(mem, t, args)


def memory_cases(job: Path, args: argparse.Namespace, env: dict[str, str]) -> dict[str, dict[str, float]]:
    """Run every memory case ``--memory-runs`` times in fresh processes; the median of each figure."""
    from bench.common import run_json_child

    mem = {}
    for case in CASES:
        command = [
            sys.executable,
            __file__,
            "--child",
            case,
            "--job",
            str(job),
            "--prompts",
            str(args.prompts),
            "--new-tokens",
            str(args.new_tokens),
            "--threads",
            str(args.threads),
        ]
        runs = [run_json_child(command, env=env) for _ in range(args.memory_runs)]
        mem[case] = {key: statistics.median(r[key] for r in runs) for key in runs[0] if key != "case"}
    return mem


def report(mem: dict[str, dict[str, float]], t: dict[str, float], args: argparse.Namespace) -> None:
    """Print the memory table, the timings and the ratios against the issue's goals."""
    labels = {
        "base": "base alone, N rows (base answers only)",
        "base-2x": "base alone, 2N rows (pair's batch)",
        "pair": "pair: one model, N base + N tuned rows",
        "naive": "naive: two copies, N rows each",
    }
    base, pair, naive, same_rows = mem["base"], mem["pair"], mem["naive"], mem["base-2x"]
    title = f"memory (median of {args.memory_runs} fresh processes)"
    print(
        f"\n  {title:<40} {'weights MB':>10} {'x base':>7} {'peak RSS +MB':>13} {'x base':>7} "
        f"{'peak anon +MB':>14}"
    )
    for case, row in mem.items():
        weights, rss = row["weights_mb"], row["rss_growth_mb"]
        print(
            f"  {labels[case]:<40} {weights:>10.1f} {weights / base['weights_mb']:>6.2f}x "
            f"{rss:>13.1f} {rss / base['rss_growth_mb']:>6.2f}x {row['anon_growth_mb']:>14.1f}"
        )
    n = args.prompts
    print(
        f"\nbase+tuned for {n} prompts: mixed batch {t['mixed_s']:.2f} s, two calls {t['two_calls_s']:.2f} s "
        f"-> mixed is {t['two_calls_s'] / t['mixed_s']:.2f}x faster (goal >= 1.5x); "
        f"{2 * n} one-row calls {t['row_by_row_s']:.2f} s ({t['row_by_row_s'] / t['mixed_s']:.1f}x)"
    )
    print(
        f"decode, batch 1: with adapter {t['tokens_per_s_adapter']:.1f} tok/s, base (adapter disabled) "
        f"{t['tokens_per_s_base']:.1f} tok/s -> adapter costs "
        f"{t['tokens_per_s_base'] / t['tokens_per_s_adapter']:.2f}x"
    )
    print(
        f"pair vs base alone: {pair['weights_mb'] / base['weights_mb']:.2f}x weights (goal <= 1.15x), "
        f"{pair['rss_growth_mb'] / base['rss_growth_mb']:.2f}x peak RSS growth "
        f"({pair['rss_growth_mb'] / same_rows['rss_growth_mb']:.2f}x vs the base running the same 2N rows); "
        f"two copies: {naive['weights_mb'] / base['weights_mb']:.2f}x weights, "
        f"{naive['rss_growth_mb'] / base['rss_growth_mb']:.2f}x peak RSS growth"
    )


if __name__ == "__main__":
    main()
