"""Chat SFT of SmolLM2-135M-Instruct with QLoRA: our trainer vs TRL's ``SFTTrainer`` + peft.

    .venv/bin/python bench/causal_sft.py [--steps 10] [--batch 4] [--max-length 384] [--rows 96]

All sides train LoRA r=16 on the same 4-bit NF4 base (the packaged SmolLM2, converted once), on the same
conversations of ``examples/chat_house_style.jsonl``, with the same batch size, maximum length and number of
optimizer steps, each in a fresh process:

* **ours**: tunewise's causal recipe and training arguments (``finetune.train.main``): assistant-only labels,
  dynamic padding with length-grouped batches, logits built only where a token is learned
  (``SelectedTokenTrainer``), bf16 autocast where the CPU has bfloat16 instructions;
* **trl** (the baseline of the goal): ``trl.SFTTrainer`` with ``SFTConfig`` defaults (bf16, gradient
  checkpointing on, loss on the whole conversation, padding to the longest row, random batches), given
  only the batch size, ``max_length``, steps and ``use_cpu``;
* **trl_no_checkpointing** (informative): the same with ``gradient_checkpointing=False``, what a careful user
  with memory to spare sets.

Each prints non-padding input tokens per second, timed from the end of the first (warm-up) step, and peak RSS.
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

MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
SIDES = ("trl", "trl_no_checkpointing", "ours")


def _clock(seen: dict[str, int]) -> Any:
    from transformers import TrainerCallback

    class Clock(TrainerCallback):
        start = stop = 0.0
        tokens_at_start = 0

        def on_step_end(self, a: Any, state: Any, control: Any, **kw: Any) -> None:
            if state.global_step == 1:
                self.start, self.tokens_at_start = time.perf_counter(), seen["tokens"]

        def on_train_end(self, a: Any, state: Any, control: Any, **kw: Any) -> None:
            self.stop = time.perf_counter()

    return Clock()


def _counting(collator: Any, seen: dict[str, int]) -> Any:
    def collate(features: list[dict[str, Any]]) -> dict[str, Any]:
        batch = collator(features)
        mask = batch.get("attention_mask")
        seen["tokens"] += int(mask.sum()) if mask is not None else int(batch["input_ids"].numel())
        return batch

    return collate


def child(side: str, args: argparse.Namespace) -> dict[str, Any]:
    """Train ``args.steps`` steps the way ``side`` does and measure it."""
    import torch
    from transformers import set_seed

    from finetune.config.run import RunConfig
    from finetune.data.intake import load_data
    from finetune.train.model import load_for_training

    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", os.cpu_count() or 1)))
    set_seed(0)
    data = str(ROOT / "examples" / "chat_house_style.jsonl")
    records = load_data(data, task="chat").records[:args.rows]
    cfg = RunConfig.from_dict({"task": "chat", "model": {"name": MODEL},
                               "data": {"path": data, "max_length": args.max_length},
                               "train": {"batch_size": args.batch, "max_steps": args.steps}})
    model, tokenizer = load_for_training(cfg, None)  # the same 4-bit NF4 base + LoRA r=16 on every side
    seen = {"tokens": 0}
    clock = _clock(seen)
    with tempfile.TemporaryDirectory() as tmp:
        if side == "ours":
            from finetune.tasks.registry import recipe_for
            from finetune.train.main import training_arguments
            from finetune.train.speed import selected_token_trainer, use_bf16_autocast

            recipe = recipe_for("causal", "chat", cfg, None)
            targs = training_arguments(cfg, Path(tmp), "cpu", False, loss_only_eval=True, decoder_only=True)
            targs.save_strategy, targs.logging_steps = "no", 10**6
            trainer = selected_token_trainer()(
                model=model, args=targs, train_dataset=recipe.features(records, tokenizer),
                data_collator=_counting(recipe.collator(tokenizer, model), seen), callbacks=[clock])
            bf16 = use_bf16_autocast(cfg, "cpu", decoder_only=True)
        else:
            from datasets import Dataset
            from trl import SFTConfig, SFTTrainer

            conf = SFTConfig(output_dir=tmp, use_cpu=True, per_device_train_batch_size=args.batch,
                             max_length=args.max_length, max_steps=args.steps, save_strategy="no",
                             logging_steps=10**6, report_to="none", disable_tqdm=True, seed=0,
                             **({"gradient_checkpointing": False} if side == "trl_no_checkpointing" else {}))
            dataset = Dataset.from_list([{"messages": r["messages"]} for r in records])
            trainer = SFTTrainer(model=model, args=conf, train_dataset=dataset, processing_class=tokenizer,
                                 callbacks=[clock])
            inner = trainer.data_collator
            trainer.data_collator = _counting(inner, seen)
            bf16 = bool(conf.bf16)
        trainer.train()
    seconds = clock.stop - clock.start
    tokens = seen["tokens"] - clock.tokens_at_start
    return {"side": side, "bf16": bf16, "seconds": seconds, "tokens": tokens, "tokens_per_s": tokens / seconds,
            "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}


def parser() -> argparse.ArgumentParser:
    """The command line (the parent's and each child's)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--max-length", type=int, default=384)
    p.add_argument("--rows", type=int, default=96)
    p.add_argument("--child", choices=list(SIDES), help=argparse.SUPPRESS)
    return p


def measure(argv: list[str]) -> dict[str, dict[str, Any]]:
    """Each side in a fresh process with its own workspace; every measurement."""
    from bench.common import run_sides

    return run_sides(__file__, SIDES, argv, TUNEWISE_OFFLINE="1")


def main() -> None:
    """Run every side in fresh processes and print the comparison."""
    args = parser().parse_args()
    if args.child:
        print(json.dumps(child(args.child, args)))
        return
    results = measure(sys.argv[1:])
    print(f"# {MODEL} 4-bit NF4 + LoRA r=16, chat, {args.steps} steps x batch {args.batch}, max_length "
          f"{args.max_length}")
    print(f"{'side':22} {'tokens/s':>9} {'bf16':>5} {'peak GB':>8} {'seconds':>8}")
    for side in SIDES:
        r = results[side]
        print(f"{side:22} {r['tokens_per_s']:9.0f} {r['bf16']!s:>5} {r['peak_gb']:8.2f} {r['seconds']:8.1f}")
    print(f"ratio ours/trl: {results['ours']['tokens_per_s'] / results['trl']['tokens_per_s']:.2f}x")


if __name__ == "__main__":
    main()
