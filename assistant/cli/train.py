"""``tunewise train``: fine-tune from a config file or a preset, flags and ``KEY=VALUE`` overrides.

    tunewise train [CONFIG.yaml | --preset NAME] [--model M] [--task T] [--data FILE] [--epochs N]
                   [--max-steps N] [--learning-rate LR] [--batch-size N] [--max-length N] [--column ROLE=NAME]
                   [--output DIR] [--no-quantize] [--detach] [KEY=VALUE ...]

The flags are generated from ``RunConfig``'s fields (help = the field's description, choices = its ``Literal``
values, type = its annotation; bounds are checked by ``RunConfig``'s validation). Any field can be set with a
dotted ``KEY=VALUE`` (``train.max_steps=5 lora.r=8``); a misspelt key gets the closest field as a hint, and
every problem is reported in one error.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from assistant.cli.data import parse_columns
from catalog.errors import ConfigError
from finetune.config.run import RunConfig, config_field, field_type

FLAG_FIELDS: dict[str, str] = {
    "--model": "model.name", "--task": "task", "--data": "data.path", "--epochs": "train.epochs",
    "--max-steps": "train.max_steps", "--learning-rate": "train.learning_rate", "--batch-size": "train.batch_size",
    "--max-length": "data.max_length", "--output": "output.dir",
}
"""The ``train`` flags and the ``RunConfig`` field each one sets."""


def add_train_parser(sub: Any) -> None:
    """Add the ``train`` sub-command to the CLI's sub-parsers."""
    train = sub.add_parser(
        "train", help="fine-tune from a config file or preset, flags and KEY=VALUE overrides",
        description="Fine-tune a model as a background job and wait for it with a progress bar. Start from a "
        "config file (e.g. a job folder's config.yaml), a preset, or RunConfig's defaults; the flags and KEY=VALUE "
        "words override it.",
        epilog="Any RunConfig field can be set as KEY=VALUE, e.g. train.max_steps=5 lora.r=8 "
        "data.columns.text=body; a KEY=VALUE wins over a flag for the same field. See a full config with "
        "`tunewise presets show NAME`.")
    train.add_argument("items", nargs="*", metavar="CONFIG.yaml|KEY=VALUE",
                       help="a run config YAML to start from (first), then dotted field overrides")
    train.add_argument("--preset", metavar="NAME", help="start from this preset (see `tunewise presets list`)")
    for flag, path in FLAG_FIELDS.items():
        add_field_flag(train, flag, path)
    train.add_argument("--column", action="append", default=[], metavar="ROLE=NAME",
                       help=_escape(config_field("data.columns").description) + " Repeatable: --column text=body.")
    train.add_argument("--no-quantize", action="store_true",
                       help="plain LoRA on a 32-bit base instead of QLoRA (quantization.bits=32)")
    train.add_argument("--detach", action="store_true", help="print the job id and return at once")


def add_field_flag(parser: argparse.ArgumentParser, flag: str, path: str) -> None:
    """Add ``flag`` for the ``RunConfig`` field at ``path``: help, type and choices come from the field.

    The parsed value lands in ``args.<path>`` (None when the flag is not given); bounds are left to
    ``RunConfig``'s validation, so every bad value is reported at once.
    """
    info = config_field(path)
    kind, _ = field_type(info)
    options: dict[str, Any] = {"dest": path, "default": None, "help": _escape(info.description or "")}
    if get_origin(kind) is Literal:
        choices = get_args(kind)
        options.update(choices=list(choices), type=type(choices[0]), metavar="{" + ",".join(map(str, choices)) + "}")
    elif kind is bool:
        options["action"] = argparse.BooleanOptionalAction
    elif kind in (int, float, str):
        options.update(type=kind, metavar=path.rsplit(".", 1)[-1].upper())
    else:  # a list or mapping: set it with KEY=VALUE instead
        raise TypeError(f"{path} ({info.annotation}) cannot be a flag")
    parser.add_argument(flag, **options)


def train_config(args: argparse.Namespace) -> RunConfig:
    """The run config ``tunewise train`` would start: base (file, preset or defaults) + flags + KEY=VALUE.

    Raises:
        ConfigError: Listing every unknown field (with the closest real one) and every invalid value at once.
        PathError: When the data or model path is outside the workspace.
        ModelError: When the model is neither in the catalog nor a model folder.
    """
    from finetune.config.overrides import config_from, parse_key_values
    from finetune.config.presets import read_preset
    from finetune.config.run import read_yaml_mapping

    items = list(args.items)
    config_file = items.pop(0) if items and "=" not in items[0] else None
    if config_file and args.preset:
        raise ConfigError(f"Give a config file ({config_file}) or --preset {args.preset}, not both.")
    base = read_preset(args.preset) if args.preset else read_yaml_mapping(config_file) if config_file else {}
    if isinstance(base.get("output"), dict):
        base["output"].pop("dir", None)  # a job folder's own: the new job gets --output or a new folder
    overrides: dict[str, Any] = {path: getattr(args, path) for path in FLAG_FIELDS.values()
                                 if getattr(args, path) is not None}
    if args.column:
        overrides["data.columns"] = parse_columns(args.column)
    if args.no_quantize:
        overrides["quantization.bits"] = 32
    typed, problems = parse_key_values(items)
    overrides.update(typed)
    task = overrides.get("task")
    if task and task != base.get("task", RunConfig.model_fields["task"].default):
        for key in ("data.max_length", "train.learning_rate"):  # the new task's defaults, unless given
            overrides.setdefault(key, None)
    cfg = config_from(base, overrides, problems=problems)
    # Refuse paths outside the workspace here, before a job is queued (the job checks them again).
    from finetune.train.model import resolve_model_source
    from finetune.workspace import confine

    confine(cfg.data.path)
    resolve_model_source(cfg.model.name)
    return cfg


def cmd_train(args: argparse.Namespace) -> int:
    """Queue a training job; wait for it with a progress bar unless --detach."""
    from tqdm import tqdm

    from finetune.jobs.runner import JobRunner

    cfg = train_config(args)
    runner = JobRunner()
    job = runner.submit(cfg, owner="local", folder=Path(cfg.output.dir) if cfg.output.dir else None)
    print(f"job {job.id}", file=sys.stderr)
    if args.detach:
        print(job.folder)
        return 0
    bar = tqdm(total=100, unit="%", desc="training", bar_format="{l_bar}{bar}| {n:.0f}% [{elapsed}<{remaining}]")
    while True:
        progress = runner.progress(job.id)
        bar.n = progress.percent
        bar.set_postfix_str(f"loss {progress.loss:.3f}" if progress.loss is not None else progress.phase)
        bar.refresh()
        if progress.status not in ("queued", "running"):
            break
        time.sleep(1.0)
    bar.close()
    final = runner.get(job.id)
    print(f"{final.status}" + (f": {final.reason}" if final.reason else ""), file=sys.stderr)
    if progress.metrics:
        from assistant.tools.actions import metric_line

        print(metric_line(progress.metrics), file=sys.stderr)
    print(final.folder)  # the last line: the job folder
    return 0 if final.status == "succeeded" else 1


def _escape(text: str | None) -> str:
    return (text or "").replace("%", "%%")  # argparse formats help with %
