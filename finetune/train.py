"""Training entry point: ``python -m finetune.train config.yaml [--resume]``.

Reads a ``RunConfig``, trains, evaluates base and tuned on the held-out split, and leaves a
self-describing job folder::

    config.yaml        the resolved config (rerun with ``tunewise train config.yaml``)
    events.jsonl       append-only progress: start, log (loss, lr, throughput, ETA), eval, done/error
    checkpoints/       resumable Trainer checkpoints
    adapter/           the trained LoRA adapter + head + tokenizer (written atomically)
    labels.json        label names in id order
    metrics.json       base vs tuned held-out metrics
    predictions.jsonl  held-out rows with reference, base and tuned predictions

Exit codes: 0 succeeded, 3 cancelled (SIGTERM/SIGINT, after a checkpoint), 1 failed (the reason is
the last ``error`` event).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

from finetune.config import RunConfig
from finetune.data import ClassificationData, load_classification
from finetune.errors import TunewiseError
from finetune.events import EventWriter

log = logging.getLogger(__name__)
EXIT_CANCELLED = 3


def setup(config_path: Path) -> tuple[RunConfig, Path, EventWriter]:
    """Load the config, pick the job folder and open its event log."""
    cfg = RunConfig.from_yaml(config_path)
    job_dir = Path(cfg.output.dir).resolve() if cfg.output.dir else config_path.resolve().parent
    job_dir.mkdir(parents=True, exist_ok=True)
    if cfg.output.dir is None:
        cfg.output.dir = str(job_dir)
    if not (job_dir / "config.yaml").exists():
        cfg.save(job_dir / "config.yaml")
    return cfg, job_dir, EventWriter(job_dir / "events.jsonl")


def load_data(cfg: RunConfig) -> ClassificationData:
    """Load and validate the dataset named by the config (paths confined to the workspace)."""
    from finetune.workspace import confine

    if cfg.task != "text-classification":
        raise TunewiseError(
            f"Training for task '{cfg.task}' is not available in this version; text-classification is."
        )
    d = cfg.data
    return load_classification(confine(d.path), text_column=d.text_column, label_column=d.label_column,
                               split_column=d.split_column, eval_fraction=d.eval_fraction, seed=d.seed)


def tokenize(data: ClassificationData, tokenizer: Any, max_length: int) -> tuple[Any, Any]:
    """Build tokenized train/eval ``datasets.Dataset`` objects (no padding: the collator pads)."""
    from datasets import Dataset

    label2id = {lab: i for i, lab in enumerate(data.labels)}

    def build(texts: list[str], labels: list[str]) -> Any:
        enc = tokenizer(texts, truncation=True, max_length=max_length)
        return Dataset.from_dict({**enc, "labels": [label2id[lab] for lab in labels],
                                  "length": [len(ids) for ids in enc["input_ids"]]})

    eval_pairs = [(t, lab) for t, lab in zip(data.eval_texts, data.eval_labels, strict=True) if lab in label2id]
    return build(data.train_texts, data.train_labels), build([t for t, _ in eval_pairs], [lab for _, lab in eval_pairs])


def training_arguments(cfg: RunConfig, job_dir: Path, device: str) -> Any:
    """Map the config's train section onto transformers ``TrainingArguments``."""
    from transformers import TrainingArguments

    t = cfg.train
    return TrainingArguments(
        output_dir=str(job_dir / "checkpoints"),
        num_train_epochs=t.epochs,
        max_steps=t.max_steps,
        learning_rate=t.learning_rate,
        per_device_train_batch_size=t.batch_size,
        per_device_eval_batch_size=max(t.batch_size, 32),
        gradient_accumulation_steps=t.gradient_accumulation,
        warmup_steps=t.warmup_ratio,
        weight_decay=t.weight_decay,
        lr_scheduler_type=t.scheduler,
        activation_checkpointing=t.gradient_checkpointing and cfg.lora.method == "full",
        train_sampling_strategy="group_by_length" if t.group_by_length else "random",
        logging_steps=t.logging_steps,
        logging_first_step=True,
        eval_strategy="epoch",
        save_strategy="steps",
        save_steps=t.save_steps,
        save_total_limit=2,
        seed=t.seed,
        use_cpu=device == "cpu",
        report_to="none",
        disable_tqdm=True,
        optim="adamw_torch",
        remove_unused_columns=True,
    )


def compute_metrics_fn(labels: list[str]) -> Any:
    """Metrics callback for the Trainer's periodic evaluation."""
    from finetune.evaluate import classification_metrics

    def compute(pred: Any) -> dict[str, float]:
        predicted = pred.predictions.argmax(-1)
        return classification_metrics([labels[i] for i in pred.label_ids], [labels[i] for i in predicted])

    return compute


def fit(cfg: RunConfig, job_dir: Path, events: EventWriter, data: ClassificationData, resume: bool) -> Any:
    """Build model, tokenizer and Trainer, and train (resuming from the last checkpoint if asked)."""
    from transformers import DataCollatorWithPadding, Trainer, set_seed

    from finetune.callbacks import EventCallback, StopOnSignal
    from finetune.model import load_classifier_for_training, pick_device

    set_seed(cfg.train.seed)  # before the model: LoRA matrices and the new head are initialised randomly
    model, tokenizer = load_classifier_for_training(cfg, data.labels)
    train_ds, eval_ds = tokenize(data, tokenizer, cfg.data.max_length)
    stopper = StopOnSignal()
    trainer = Trainer(
        model=model,
        args=training_arguments(cfg, job_dir, pick_device(cfg.train.device)),
        train_dataset=train_ds,
        eval_dataset=eval_ds if len(eval_ds) else None,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=compute_metrics_fn(data.labels),
        callbacks=[EventCallback(events, len(train_ds)), stopper],
    )
    has_checkpoint = any((job_dir / "checkpoints").glob("checkpoint-*"))
    trainer.train(resume_from_checkpoint=True if resume and has_checkpoint else None)
    return trainer, tokenizer, stopper


def save_adapter(trainer: Any, tokenizer: Any, job_dir: Path, labels: list[str]) -> Path:
    """Write adapter, head, tokenizer and labels to a temp folder, then rename it into place."""
    final = job_dir / "adapter"
    tmp = job_dir / f".adapter-tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    trainer.model.save_pretrained(str(tmp))
    tokenizer.save_pretrained(str(tmp))
    (job_dir / "labels.json").write_text(json.dumps(labels), encoding="utf-8")
    if final.exists():
        old = job_dir / f".adapter-old-{os.getpid()}"
        final.rename(old)
        tmp.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(final)
    return final


def validate(cfg: RunConfig, job_dir: Path, events: EventWriter, trainer: Any, tokenizer: Any,
             data: ClassificationData) -> dict[str, Any]:
    """Score tuned and zero-shot base on the held-out split; write metrics.json and predictions.jsonl."""
    from finetune.evaluate import classification_metrics, classifier_predict, zero_shot_predict
    from finetune.model import resolve_model_source

    n = min(len(data.eval_texts), cfg.eval.max_examples)
    texts, refs = data.eval_texts[:n], data.eval_labels[:n]
    if not texts:
        return {}
    tuned = classifier_predict(trainer.model, tokenizer, texts, max_length=cfg.data.max_length)
    metrics: dict[str, Any] = {"task": cfg.task, "metric": "accuracy", "eval_rows": n,
                               "tuned": classification_metrics(refs, [p for p, _ in tuned])}
    base: list[tuple[str, float]] = []
    if cfg.eval.baseline == "zero-shot":
        events.emit("phase", phase="baseline", message="Scoring the zero-shot base model")
        base = zero_shot_predict(resolve_model_source(cfg.model.name)[0], texts, data.labels,
                                 max_length=cfg.data.max_length)
        metrics["base"] = classification_metrics(refs, [p for p, _ in base])
        metrics["base_method"] = "zero-shot embedding similarity to the label names"
    with (job_dir / "predictions.jsonl").open("w", encoding="utf-8") as fh:
        for i, text in enumerate(texts):
            row = {"input": text, "reference": refs[i], "tuned": tuned[i][0], "tuned_score": round(tuned[i][1], 4)}
            if base:
                row.update(base=base[i][0], base_score=round(base[i][1], 4))
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp = job_dir / "metrics.json.tmp"
    tmp.write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    tmp.replace(job_dir / "metrics.json")
    return metrics


def main(argv: list[str] | None = None) -> int:
    """Run one training job; see the module docstring for exit codes."""
    parser = argparse.ArgumentParser(prog="python -m finetune.train", description="Fine-tune from a config.")
    parser.add_argument("config", type=Path, help="run config YAML (the job folder's config.yaml)")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    warnings.filterwarnings("ignore", category=FutureWarning)  # library deprecation notes, not the user's concern
    events: EventWriter | None = None
    try:
        cfg, job_dir, events = setup(args.config)
        events.emit("phase", phase="loading", message="Loading data and model", pid=os.getpid())
        data = load_data(cfg)
        trainer, tokenizer, stopper = fit(cfg, job_dir, events, data, args.resume)
        if stopper.requested:
            events.emit("cancelled", step=trainer.state.global_step, message="Stopped on request; checkpoint kept")
            return EXIT_CANCELLED
        events.emit("phase", phase="saving", message="Saving the adapter")
        save_adapter(trainer, tokenizer, job_dir, data.labels)
        events.emit("phase", phase="evaluating", message="Scoring base and tuned on held-out data")
        metrics = validate(cfg, job_dir, events, trainer, tokenizer, data)
        events.emit("done", metrics=metrics, time=time.time())
        return 0
    except TunewiseError as exc:
        if events:
            events.emit("error", reason=str(exc), category="user")
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # the job log keeps the trace; the event keeps a readable reason
        traceback.print_exc()
        if events:
            events.emit("error", reason=describe_failure(exc), category="crash")
        return 1


def describe_failure(exc: BaseException) -> str:
    """A one-line, human reason for an unexpected failure (out of memory, disk full, ...)."""
    text = f"{type(exc).__name__}: {exc}"
    lowered = text.lower()
    if "out of memory" in lowered or isinstance(exc, MemoryError):
        return "Out of memory. Lower train.batch_size or data.max_length, or use 4-bit quantization."
    if "no space left" in lowered:
        return "The disk is full. Free space in the workspace and resume the job."
    return text.splitlines()[0][:500]


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.exit(main())
