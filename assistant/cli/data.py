"""``tunewise data check``: validate a dataset and report every problem (exit 0 usable, 2 not)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from catalog.errors import ConfigError, TunewiseError
from catalog.schema import TASKS


def add_data_parser(sub: Any) -> None:
    """Add the ``data`` sub-command (``data check FILE``) to the CLI's sub-parsers."""
    data = sub.add_parser("data", help="check a dataset")
    data_sub = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    check = data_sub.add_parser("check", help="validate a dataset and report every problem (exit 0 usable, 2 not)")
    check.add_argument("file", help="CSV, TSV, JSON, JSON lines, Parquet, CoNLL file (also .gz, .bz2, .xz, .zst or a "
                       ".zip holding one), or a save_to_disk folder: any path you can read")
    check.add_argument("--task", choices=list(TASKS), help="the task (inferred from the columns when left out)")
    check.add_argument("--column", action="append", default=[], metavar="ROLE=NAME",
                       help="map a column to a role, e.g. --column text=body --column label=intent (repeatable)")
    check.add_argument("--text-column", help="shorthand for --column text=NAME")
    check.add_argument("--label-column", help="shorthand for --column label=NAME")
    check.add_argument("--max-length", type=int, help="token limit to count truncated rows against")
    check.add_argument("--format", choices=["csv", "tsv", "json", "jsonl", "parquet", "conll", "tmx"],
                       help="read the file as this format (guessed from its name and content otherwise)")
    check.add_argument("--json", action="store_true", help="print one JSON object")


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
    from finetune.data.intake import inspect_data
    from finetune.workspace import user_path

    columns = parse_columns(args.column)
    columns.update({k: v for k, v in (("text", args.text_column), ("label", args.label_column)) if v})
    try:
        report = inspect_data(user_path(args.file), task=args.task, columns=columns or None, max_length=args.max_length,
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
