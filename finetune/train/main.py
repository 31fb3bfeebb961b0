"""Training entry point: ``python -m finetune.train config.yaml [--resume]``.

Reads a ``RunConfig`` for any of the six tasks (its recipe in ``finetune.tasks`` holds what differs per task),
trains, evaluates base and tuned on the held-out split, and leaves a self-describing job folder::

    config.yaml        the resolved config (rerun with ``tunewise train config.yaml``)
    events.jsonl       append-only progress: start, log (loss, lr, throughput, ETA), eval, done/error
    checkpoints/       resumable Trainer checkpoints
    adapter/           the trained LoRA adapter + head + tokenizer (written atomically)
    labels.json        label names (classification) or BIO tags (NER) in id order
    metrics.json       base vs tuned held-out metrics
    splits.json        the seed and the record indices of train / validation / test
    predictions.jsonl  held-out rows with reference, base and tuned predictions

Exit codes (``finetune.train.outcome``): 0 succeeded, 3 cancelled (SIGTERM/SIGINT, after a checkpoint),
1 failed (the reason is the last ``error`` event).

The same command runs under ``torchrun`` / ``accelerate launch`` (see ``finetune.train.distributed``): every
rank trains its share of each batch, and only rank 0 writes the job folder; the other ranks exit 0
once training ends. Under FSDP(-QLoRA) every rank first joins the gather of the sharded adapter, and
rank 0 saves and evaluates the trained tensors on a fresh base (the training copy is sharded).
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.errors import TunewiseError
from finetune.config.run import RunConfig
from finetune.data.splits import save_splits
from finetune.train import distributed
from finetune.train.events import EventWriter
from finetune.train.outcome import EXIT_CANCELLED, EXIT_FAILED, EXIT_SUCCEEDED, describe_failure

log = logging.getLogger(__name__)


def setup(config_path: Path) -> tuple[RunConfig, Path, EventWriter]:
    """Load the config, pick the job folder and open its event log (written by rank 0 only)."""
    cfg = RunConfig.from_yaml(config_path)
    job_dir = Path(cfg.output.dir).resolve() if cfg.output.dir else config_path.resolve().parent
    job_dir.mkdir(parents=True, exist_ok=True)
    if cfg.output.dir is None:
        cfg.output.dir = str(job_dir)
    main_process = distributed.is_main_process()
    if main_process and not (job_dir / "config.yaml").exists():
        cfg.save(job_dir / "config.yaml")
    return cfg, job_dir, EventWriter(job_dir / "events.jsonl", enabled=main_process)


@dataclass
class RunData:
    """The job's records split into train and held-out parts, with the label vocabulary."""

    task: str
    train: list[dict[str, Any]]
    held_out: list[dict[str, Any]]
    labels: list[str] | None
    splits: dict[str, list[int]]
    seed: int


def load_run_data(cfg: RunConfig) -> RunData:
    """Load, validate and split the dataset named by the config (its path was checked when the job was submitted).

    Raises:
        DataError: Listing every problem in the file.
    """
    from finetune.data.intake import load_data
    from finetune.data.splits import split_records
    from finetune.workspace import job_input

    d = cfg.data
    columns = dict(d.columns)
    columns.update({k: v for k, v in (("text", d.text_column), ("label", d.label_column), ("split", d.split_column))
                    if v})
    loaded = load_data(job_input(d.path), task=cfg.task, columns=columns or None)
    if cfg.task == "translation":
        d.source_lang = d.source_lang or loaded.source_lang
        d.target_lang = d.target_lang or loaded.target_lang
    splits = split_records(loaded.records, task=cfg.task, eval_fraction=d.eval_fraction, seed=d.seed)
    held = sorted(splits.get("validation", []) + splits.get("test", []))
    if not held:
        raise TunewiseError(f"{Path(d.path).name}: no rows could be held out for evaluation. Add examples, or mark "
                            "some rows 'test' in a split column.")
    train = [loaded.records[i] for i in splits["train"]]
    labels: list[str] | None = None
    if cfg.task == "text-classification":
        labels = sorted({r["label"] for r in train})
    elif cfg.task == "token-classification":
        labels = loaded.label_names
    return RunData(task=cfg.task, train=train, held_out=[loaded.records[i] for i in held], labels=labels,
                   splits=splits, seed=d.seed)


def training_arguments(cfg: RunConfig, job_dir: Path, device: str, has_eval: bool, *,
                       loss_only_eval: bool = False, decoder_only: bool = False) -> Any:
    """Map the config's train section onto transformers ``TrainingArguments`` (``loss_only_eval``: the periodic
    evaluation needs only the loss, so no logits are gathered; ``decoder_only``: bf16 autocast may apply)."""
    from transformers import TrainingArguments

    from finetune.train.speed import use_bf16_autocast

    t = cfg.train
    by_steps = t.eval_steps > 0
    best = t.early_stopping_patience > 0 and has_eval
    # the plan's batch is what each optimizer step sees, however many processes share it
    per_process, accumulation = distributed.split_batch(t.batch_size, t.gradient_accumulation,
                                                        distributed.world_size())
    return TrainingArguments(
        output_dir=str(job_dir / "checkpoints"),
        num_train_epochs=t.epochs,
        max_steps=t.max_steps,
        learning_rate=t.learning_rate,
        per_device_train_batch_size=per_process,
        per_device_eval_batch_size=max(t.batch_size, 16),
        gradient_accumulation_steps=accumulation,
        warmup_steps=t.warmup_ratio,
        weight_decay=t.weight_decay,
        lr_scheduler_type=t.scheduler,
        activation_checkpointing=t.gradient_checkpointing and cfg.lora.method == "full",
        train_sampling_strategy="group_by_length" if t.group_by_length else "random",
        logging_steps=t.logging_steps,
        logging_first_step=True,
        eval_strategy=("steps" if by_steps else "epoch") if has_eval else "no",
        eval_steps=t.eval_steps if by_steps else None,
        save_strategy="steps",
        save_steps=t.eval_steps if best and by_steps else t.save_steps,
        save_total_limit=2,
        load_best_model_at_end=best,
        metric_for_best_model="eval_loss" if best else None,
        greater_is_better=False if best else None,
        seed=t.seed,
        use_cpu=device == "cpu",
        include_num_input_tokens_seen="non_padding",
        ddp_backend="gloo" if device == "cpu" and distributed.is_distributed() else None,  # not MPI under torchrun
        # DDP's unused-parameter search fails on reentrant checkpointing; with LoRA every adapter is used anyway
        ddp_find_unused_parameters=False if t.gradient_checkpointing else None,
        report_to="none",
        disable_tqdm=True,
        optim="adamw_torch",
        remove_unused_columns=True,
        bf16=use_bf16_autocast(cfg, device, decoder_only=decoder_only),
        prediction_loss_only=loss_only_eval,
    )


def fit(cfg: RunConfig, job_dir: Path, events: EventWriter, data: RunData, resume: bool) -> Any:
    """Build model, tokenizer, features and Trainer, and train (resuming from the last checkpoint if asked)."""
    from transformers import EarlyStoppingCallback, Trainer, set_seed

    from finetune.tasks.registry import recipe_for
    from finetune.train.callbacks import EventCallback, StopOnSignal
    from finetune.train.model import load_for_training, model_kind, pick_device, resolve_model_source
    from finetune.train.speed import selected_token_trainer

    set_seed(cfg.train.seed)  # before the model: LoRA matrices and new heads are initialised randomly
    distributed.prepare_process(cfg)  # multi-GPU: each rank on its own GPU, not all on cuda:0
    source, _ = resolve_model_source(cfg.model.name)
    recipe = recipe_for(model_kind(cfg.task, source, revision=cfg.model.revision,
                                   trust_remote_code=cfg.model.trust_remote_code), cfg.task, cfg, data.labels)
    model, tokenizer = load_for_training(cfg, data.labels)
    train_ds = recipe.features(data.train, tokenizer)
    eval_ds = recipe.features(data.held_out[:cfg.eval.max_examples], tokenizer, for_eval=True)
    if len(train_ds) == 0:
        raise TunewiseError("No training example is left after tokenization: every answer was cut off. Raise "
                            "data.max_length.")
    stopper = StopOnSignal()
    callbacks: list[Any] = [EventCallback(events, len(train_ds)), stopper]
    has_eval = len(eval_ds) > 0
    if cfg.train.early_stopping_patience and has_eval:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=cfg.train.early_stopping_patience))
    # a decoder-only model learns the answer tokens only: build logits there alone (finetune.train.speed)
    trainer_class = selected_token_trainer() if recipe.decoder_only else Trainer
    metrics = recipe.compute_metrics()
    trainer = trainer_class(
        model=model,
        args=training_arguments(cfg, job_dir, pick_device(cfg.train.device), has_eval,
                                loss_only_eval=metrics is None, decoder_only=recipe.decoder_only),
        train_dataset=train_ds,
        eval_dataset=eval_ds if has_eval else None,
        data_collator=recipe.collator(tokenizer, model),
        compute_metrics=metrics,
        callbacks=callbacks,
    )
    distributed.check_fsdp_engaged(trainer)  # an FSDP launch must not quietly train as DDP
    has_checkpoint = any((job_dir / "checkpoints").glob("checkpoint-*"))
    finished = finished_checkpoint(job_dir) if resume and has_checkpoint and hasattr(trainer.model, "peft_config") \
        and not distributed.is_distributed() else None
    if finished is not None:
        load_finished_checkpoint(trainer, finished)
    else:
        trainer.train(resume_from_checkpoint=True if resume and has_checkpoint else None)
    return trainer, tokenizer, stopper, recipe


def finished_checkpoint(job_dir: Path) -> Path | None:
    """The newest checkpoint when it already holds the last training step, else None.

    A run killed while saving the adapter or evaluating has nothing left to train; transformers, asked to
    resume from such a checkpoint, would still train one more step (past ``max_steps``).
    """
    from transformers.trainer_utils import get_last_checkpoint

    last = get_last_checkpoint(str(job_dir / "checkpoints"))
    if not last:
        return None
    try:
        state = json.loads((Path(last) / "trainer_state.json").read_text(encoding="utf-8"))
        return Path(last) if int(state["global_step"]) >= int(state["max_steps"]) > 0 else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def load_finished_checkpoint(trainer: Any, checkpoint: Path) -> None:
    """Put a finished run's adapter (the best one when the run keeps the best) and state into ``trainer``."""
    from peft.utils import load_peft_weights, set_peft_model_state_dict
    from transformers import TrainerState

    trainer.state = TrainerState.load_from_json(str(checkpoint / "trainer_state.json"))
    best = trainer.state.best_model_checkpoint
    source = Path(best) if trainer.args.load_best_model_at_end and best and Path(best).is_dir() else checkpoint
    set_peft_model_state_dict(trainer.model, load_peft_weights(str(source), device="cpu"))


def save_adapter(model: Any, tokenizer: Any, job_dir: Path, labels: list[str] | None) -> Path:
    """Write adapter, head, tokenizer and labels to a temp folder, then rename it into place."""
    final = job_dir / "adapter"
    tmp = job_dir / f".adapter-tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(str(tmp))
    tokenizer.save_pretrained(str(tmp))
    if labels is not None:
        (job_dir / "labels.json").write_text(json.dumps(labels), encoding="utf-8")
    if final.exists():
        old = job_dir / f".adapter-old-{os.getpid()}"
        final.rename(old)
        tmp.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(final)
    # A run killed mid-save (kill -9, OOM) left its temp or set-aside copy under its own pid: drop them now
    # that a complete adapter is in place, or every crash would leave an adapter-sized folder behind.
    for stale in [*job_dir.glob(".adapter-tmp-*"), *job_dir.glob(".adapter-old-*")]:
        shutil.rmtree(stale, ignore_errors=True)
    return final


def validate(cfg: RunConfig, job_dir: Path, events: EventWriter, model: Any, tokenizer: Any, data: RunData,
             recipe: Any) -> dict[str, Any]:
    """Score tuned and base on the held-out records; write metrics.json and predictions.jsonl.

    The base is the zero-shot encoder for classification and, for generative tasks, the same weights
    with the adapter disabled. Token classification and QA have no base: an encoder's new head is
    untrained, so its output would mean nothing.
    """
    from finetune.tasks.metrics import PRIMARY_METRIC
    from finetune.train.model import resolve_model_source

    records = data.held_out[:cfg.eval.max_examples]
    if not records:
        return {}
    refs = recipe.references(records)
    tuned = recipe.predict(model, tokenizer, records)
    metrics: dict[str, Any] = {"task": cfg.task, "metric": PRIMARY_METRIC[cfg.task], "eval_rows": len(records),
                               "tuned": recipe.score(refs, [p for p, _ in tuned])}
    base: list[tuple[Any, float | None]] = []
    if cfg.eval.baseline == "zero-shot":
        events.emit("phase", phase="baseline", message="Scoring the base model on the same rows")
        recipe.shots = list(data.train[:2])  # worked examples for a prompted base, where the kind uses them
        base = recipe.baseline(model, tokenizer, records, resolve_model_source(cfg.model.name)[0])
        if base:
            metrics["base"] = recipe.score(refs, [p for p, _ in base])
            metrics["base_method"] = recipe.baseline_method
            metrics["intervals"] = recipe.delta_intervals(refs, [p for p, _ in base], [p for p, _ in tuned],
                                                          list(metrics["tuned"]))
    with (job_dir / "predictions.jsonl").open("w", encoding="utf-8") as fh:
        for i, record in enumerate(records):
            row: dict[str, Any] = {"input": recipe.input_text(record), "reference": refs[i], "tuned": tuned[i][0]}
            if tuned[i][1] is not None:
                row["tuned_score"] = round(tuned[i][1], 4)
            if base:
                row["base"] = base[i][0]
                if base[i][1] is not None:
                    row["base_score"] = round(base[i][1], 4)
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp = job_dir / "metrics.json.tmp"
    tmp.write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    tmp.replace(job_dir / "metrics.json")
    return metrics


def save_and_reload(cfg: RunConfig, job_dir: Path, trainer: Any, tokenizer: Any, data: RunData) -> Any:
    """Save the adapter (rank 0) and return the model to evaluate.

    Without FSDP that is the trained model itself. Under FSDP the trained copy is only a shard (and
    generating with it would need every rank in step): the full state dict is gathered from every rank
    (the others join in ``main``), the sharded copy is released everywhere, and the trained tensors are
    loaded onto a fresh base, as serving loads it: spread over the visible GPUs, or on the CPU.
    """
    state_dict = distributed.gather_state_dict(trainer)
    if state_dict is None:
        save_adapter(trainer.model, tokenizer, job_dir, data.labels)
        return trainer.model
    distributed.release_model(trainer)
    import torch

    from finetune.train.model import load_trained_adapter

    model, _ = load_trained_adapter(cfg, data.labels, state_dict,
                                    device_map="auto" if torch.cuda.is_available() else None)
    del state_dict
    save_adapter(model, tokenizer, job_dir, data.labels)
    return model


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
        data = load_run_data(cfg)
        if distributed.is_main_process() and cfg.task == "translation":
            cfg.save(job_dir / "config.yaml")  # with the language pair read from the data, for serving
        if distributed.is_main_process():
            save_splits(job_dir / "splits.json", data.splits, data.seed)
        trainer, tokenizer, stopper, recipe = fit(cfg, job_dir, events, data, args.resume)
        if stopper.requested:
            events.emit("cancelled", step=trainer.state.global_step, message="Stopped on request; checkpoint kept")
            return EXIT_CANCELLED
        if not distributed.is_main_process():  # rank 0 saves and evaluates the (identical) replica alone
            if distributed.gather_state_dict(trainer) is not None:  # FSDP: join the gather, wait for the save
                distributed.release_model(trainer)
            return EXIT_SUCCEEDED
        events.emit("phase", phase="saving", message="Saving the adapter")
        model = save_and_reload(cfg, job_dir, trainer, tokenizer, data)
        events.emit("phase", phase="evaluating", message="Scoring base and tuned on held-out data")
        metrics = validate(cfg, job_dir, events, model, tokenizer, data, recipe)
        from finetune.export.card import write_model_card

        write_model_card(job_dir)
        events.emit("done", metrics=metrics, time=time.time())
        return EXIT_SUCCEEDED
    except TunewiseError as exc:
        if events:
            events.emit("error", reason=str(exc), category="user")
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # the job log keeps the trace; the event keeps a readable reason
        traceback.print_exc()
        if events:
            events.emit("error", reason=describe_failure(exc), category="crash")
        return EXIT_FAILED


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.exit(main())
