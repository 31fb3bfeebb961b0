"""``tunewise presets list|show NAME``: the ready-made run configs under ``finetune/config/presets/``.

    tunewise presets list [--task T] [--json]
    tunewise presets show NAME          the preset's YAML with its header (the command that runs it)

Train from one with ``tunewise train --preset NAME --data FILE`` (plus flags and ``KEY=VALUE`` overrides).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from catalog.schema import TASKS


def add_presets_parser(sub: Any) -> None:
    """Add the ``presets`` sub-command (``list``, ``show NAME``) to the CLI's sub-parsers."""
    presets = sub.add_parser("presets", help="list ready-made run configs, or show one")
    actions = presets.add_subparsers(dest="presets_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="every preset: name, task, model and what it is for")
    listing.add_argument("--task", choices=list(TASKS), help="only the presets of this task")
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    show = actions.add_parser("show", help="print a preset's YAML with its header (the command that runs it)")
    show.add_argument("name", help="a preset name from `tunewise presets list`")


def cmd_presets(args: argparse.Namespace) -> int:
    """List the presets, or print one preset's file."""
    from finetune.config.presets import list_presets, preset_path, preset_title, read_preset

    if args.presets_command == "show":
        print(preset_path(args.name).read_text(encoding="utf-8"), end="")
        return 0
    rows = []
    for name in list_presets():
        data = read_preset(name)
        model: dict[str, Any] = data["model"] if isinstance(data.get("model"), dict) else {}
        if args.task and data.get("task") != args.task:
            continue
        rows.append({"name": name, "task": data.get("task"), "model": model.get("name"), "title": preset_title(name)})
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        print(f"{row['name']:<46} {row['title']}")
    return 0
