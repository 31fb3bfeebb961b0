"""The ``tunewise`` command line: the same functions the agent's tools call.

    tunewise ui [--host H] [--port P] [--share]
    tunewise chat [--once MESSAGE [--json]]
    tunewise advise "<task description>" [--data FILE] [--json]
    tunewise catalog [--task T] [--language L] [--license permissive] [--max-params N] [--json]
    tunewise data check FILE [--task T] [--column ROLE=NAME ...] [--max-length N] [--json]
    tunewise train [CONFIG.yaml] [--model M] [--task T] [--data FILE] [--max-steps N] [--epochs N]
                   [--output DIR] [--no-quantize] [--detach]
    tunewise jobs list|show|cancel|resume|retry|logs [ID] [--json] [--follow]
    tunewise compare JOB [--data FILE] [--limit N] [--json]
    tunewise serve JOB [--host H] [--port P] [--api-key KEY] [--print-vllm]
    tunewise export JOB --merge OUT [--dtype D]
    tunewise push JOB REPO_ID [--private|--public] [--merged] [--dataset ID] [--dry-run] [--json]
    tunewise space build OUT [--hardware H] [--title T]
    tunewise space deploy REPO_ID [--private] [--dry-run] [--from FOLDER]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from assistant.cli.chat import add_chat_parser, cmd_chat
from assistant.cli.jobs import cmd_compare, cmd_export, cmd_jobs, cmd_push, cmd_serve
from assistant.space.build import add_space_parser, cmd_space
from catalog.errors import ConfigError, TunewiseError
from catalog.schema import TASKS
from finetune.redact import install_log_redaction


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tunewise")
    except PackageNotFoundError:
        return "0+unknown"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    p = argparse.ArgumentParser(prog="tunewise", description="Should you fine-tune? Advice, QLoRA training "
                                "and base-vs-tuned comparison, from chat or the command line.")
    p.add_argument("--version", action="version", version=f"tunewise {_version()}")
    p.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    ui = sub.add_parser("ui", help="launch the web app")
    ui.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    ui.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    ui.add_argument("--share", action="store_true", help="also create a public Gradio share link")

    adv = sub.add_parser("advise", help="fine-tune, prompt or RAG? advice for a task description")
    adv.add_argument("description", help="the task in your own words")
    adv.add_argument("--data", help="a labelled dataset to measure the base model on")
    adv.add_argument("--json", action="store_true", help="print the advice as JSON")

    cat = sub.add_parser("catalog", help="list models for a task")
    cat.add_argument("--task", help="text-classification, token-classification, question-answering, ...")
    cat.add_argument("--language", help="ISO language code")
    cat.add_argument("--license", choices=["any", "permissive"], default="any")
    cat.add_argument("--max-params", type=float, help="largest size in millions of parameters")
    cat.add_argument("--json", action="store_true")

    data = sub.add_parser("data", help="check a dataset")
    data_sub = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    check = data_sub.add_parser("check", help="validate a dataset and report every problem (exit 0 usable, 2 not)")
    check.add_argument("file", help="CSV, TSV, JSON, JSON lines, Parquet, CoNLL file or a save_to_disk folder")
    check.add_argument("--task", choices=list(TASKS), help="the task (inferred from the columns when left out)")
    check.add_argument("--column", action="append", default=[], metavar="ROLE=NAME",
                       help="map a column to a role, e.g. --column text=body --column label=intent (repeatable)")
    check.add_argument("--text-column", help="shorthand for --column text=NAME")
    check.add_argument("--label-column", help="shorthand for --column label=NAME")
    check.add_argument("--max-length", type=int, help="token limit to count truncated rows against")
    check.add_argument("--format", choices=["csv", "tsv", "json", "jsonl", "parquet", "conll"],
                       help="read the file as this format (guessed from its name and content otherwise)")
    check.add_argument("--json", action="store_true", help="print one JSON object")

    train = sub.add_parser("train", help="fine-tune from a config file and/or flags")
    train.add_argument("config", nargs="?", help="run config YAML (e.g. a job folder's config.yaml)")
    train.add_argument("--model", help="catalog id, Hub id or model folder")
    train.add_argument("--task", choices=list(TASKS), help="the task (default: the config's)")
    train.add_argument("--data", help="dataset file or folder")
    train.add_argument("--column", action="append", default=[], metavar="ROLE=NAME",
                       help="map a column to a role (repeatable)")
    train.add_argument("--epochs", type=float)
    train.add_argument("--max-steps", type=int, help="stop after N optimizer steps")
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--max-length", type=int, help="tokens per example")
    train.add_argument("--output", help="job folder (new or empty, inside the workspace)")
    train.add_argument("--no-quantize", action="store_true", help="plain LoRA on a 32-bit base instead of QLoRA")
    train.add_argument("--detach", action="store_true", help="print the job id and return at once")

    jobs = sub.add_parser("jobs", help="list, show, cancel, resume or retry jobs, or read their logs")
    jobs.add_argument("action", choices=["list", "show", "cancel", "resume", "retry", "logs"],
                      help="retry starts a stopped job over as a new job; resume continues it from its checkpoint")
    jobs.add_argument("job_id", nargs="?")
    jobs.add_argument("--json", action="store_true", help="print JSON (list, show, cancel, resume, retry)")
    jobs.add_argument("--follow", "-f", action="store_true",
                      help="logs: keep printing the log as it grows until the job ends (exit 0 if it succeeded)")

    cmp = sub.add_parser("compare", help="base vs tuned on a job's held-out data (or on another file)")
    cmp.add_argument("job_id", help="job id or job folder")
    cmp.add_argument("--data", metavar="FILE", help="score both models on this dataset file now (any format "
                     "`tunewise data check` reads) instead of the job's held-out split")
    cmp.add_argument("--limit", type=int, default=10, help="example rows to show (default 10)")
    cmp.add_argument("--json", action="store_true", help="print one JSON object")

    srv = sub.add_parser("serve", help="an OpenAI-compatible endpoint for a job's base and tuned model")
    srv.add_argument("job", help="job id or job folder")
    srv.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    srv.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    srv.add_argument("--api-key",
                     help="require this key as 'Authorization: Bearer KEY' (advised off loopback)")
    srv.add_argument("--print-vllm", action="store_true",
                     help="print the equivalent vLLM multi-LoRA serving command instead of serving")

    exp = sub.add_parser("export", help="merge a job's adapter into its base: a standalone model folder")
    exp.add_argument("job", help="job id or job folder")
    exp.add_argument("--merge", metavar="OUT", required=True,
                     help="folder to write the merged model to (new or empty, inside the workspace)")
    exp.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32",
                     help="dtype the base is loaded, merged and saved in (default float32)")

    push = sub.add_parser("push", help="upload a job's adapter and model card to a Hugging Face model repo")
    push.add_argument("job", help="job id or job folder")
    push.add_argument("repo_id", help="namespace/name of the model repo (created if missing); the token comes from "
                      "HF_TOKEN or `hf auth login`")
    visibility = push.add_mutually_exclusive_group()
    visibility.add_argument("--private", action="store_true", help="create the repo private (the default)")
    visibility.add_argument("--public", action="store_true", help="create the repo public (default: private)")
    push.add_argument("--merged", action="store_true",
                      help="upload the merged standalone model (the adapter folded into a float32 copy of its base, "
                      "made once in the job folder's merged/) instead of the adapter")
    push.add_argument("--dataset", metavar="ID",
                      help="the Hub dataset (namespace/name) the training data came from, recorded in the card")
    push.add_argument("--dry-run", action="store_true", help="list what would be uploaded; no network")
    push.add_argument("--json", action="store_true", help="print the result as JSON")
    add_chat_parser(sub)
    add_space_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``tunewise`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    install_log_redaction()
    if args.command is None:
        parser.print_help()
        return 0
    from assistant.settings import configure_offline

    configure_offline()
    try:
        return int(COMMANDS[args.command](args) or 0)
    except TunewiseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug: say so in one line, keep the traceback for -v
        logging.getLogger(__name__).debug("internal error", exc_info=True)
        print(f"internal error (a bug in tunewise, please report it): {type(exc).__name__}: {exc}"
              + ("" if args.verbose else " — run with -v for the details"), file=sys.stderr)
        if args.verbose:
            import traceback

            traceback.print_exc()
        return 1


def cmd_ui(args: argparse.Namespace) -> int:
    """Launch the Gradio app."""
    from app import launch

    launch(host=args.host, port=args.port, share=args.share)
    return 0


def cmd_advise(args: argparse.Namespace) -> int:
    """Print advice for a task description."""
    from assistant.advisor.advise import advise
    from catalog.hardware import detect_hardware

    profile = evidence = None
    if args.data:
        from assistant.tools.actions import dataset_evidence

        profile, evidence = dataset_evidence(args.data)
    advice = advise(args.description, dataset_profile=profile, hardware=detect_hardware(), evidence=evidence)
    if args.json:
        print(json.dumps(advice.model_dump(mode="json", include={"decision", "task", "confidence", "reasons",
                                                                 "questions", "models"}), indent=2))
    else:
        print(advice.to_markdown())
    return 0


def cmd_catalog(args: argparse.Namespace) -> int:
    """Print the catalog, filtered and ranked for this machine."""
    from catalog.hardware import detect_hardware
    from catalog.search import search_models

    hits = search_models(task=args.task, language=args.language,
                         license=None if args.license == "any" else "permissive",
                         max_params=int(args.max_params * 1e6) if args.max_params else None, hardware=detect_hardware())
    rows = [{"id": h.entry.id, "tasks": h.entry.tasks, "params": h.entry.params, "license": h.entry.license,
             "available": h.available, "fits": h.fits} for h in hits]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'model':<48} {'params':>8}  {'license':<14} {'available':<11} fits")
    for r in rows:
        print(f"{r['id']:<48} {r['params'] / 1e6:>7.0f}M  {r['license']:<14} {r['available']:<11} "
              f"{'yes' if r['fits'] else 'no'}")
    return 0


def parse_columns(pairs: list[str]) -> dict[str, str]:
    """``["text=body", "label=intent"]`` -> ``{"text": "body", "label": "intent"}``.

    Raises:
        ConfigError: A pair without ``=`` or with an empty side.
    """
    columns: dict[str, str] = {}
    for pair in pairs:
        role, sep, name = pair.partition("=")
        if not sep or not role.strip() or not name.strip():
            raise ConfigError(f"--column '{pair}' is not ROLE=NAME; write e.g. --column text=body.")
        columns[role.strip()] = name.strip()
    return columns


def cmd_data(args: argparse.Namespace) -> int:
    """Validate a dataset: exit 0 when it is usable, 2 when it is not."""
    from finetune.data.facade import inspect_data
    from finetune.workspace import confine

    columns = parse_columns(args.column)
    columns.update({k: v for k, v in (("text", args.text_column), ("label", args.label_column)) if v})
    try:
        report = inspect_data(confine(args.file), task=args.task, columns=columns or None, max_length=args.max_length,
                              fmt=args.format)
    except TunewiseError as exc:
        if not args.json:
            raise
        print(json.dumps({"ok": False, "task": args.task, "format": None, "rows": 0, "columns": [], "labels": {},
                          "problems": [{"row": None, "field": None, "message": str(exc),
                                        "fix": "See the message: the file cannot be read as it is."}],
                          "warnings": []}, indent=2))
        return 2
    print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if args.json else report.to_markdown())
    return 0 if report.ok else 2


def _train_config(args: argparse.Namespace) -> Any:
    from finetune.config.run import RunConfig

    cfg = RunConfig.from_yaml(args.config) if args.config else RunConfig()
    data = cfg.model_dump()
    data["output"]["dir"] = None
    if args.model:
        data["model"]["name"] = args.model
    if args.task and args.task != data["task"]:
        data["task"] = args.task
        data["data"]["max_length"] = None  # the new task's defaults, unless given below
        data["train"]["learning_rate"] = None
    if args.data:
        data["data"]["path"] = args.data
    if args.column:
        data["data"]["columns"] = parse_columns(args.column)
    if args.max_length:
        data["data"]["max_length"] = args.max_length
    if args.no_quantize:
        data["quantization"]["bits"] = 32
    for flag, key in (("epochs", "epochs"), ("max_steps", "max_steps"), ("learning_rate", "learning_rate"),
                      ("batch_size", "batch_size")):
        if getattr(args, flag) is not None:
            data["train"][key] = getattr(args, flag)
    cfg = RunConfig.from_dict(data)
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

    runner = JobRunner()
    job = runner.submit(_train_config(args), owner="local", folder=Path(args.output) if args.output else None)
    print(f"job {job.id}", file=sys.stderr)
    if args.detach:
        print(job.folder)
        return 0
    bar = tqdm(total=100, unit="%", desc="training", bar_format="{l_bar}{bar}| {n:.0f}% [{elapsed}<{remaining}]")
    import time

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


COMMANDS = {"ui": cmd_ui, "advise": cmd_advise, "catalog": cmd_catalog, "data": cmd_data, "train": cmd_train,
            "jobs": cmd_jobs, "compare": cmd_compare, "serve": cmd_serve, "export": cmd_export,
            "push": cmd_push, "chat": cmd_chat, "space": cmd_space}

if __name__ == "__main__":
    sys.exit(main())
