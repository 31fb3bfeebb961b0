"""``tunewise advise`` (fine-tune, prompt or RAG?) and ``tunewise catalog`` (models for a task, ranked here)."""

from __future__ import annotations

import argparse
import json
from typing import Any


def add_advice_parsers(sub: Any) -> None:
    """Add the ``advise`` and ``catalog`` sub-commands to the CLI's sub-parsers."""
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
    """Print the catalog, filtered and ranked for this machine (fits: the default run of the task fits here)."""
    from catalog.hardware import detect_hardware
    from catalog.search import search_models
    from finetune.config.defaults import default_estimate_shape

    hits = search_models(task=args.task, language=args.language,
                         license=None if args.license == "any" else "permissive",
                         max_params=int(args.max_params * 1e6) if args.max_params else None, hardware=detect_hardware(),
                         shape_for=lambda entry: default_estimate_shape(args.task, entry))
    rows: list[dict[str, Any]] = [{"id": h.entry.id, "tasks": h.entry.tasks, "params": h.entry.params,
                                   "license": h.entry.license, "available": h.available, "fits": h.fits}
                                  for h in hits]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'model':<48} {'params':>8}  {'license':<14} {'available':<11} fits")
    for r in rows:
        print(f"{r['id']:<48} {r['params'] / 1e6:>7.0f}M  {r['license']:<14} {r['available']:<11} "
              f"{'yes' if r['fits'] else 'no'}")
    return 0
