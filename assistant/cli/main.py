"""The ``tunewise`` command line: the same functions the agent's tools call.

    tunewise ui [--host H] [--port P] [--share]
    tunewise chat [--once MESSAGE [--json]]
    tunewise advise "<task description>" [--data FILE] [--json]
    tunewise catalog [--task T] [--language L] [--license permissive] [--max-params N] [--json]
    tunewise data check FILE [--task T] [--column ROLE=NAME ...] [--max-length N] [--json]
    tunewise train [CONFIG.yaml | --preset NAME] [--model M] [--task T] [--data FILE] [--max-steps N] [--epochs N]
                   [--output DIR] [--no-quantize] [--detach] [KEY=VALUE ...]
    tunewise presets list|show NAME
    tunewise jobs list|show|cancel|resume|retry|logs [ID] [--json] [--follow]
    tunewise compare JOB [--data FILE] [--limit N] [--json]
    tunewise serve JOB [--host H] [--port P] [--api-key KEY] [--print-vllm]
    tunewise export JOB --merge OUT [--dtype D]
    tunewise push JOB REPO_ID [--private|--public] [--merged] [--dataset ID] [--dry-run] [--json]
    tunewise space build OUT [--hardware H] [--title T]
    tunewise space deploy REPO_ID [--private] [--dry-run] [--from FOLDER]

This module builds the parser from each command group's module and dispatches; the commands live in
``advice.py``, ``data.py``, ``train.py``, ``presets.py``, ``jobs.py``, ``chat.py`` and ``assistant.space.build``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from assistant.cli.advice import add_advice_parsers, cmd_advise, cmd_catalog
from assistant.cli.chat import add_chat_parser, cmd_chat
from assistant.cli.data import add_data_parser, cmd_data
from assistant.cli.jobs import add_job_parsers, cmd_compare, cmd_export, cmd_jobs, cmd_push, cmd_serve
from assistant.cli.presets import add_presets_parser, cmd_presets
from assistant.cli.train import add_train_parser, cmd_train
from assistant.space.build import add_space_parser, cmd_space
from catalog.errors import TunewiseError
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
    add_advice_parsers(sub)
    add_data_parser(sub)
    add_train_parser(sub)
    add_presets_parser(sub)
    add_job_parsers(sub)
    add_chat_parser(sub)
    add_space_parser(sub)
    return p


def parse_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse ``argv``; ``train`` also takes ``KEY=VALUE`` words after its flags (``--max-steps 2 lora.r=8``)."""
    args, extra = parser.parse_known_args(argv)
    if extra and args.command == "train" and not any(word.startswith("-") for word in extra):
        args.items = [*args.items, *extra]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``tunewise`` console script."""
    parser = build_parser()
    args = parse_args(parser, argv)
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


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "ui": cmd_ui, "advise": cmd_advise, "catalog": cmd_catalog, "data": cmd_data, "train": cmd_train,
    "presets": cmd_presets, "jobs": cmd_jobs, "compare": cmd_compare, "serve": cmd_serve, "export": cmd_export,
    "push": cmd_push, "chat": cmd_chat, "space": cmd_space,
}

if __name__ == "__main__":
    sys.exit(main())
