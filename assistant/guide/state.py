"""What the offline guide knows and the pieces its replies are made of.

:class:`Memory` is what the conversation has established, replayed from its tool calls and their results;
:func:`call` is a reply that calls one tool; :func:`example_for` names the bundled example data of a task.
Both :mod:`assistant.guide.model` (answers to the user) and :mod:`assistant.guide.replies` (answers after a
tool) build on them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from assistant.guide.intents import INTENT_WORDS, read_message

#: The tools bound to the guide: name -> JSON schema of its parameters.
Tools = dict[str, dict[str, Any]]
EXAMPLE_DATA = "examples/support_tickets.csv"
#: The bundled example of each task ("use the example data" picks the one for the task under discussion).
EXAMPLES_BY_TASK = {
    "text-classification": (EXAMPLE_DATA, "customer-support tickets, 10 intents"),
    "token-classification": ("examples/ner_custom_entities.jsonl", "e-bike service notes, 9 entity types"),
    "question-answering": ("examples/qa_handbook.jsonl", "questions about a staff handbook"),
    "summarization": ("examples/summarization_incidents.jsonl", "incident reports and call notes"),
    "translation": ("examples/translation_en_de_support.jsonl", "English-German support sentences"),
    "chat": ("examples/chat_house_style.jsonl", "support chats in a house style"),
}


def example_for(task: str | None) -> tuple[str, str]:
    """The bundled example dataset for ``task`` and a few words about it (tickets when unknown)."""
    return EXAMPLES_BY_TASK.get(task or "", EXAMPLES_BY_TASK["text-classification"])


@dataclass
class Memory:
    """What the conversation so far has established, read from tool calls and their results."""

    advice: dict[str, Any] | None = None
    dataset: dict[str, Any] | None = None
    pending: dict[str, Any] | None = None
    job_id: str | None = None
    model: str | None = None
    calls: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)


def remember(messages: Sequence[BaseMessage]) -> Memory:
    """Replay the conversation's tool calls and results into a ``Memory``."""
    memory = Memory()
    for message in messages:
        if isinstance(message, HumanMessage):
            choice = read_message(str(message.content) if isinstance(message.content, str) else "").model
            memory.model = choice or memory.model
        elif isinstance(message, AIMessage):
            for call in message.tool_calls:
                memory.calls[str(call["id"])] = (call["name"], dict(call["args"]))
        elif isinstance(message, ToolMessage):
            name, args = memory.calls.get(message.tool_call_id, (message.name or "", {}))
            _absorb(memory, name, args, artifact(message))
    return memory


def artifact(message: ToolMessage) -> dict[str, Any]:
    """The structured result of a tool call (``{"error": ...}`` when the tool answered with an error)."""
    if isinstance(message.artifact, dict):
        return message.artifact
    return {"error": str(message.content)} if str(message.content).startswith("Error") else {}


def _absorb(memory: Memory, name: str, args: dict[str, Any], result: dict[str, Any]) -> None:
    if "error" in result:
        return
    if name == "assess_task":
        memory.advice = result
    elif name == "inspect_dataset":
        memory.dataset = result
    elif name == "start_finetune":
        if result.get("status") == "needs_confirmation":
            memory.pending = args
        elif result.get("status") == "started":
            memory.pending, memory.job_id = None, result.get("job_id")


def call(name: str, args: dict[str, Any], preface: str, tools: Tools, later: tuple[str, ...] = ()) -> AIMessage:
    """A reply that calls one tool (or explains, when that tool is not bound); ``later`` names the other
    requests of a multi-part message, which the preface promises for the next turn."""
    if later:
        asked = " and ".join(INTENT_WORDS[name_] for name_ in later)
        preface += f" (You also asked about {asked}: one thing at a time — ask me again once this is done.)"
    if tools and name not in tools:
        return AIMessage(content=f"{preface} (I would use the `{name}` tool, but it is not available here.)")
    return AIMessage(content=preface, tool_calls=[{"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:12]}",
                                                   "type": "tool_call"}])
