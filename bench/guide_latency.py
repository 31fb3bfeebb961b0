"""Offline guide latency: time to the first streamed token and to the full reply, through the real agent.

    .venv/bin/python bench/guide_latency.py [--conversations 1]

A fresh process with its own temporary ``TUNEWISE_HOME`` and ``TUNEWISE_OFFLINE=1`` builds the agent as
``tests/test_guide.py`` does (``Services(runner=JobRunner(), single_user=True)``,
``Assistant(services, settings=Settings(llm_backend="guide"))``) and sends a scripted conversation:
greeting, a task description, "use the example data" (inspects ``examples/support_tickets.csv`` and
proposes a plan), "make it 2 epochs", "which models", "how much memory", an off-topic message. No plan is
confirmed, so nothing trains. Each turn is timed from sending the text to the first ``("token", ...)``
event (often a short "Let me assess that." streamed before a tool runs), to the first token after the
last tool result (the reply proper) and to the end of ``Assistant.events``. The first turn of the first conversation (cold: lazy
imports, the agent graph, the catalog) is reported on its own; p50/p95 are over the other turns.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SCRIPT = (
    "hello",
    "We want to route customer support tickets to the billing, refund and delivery teams; "
    "we have 700 labelled tickets.",
    "use the example data",
    "make it 2 epochs",
    "which models",
    "how much memory",
    "what's the weather like in Paris today?",
)
"""The scripted conversation; it never confirms the plan, so no job starts."""


def child(conversations: int) -> dict[str, Any]:
    """Run the script ``conversations`` times (a new session each) and time every turn.

    Must run in a process whose ``TUNEWISE_HOME`` is a throw-away folder (see :func:`measure`).
    """
    start = time.perf_counter()
    from assistant.agent import Assistant
    from assistant.session import Services
    from assistant.settings import Settings
    from finetune.jobs.runner import JobRunner

    import_s = time.perf_counter() - start
    services = Services(runner=JobRunner(), single_user=True)
    assistant = Assistant(services, settings=Settings(llm_backend="guide"))
    turns = []
    for number in range(conversations):
        session = services.session()
        for text in SCRIPT:
            sent = time.perf_counter()
            first_token = reply_token = None
            tokens = 0
            tools: list[str] = []
            for kind, item in assistant.events(session, text):
                if kind == "token":
                    tokens += 1
                    if first_token is None:
                        first_token = time.perf_counter() - sent
                    if reply_token is None:
                        reply_token = time.perf_counter() - sent
                elif kind == "message":
                    tools += [call["name"] for call in getattr(item, "tool_calls", None) or []]
                    if getattr(item, "type", "") == "tool":  # the reply proper starts after the last tool result
                        reply_token = None
            full = time.perf_counter() - sent
            turns.append({"conversation": number, "text": text[:40], "first_token_ms": 1000 * (first_token or full),
                          "reply_first_token_ms": 1000 * (reply_token or full), "full_ms": 1000 * full,
                          "streamed": first_token is not None, "tokens": tokens, "tools": tools})
    jobs = len(services.runner.list())
    return {"import_s": import_s, "turns": turns, "jobs_started": jobs}


def measure(conversations: int = 1) -> dict[str, Any]:
    """Run :func:`child` in a fresh process with a temporary workspace, offline; its JSON result."""
    from bench.common import run_json_child

    with tempfile.TemporaryDirectory(prefix="tw-bench-guide-") as home:
        env = {**os.environ, "TUNEWISE_HOME": home, "TUNEWISE_OFFLINE": "1", "HF_HUB_OFFLINE": "1",
               "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
               "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
        for key in ("TUNEWISE_LLM", "OPENAI_API_KEY", "OPENAI_BASE_URL", "TUNEWISE_LLM_API_KEY",
                    "TUNEWISE_LLM_BASE_URL"):
            env.pop(key, None)
        return run_json_child([sys.executable, __file__, "--child", "--conversations", str(conversations)],
                              env=env)


def summarise(raw: dict[str, Any]) -> dict[str, float]:
    """Cold start (first turn) and p50/p95 of the warm turns, in milliseconds."""
    from bench.common import percentile

    cold, *warm = raw["turns"]
    first = [t["first_token_ms"] for t in warm]
    reply = [t["reply_first_token_ms"] for t in warm]
    full = [t["full_ms"] for t in warm]
    return {"cold_first_token_ms": cold["first_token_ms"], "cold_full_ms": cold["full_ms"],
            "first_token_p50_ms": percentile(first, 50), "first_token_p95_ms": percentile(first, 95),
            "reply_first_token_p50_ms": percentile(reply, 50), "reply_first_token_p95_ms": percentile(reply, 95),
            "full_p50_ms": percentile(full, 50), "full_p95_ms": percentile(full, 95),
            "warm_turns": len(warm), "streamed_turns": sum(t["streamed"] for t in raw["turns"])}


def main() -> None:
    """Print the latency summary (or, with ``--child``, the raw turns as JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1, help="times the script is sent (new session each)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.conversations)))
        return
    raw = measure(args.conversations)
    for turn in raw["turns"]:
        print(f"{turn['text']:42} first token {turn['first_token_ms']:8.1f} ms  full {turn['full_ms']:8.1f} ms  "
              f"{','.join(turn['tools'])}")
    print(json.dumps(summarise(raw), indent=2))


if __name__ == "__main__":
    main()
