"""Our trainer vs the best plain ``Trainer`` + peft set-up (and a tutorial's): useful tokens per second and memory.

    .venv/bin/python bench/train_throughput.py [--steps 40] [--batch 16] [--max-length 128]
        [--data examples/support_tickets.csv] [--task text-classification] [--model MODEL]

Both sides train the same model (the packaged all-MiniLM-L6-v2 in 4-bit NF4 + LoRA r=16 by default), on
the same rows, for the same number of optimizer steps, each in a fresh subprocess:

* **ours**: tunewise's recipe and training arguments - dynamic padding, length-grouped batches, and the jobs' autocast
  rule (``finetune.train.speed.use_bf16_autocast``: off for encoders such as this one);
* **best_hf** (the baseline of the goal): what a careful user writes - ``DataCollatorWithPadding``,
  ``group_by_length``, float32 compute;
* **tutorial** (informative): every row padded to ``max_length``, random batches.

It prints non-padding tokens per second of each and the ratio (ours / baseline), and each side's peak
RSS. Timing excludes model loading (a callback times the optimizer steps). Numbers describe this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _records(path: str, task: str, limit: int) -> list[dict[str, Any]]:
    from finetune.data.intake import load_data

    return load_data(path, task=task).records[:limit]


def child(side: str, args: argparse.Namespace) -> dict[str, Any]:
    """Train ``args.steps`` steps the way ``side`` does and measure it."""
    import torch
    from transformers import Trainer, TrainerCallback, TrainingArguments, default_data_collator, set_seed

    from finetune.config.run import RunConfig
    from finetune.tasks.registry import recipe_for
    from finetune.train.model import load_for_training

    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", os.cpu_count() or 1)))
    set_seed(0)
    records = _records(args.data, args.task, args.rows)
    cfg = RunConfig.from_dict({"task": args.task, "model": {"name": args.model},
                               "data": {"path": args.data, "max_length": args.max_length},
                               "train": {"batch_size": args.batch, "max_steps": args.steps}})
    labels = sorted({r["label"] for r in records}) if args.task == "text-classification" else None
    model, tokenizer = load_for_training(cfg, labels)
    recipe = recipe_for("seq-cls", args.task, cfg, labels)
    from finetune.train.speed import use_bf16_autocast

    bf16 = side == "ours" and use_bf16_autocast(cfg, "cpu")
    label2id = {lab: i for i, lab in enumerate(labels or [])}
    if side == "ours":
        dataset = recipe.features(records, tokenizer)
        collator = recipe.collator(tokenizer, model)
        sampling = "group_by_length"
    elif side == "best_hf":
        from datasets import Dataset
        from transformers import DataCollatorWithPadding

        enc = tokenizer([r["text"] for r in records], truncation=True, max_length=args.max_length)
        dataset = Dataset.from_dict({**enc, "labels": [label2id[r["label"]] for r in records]})
        collator = DataCollatorWithPadding(tokenizer)
        sampling = "group_by_length"
    else:
        enc = tokenizer([r["text"] for r in records], padding="max_length", truncation=True,
                        max_length=args.max_length)
        from datasets import Dataset

        dataset = Dataset.from_dict({**enc, "labels": [label2id[r["label"]] for r in records]})
        collator = default_data_collator
        sampling = "random"

    seen = {"tokens": 0, "padded": 0}

    def counting(features: list[dict[str, Any]]) -> dict[str, Any]:
        batch = collator(features)
        seen["tokens"] += int(batch["attention_mask"].sum())
        seen["padded"] += int(batch["attention_mask"].numel())
        return batch

    class Clock(TrainerCallback):
        start = 0.0
        stop = 0.0
        tokens_at_start = 0

        def on_step_end(self, a: Any, state: Any, control: Any, **kw: Any) -> None:
            if state.global_step == 1:  # time from the end of the first (warm-up) step
                self.start, self.tokens_at_start = time.perf_counter(), seen["tokens"]

        def on_train_end(self, a: Any, state: Any, control: Any, **kw: Any) -> None:
            self.stop = time.perf_counter()

    clock = Clock()
    with tempfile.TemporaryDirectory() as tmp:
        targs = TrainingArguments(output_dir=tmp, max_steps=args.steps, per_device_train_batch_size=args.batch,
                                  learning_rate=1e-3, logging_steps=10**6, save_strategy="no", report_to="none",
                                  disable_tqdm=True, use_cpu=True, train_sampling_strategy=sampling, seed=0,
                                  bf16=bf16)
        Trainer(model=model, args=targs, train_dataset=dataset, data_collator=counting,
                callbacks=[clock]).train()
    seconds = clock.stop - clock.start
    timed_tokens = seen["tokens"] - clock.tokens_at_start
    return {"side": side, "bf16_autocast": bf16, "seconds": seconds, "tokens": timed_tokens, "tokens_per_s": timed_tokens / seconds,
            "padding_share": 1 - seen["tokens"] / max(1, seen["padded"]),
            "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}


SIDES = ("tutorial", "best_hf", "ours")


def parser() -> argparse.ArgumentParser:
    """The command line (the parent's and each child's)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--rows", type=int, default=800)
    parser.add_argument("--data", default=str(ROOT / "examples" / "support_tickets.csv"))
    parser.add_argument("--task", default="text-classification")
    parser.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2")
    parser.add_argument("--child", choices=list(SIDES), help=argparse.SUPPRESS)
    return parser


def measure(argv: list[str]) -> dict[str, dict[str, Any]]:
    """Run the baseline, then ours, each in a fresh process with its own workspace; both measurements.

    Args:
        argv: command-line options for the children (``--steps``, ``--rows``, ...; see :func:`parser`).
    """
    from bench.common import run_sides

    return run_sides(__file__, SIDES, argv)


def main() -> None:
    """Run both sides in fresh processes and print the comparison."""
    args = parser().parse_args()
    if args.child:
        print(json.dumps(child(args.child, args)))
        return
    results = measure(sys.argv[1:])
    ours, base = results["ours"], results["best_hf"]
    print(f"# {args.model}, 4-bit NF4 + LoRA r=16, {args.steps} steps x batch {args.batch}, max_length "
          f"{args.max_length}, data {Path(args.data).name}")
    print(f"{'side':9} {'tokens/s':>10} {'padding':>8} {'peak GB':>8} {'seconds':>8}")
    for side in SIDES:
        r = results[side]
        print(f"{side:9} {r['tokens_per_s']:10.0f} {r['padding_share']:8.0%} {r['peak_gb']:8.2f} {r['seconds']:8.1f}")
    print(f"ratio ours/best_hf: useful tokens/s {ours['tokens_per_s'] / base['tokens_per_s']:.2f}x, "
          f"peak memory {ours['peak_gb'] / base['peak_gb']:.2f}x")


if __name__ == "__main__":
    main()
