"""``tunewise train``: fine-tune from a config file or a preset, flags and ``KEY=VALUE`` overrides.

    tunewise train [CONFIG.yaml | --preset NAME] [--model M] [--task T] [--data FILE] [--epochs N]
                   [--max-steps N] [--learning-rate LR] [--batch-size N] [--max-length N] [--column ROLE=NAME]
                   [--output DIR] [--no-quantize] [--executor local|ray] [--ray-address ADDR] [--ray-nodes N]
                   [--detach] [KEY=VALUE ...]

The flags are generated from ``RunConfig``'s fields (help = the field's description, choices = its ``Literal``
values, type = its annotation; bounds are checked by ``RunConfig``'s validation). Any field can be set with a
dotted ``KEY=VALUE`` (``train.max_steps=5 lora.r=8``); a misspelt key gets the closest field as a hint, and
every problem is reported in one error.

Paths are the user's own: any file or folder they can read or write. With no ``--task`` (and none in the config)
the task is the one intake detects in the data; with no ``--model`` the model is the best catalog model for that
task that can be loaded and trained here; both are said. Before the job is queued the pre-flight fit
(``finetune.train.preflight``) sizes the plan to the data and the machine and prints the plan and what it changed.
``--detach`` prints the job id; otherwise the job folder is the last line. Every ``tunewise jobs`` command takes
either.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from assistant.cli.data import parse_columns
from catalog.errors import ConfigError, DataError
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
    train.add_argument("--detach", action="store_true",
                       help="print the job id and return at once (any `tunewise jobs` command takes it, or the folder)")
    train.add_argument("--executor", choices=["local", "ray"], default=None,
                       help="where the job trains: local (this machine: one process, or one per GPU) or ray (a Ray "
                       "cluster, through its Jobs API). Default: ray when --ray-address or TUNEWISE_RAY_ADDRESS is "
                       "given, else local")
    train.add_argument("--ray-address", metavar="ADDR", default=None,
                       help="the Ray cluster's dashboard address, e.g. http://HEAD:8265 (default TUNEWISE_RAY_ADDRESS)")
    train.add_argument("--ray-nodes", metavar="N", type=_positive_int, default=None,
                       help="nodes of the Ray cluster to train on (default TUNEWISE_RAY_NODES, 1): more than 1 starts "
                       "Ray Train workers, one per GPU (one per node without GPUs), DDP")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of nodes, at least 1, not {text!r}")
    return value


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


def given_fields(args: argparse.Namespace) -> set[str]:
    """The dotted ``RunConfig`` fields the user set: flags, ``KEY=VALUE`` words and a config file's own fields.

    A preset's fields are defaults, not the user's choice: the pre-flight fit may change them to suit the data.
    """
    from finetune.config.overrides import parse_key_values
    from finetune.config.run import read_yaml_mapping

    items = list(args.items)
    config_file = items.pop(0) if items and "=" not in items[0] else None
    given = {path for path in FLAG_FIELDS.values() if getattr(args, path) is not None}
    if args.column:
        given.add("data.columns")
    if args.no_quantize:
        given.add("quantization.bits")
    given |= set(parse_key_values(items)[0])
    if config_file and not args.preset:
        given |= _leaf_keys(read_yaml_mapping(user_path_text(config_file)))
    return given


def _leaf_keys(data: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in data.items():
        if isinstance(value, dict) and key != "columns":
            keys |= _leaf_keys(value, f"{prefix}{key}.")
        else:
            keys.add(prefix + str(key))
    return keys


def user_path_text(path: str) -> str:
    """A path typed on the command line, resolved as the user means it (see ``finetune.workspace.user_path``)."""
    from finetune.workspace import user_path

    return str(user_path(path))


def train_config(args: argparse.Namespace, say: Callable[[str], None] | None = None) -> RunConfig:
    """The run config ``tunewise train`` would start: base (file, preset or defaults) + flags + KEY=VALUE.

    Paths are the user's own (any file they can read; relative to the current folder, else the workspace or the
    bundled examples). With no task anywhere the task is the one the data's columns show; with no model anywhere
    the model is the best catalog model for that task that can be loaded and trained here. ``say`` is told both.

    Raises:
        ConfigError: Listing every unknown field (with the closest real one) and every invalid value at once.
        PathError: When the data file does not exist.
        DataError: When no task is given and the data's task cannot be told (every problem listed).
        ModelError: When the model is neither in the catalog nor a model folder.
    """
    from finetune.config.overrides import config_from, parse_key_values
    from finetune.config.presets import read_preset
    from finetune.config.run import read_yaml_mapping
    from finetune.workspace import portable_path, user_path

    items = list(args.items)
    config_file = items.pop(0) if items and "=" not in items[0] else None
    if config_file and args.preset:
        raise ConfigError(f"Give a config file ({config_file}) or --preset {args.preset}, not both.")
    base = read_preset(args.preset) if args.preset else read_yaml_mapping(user_path_text(config_file)) \
        if config_file else {}
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

    def section(name: str) -> dict[str, Any]:
        value = base.get(name)
        return value if isinstance(value, dict) else {}

    data_path = overrides.get("data.path") or section("data").get("path")
    if data_path:
        overrides["data.path"] = portable_path(user_path(str(data_path)))  # the job reads the same file
    task = overrides.get("task") or base.get("task")
    if not task:
        task = overrides["task"] = _detected_task(overrides.get("data.path") or config_field("data.path").default,
                                                  overrides.get("data.columns") or section("data").get("columns"))
        if say:
            say(f"task: {task} (detected from the data's columns; --task to choose another)")
    if not (overrides.get("model.name") or section("model").get("name")):
        overrides["model.name"] = _default_model(str(task), say)
    if task != base.get("task", RunConfig.model_fields["task"].default):
        for key in ("data.max_length", "train.learning_rate"):  # the new task's defaults, unless given
            overrides.setdefault(key, None)
    cfg = config_from(base, overrides, problems=problems)
    from finetune.train.model import resolve_model_source

    resolve_model_source(cfg.model.name)  # an unknown model or a model folder without config.json: say so now
    return cfg


def _detected_task(path: str, columns: dict[str, str] | None) -> str:
    """The task a dataset's layout shows, or a DataError listing why none can be told."""
    from finetune.data.intake import inspect_data
    from finetune.workspace import job_input

    report = inspect_data(job_input(path), columns=columns or None)
    if report.task is None:
        listed = "\n".join(f"- {p}" for p in report.problems) or "- no task could be detected"
        raise DataError(f"{Path(path).name}: cannot tell which task to train:\n{listed}\nOr pass --task.")
    return report.task


def _default_model(task: str, say: Callable[[str], None] | None) -> str:
    """The best catalog model for ``task`` that can be loaded and trained here; ``say`` is told which and why."""
    from finetune.config.defaults import default_model

    hit = default_model(task)
    if hit is None:
        raise ConfigError(f"No catalog model for {task} can be loaded and trained on this machine (none is packaged "
                          "or cached, and the model hub is unreachable). Pass --model with a model folder (one with "
                          "a config.json), or connect once and pass a catalog id (`tunewise catalog --task "
                          f"{task}`).")
    if say:
        say(f"model: {hit.entry.id} (the best {task} model available here: {hit.available}; --model to choose "
            "another)")
    return hit.entry.id


def cmd_train(args: argparse.Namespace) -> int:
    """Fit the plan to the data and this machine, queue the job, and wait for it with a progress bar unless --detach.

    Prints on stderr what was detected or chosen, the plan and what the pre-flight fit changed; on stdout the job
    id with --detach, else the job folder as the last line.
    """
    from tqdm import tqdm

    from finetune.jobs.runner import JobRunner
    from finetune.train.preflight import preflight
    from finetune.workspace import user_path

    def say(line: str) -> None:
        print(line, file=sys.stderr)

    cfg = train_config(args, say)
    fitted = preflight(cfg, explicit=given_fields(args))
    for line in fitted.summary():
        say(line)
    cfg = fitted.config
    if args.ray_nodes is not None and args.executor == "local":
        raise ConfigError("--ray-nodes is for jobs on a Ray cluster; drop --executor local or --ray-nodes.")
    runner = JobRunner(executor=args.executor, ray_address=args.ray_address, ray_nodes=args.ray_nodes)
    folder = user_path(cfg.output.dir, must_exist=False) if cfg.output.dir else None
    job = runner.submit(cfg, owner="local", folder=folder)
    say(f"job {job.id} in {job.folder}")
    if runner.executor.remote:
        say(f"it runs on {runner.executor.where}; its events and results come back while the app or a "
            "`tunewise jobs` command follows it")
    if args.detach:
        print(job.id)
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
    say(f"{final.status}" + (f": {final.reason}" if final.reason else ""))
    if progress.metrics:
        from assistant.tools.actions import metric_line

        say(metric_line(progress.metrics))
    print(final.folder)  # the last line: the job folder
    return 0 if final.status == "succeeded" else 1


def _escape(text: str | None) -> str:
    return (text or "").replace("%", "%%")  # argparse formats help with %
