"""``tunewise chat``: the same agent as the web page, in a terminal.

    tunewise chat                       interactive; replies stream, tool calls show as they run
    tunewise chat --once "MESSAGE"      answer one message and exit
    tunewise chat --once "MESSAGE" --json
                                        one JSON object: reply, tool_calls (name, args, ran, result), notices

Training jobs started from the chat are ordinary jobs: they keep running when the chat ends and show in
``tunewise jobs`` and the web page's Jobs tab.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

QUIT = {"/quit", "/exit", "quit", "exit", ":q"}
HELP = ("Talk about your task in plain words. Examples: \"we want to route support tickets by intent; we have "
        "800 labelled ones\", \"use the example data\", \"status\", \"compare\". /quit leaves.")
RESULT_LINES = 2


def add_chat_parser(sub: Any) -> None:
    """Add the ``chat`` sub-command to the CLI's sub-parsers."""
    chat = sub.add_parser("chat", help="talk to the assistant in the terminal (the same agent as the web page)")
    chat.add_argument("--once", metavar="MESSAGE", help="answer this one message and exit")
    chat.add_argument("--json", action="store_true",
                      help="with --once: print one JSON object (reply, tool_calls with name/args/ran, notices)")


def cmd_chat(args: argparse.Namespace) -> int:
    """Run the terminal chat (interactive, or one message with ``--once``)."""
    from catalog.errors import ConfigError

    if args.json and args.once is None:
        raise ConfigError("--json needs --once MESSAGE (the interactive chat prints text).")
    assistant = make_assistant()
    session = assistant.services.session()
    if args.once is not None:
        turn = run_turn(assistant, session, args.once, out=None if args.json else sys.stdout)
        if args.json:
            print(json.dumps(turn, ensure_ascii=False, indent=1))
        return 0
    return interactive(assistant, session, sys.stdin, sys.stdout)


def make_assistant() -> Any:
    """An ``Assistant`` on the settings from the environment, with the workspace's job runner."""
    from assistant.agent import Assistant
    from assistant.session import Services
    from assistant.settings import Settings
    from finetune.jobs.runner import JobRunner

    settings = Settings.from_env()
    return Assistant(Services(runner=JobRunner(), single_user=settings.single_user), settings=settings)


def interactive(assistant: Any, session: Any, stdin: TextIO, out: TextIO) -> int:
    """Read messages line by line until end of input or ``/quit``; stream each answer."""
    from assistant.llm import describe_backend

    out.write(f"tunewise chat — {describe_backend(assistant.settings)}. /help for examples, /quit to leave.\n")
    prompt = stdin.isatty()
    while True:
        if prompt:
            out.write("\nyou › ")
            out.flush()
        line = stdin.readline()
        if not line:
            out.write("\n")
            return 0
        text = line.strip()
        if not text:
            continue
        if text.lower() in QUIT:
            return 0
        if text.lower() in ("/help", "help?"):
            out.write(HELP + "\n")
            continue
        if not prompt:
            out.write(f"\nyou › {text}\n")
        run_turn(assistant, session, text, out=out)


def run_turn(assistant: Any, session: Any, text: str, out: TextIO | None) -> dict[str, Any]:
    """One user message through the agent. Streams to ``out`` when given; returns the turn as a dict:
    ``reply`` (the last reply's text), ``tool_calls`` (name, args, ran, result, error), ``notices``."""
    calls: dict[str, dict[str, Any]] = {}
    notices: list[str] = []
    reply = ""
    streaming = False
    for kind, item in _safe_events(assistant, session, text):
        if kind == "token":
            if out is not None:
                if not streaming:
                    out.write("tunewise › ")
                    streaming = True
                out.write(item)
                out.flush()
            continue
        if kind == "notice":
            notices.append(item)
            _say(out, f"[note] {item}")
            continue
        if streaming and out is not None:
            out.write("\n")
            streaming = False
        reply = _absorb(item, calls, out, reply)
    return {"reply": reply, "tool_calls": list(calls.values()), "notices": notices}


def _safe_events(assistant: Any, session: Any, text: str) -> Iterator[tuple[str, Any]]:
    """The agent's events; a failure becomes a notice instead of a traceback."""
    import logging

    from catalog.errors import TunewiseError

    try:
        yield from assistant.events(session, text)
    except TunewiseError as exc:
        yield "notice", str(exc)
    except Exception:  # noqa: BLE001 - the chat must survive a failing backend
        logging.getLogger(__name__).exception("chat turn failed")
        yield "notice", ("Something went wrong on my side (is the LLM server reachable?); run with -v for the "
                         "details, then try again.")


def _absorb(message: BaseMessage, calls: dict[str, dict[str, Any]], out: TextIO | None, reply: str) -> str:
    """Record one finished message; print tool steps (replies were already streamed)."""
    if isinstance(message, AIMessage):
        for call in message.tool_calls:
            calls[str(call["id"])] = {"name": call["name"], "args": dict(call["args"]), "ran": False,
                                      "result": None, "error": False}
            _say(out, f"  ⚙ {call['name']}({_short_args(call['args'])})")
        if message.content and not message.tool_calls:
            return str(message.content)
        return reply
    if isinstance(message, ToolMessage):
        entry = calls.get(message.tool_call_id)
        content = str(message.content)
        if entry is not None:
            entry.update(ran=True, result=content, error=content.startswith("Error"))
        lines = content.strip().splitlines() or [""]
        shown = lines[:RESULT_LINES] + ([f"… ({len(lines) - RESULT_LINES} more lines)"]
                                        if len(lines) > RESULT_LINES else [])
        _say(out, "\n".join("  │ " + line for line in shown))
    return reply


def _short_args(args: dict[str, Any]) -> str:
    text = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in args.items())
    return text if len(text) <= 160 else text[:157] + "…"


def _say(out: TextIO | None, text: str) -> None:
    if out is not None:
        out.write(text + "\n")
        out.flush()
