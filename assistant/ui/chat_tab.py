"""The Chat tab's callbacks: stream a turn (tool calls as collapsible steps), the quick replies, and the
conversation replayed when the page loads. They never raise to the browser: user errors become readable text."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from assistant.agent import Assistant
from catalog.errors import TunewiseError
from finetune.redact import redact

log = logging.getLogger(__name__)
STREAM_INTERVAL_S = 0.05


def tool_step(name: str, args: dict[str, Any], call_id: str) -> dict[str, Any]:
    """A collapsible chat entry for one tool call (filled in when its result arrives)."""
    return {"role": "assistant", "content": f"```json\n{json.dumps(args, indent=1)}\n```",
            "metadata": {"title": f"Tool call: {name}", "status": "pending", "id": call_id}}


def to_chat(messages: list[BaseMessage], history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Append LangChain messages to a Gradio messages-format history (tool calls as collapsible steps)."""
    for m in messages:
        if isinstance(m, HumanMessage):
            history.append({"role": "user", "content": str(m.content)})
        elif isinstance(m, AIMessage):
            if m.content and str(m.content).strip():
                history.append({"role": "assistant", "content": str(m.content)})
            history += [tool_step(c["name"], c["args"], str(c["id"])) for c in m.tool_calls]
        elif isinstance(m, ToolMessage):
            for entry in reversed(history):
                meta = entry.get("metadata") or {}
                if meta.get("id") == m.tool_call_id:
                    result = str(m.content)
                    entry["content"] += "\n**Result**\n\n" + (result if len(result) < 3000 else result[:3000] + " …")
                    meta["status"] = "done"
                    if result.startswith("Error"):
                        meta["title"] += " — error"
                    break
    return history


class ChatHandlers:
    """The Chat tab's callbacks, bound to one ``Assistant`` (and through it the shared services)."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.services = assistant.services

    def chat(self, message: str, history: list[dict[str, Any]],
             session_id: str | None) -> Iterator[tuple[list, str, str]]:
        """Stream one turn: the user's message, each tool step as it happens, then the reply.

        Yields ``(history, "", session id)``: a message sent before the page's load event has given the
        browser its session id gets a session here, and the page keeps that id for the next turns.
        """
        session = self.services.session(session_id or None)
        message = (message or "").strip()
        if not message:
            yield history, "", session.id
            return
        history = list(history or []) + [{"role": "user", "content": redact(message)}]
        yield history, "", session.id
        try:
            streaming, shown = False, 0.0
            for kind, item in self.assistant.events(session, message):
                if kind == "token":
                    if not streaming:
                        history.append({"role": "assistant", "content": ""})
                        streaming = True
                    history[-1]["content"] += item
                    if time.monotonic() - shown < STREAM_INTERVAL_S:
                        continue  # coalesce tokens: the page redraws at most ~20 times a second
                elif kind == "notice":
                    history.append({"role": "assistant", "content": ("🔒 " if "secret" in item else "ℹ️ ") + item})
                else:
                    if streaming and isinstance(item, AIMessage):
                        history.pop()  # the finished message replaces its streamed draft
                        streaming = False
                    history = to_chat([item], history)
                shown = time.monotonic()
                yield history, "", session.id
            yield history, "", session.id
        except TunewiseError as exc:
            history.append({"role": "assistant", "content": f"⚠️ {exc}"})
            yield history, "", session.id
        except Exception:
            log.exception("chat turn failed")
            history.append({"role": "assistant", "content": "⚠️ Something went wrong on my side; the details are "
                            "in the server log. Please try again or rephrase."})
            yield history, "", session.id

    def suggestions(self, session_id: str | None) -> list[Any]:
        """The quick-reply buttons: labels and visibility for where this conversation is."""
        import gradio as gr

        from assistant.ui.suggestions import MAX_SUGGESTIONS, next_actions

        labels = next_actions(self.services, self.services.session(session_id or None))[:MAX_SUGGESTIONS]
        return [gr.update(value=labels[i], visible=True) if i < len(labels) else gr.update(visible=False)
                for i in range(MAX_SUGGESTIONS)]

    def restore(self, session_id: str | None) -> tuple[str, list[dict[str, Any]]]:
        """On page load: keep the browser's session id (or make one) and replay that conversation."""
        session = self.services.session(session_id or None)
        agent = self.assistant.agent_for(session)
        state = agent.get_state({"configurable": {"thread_id": session.id}})
        messages = (state.values or {}).get("messages", []) if state else []
        return session.id, to_chat(list(messages), [])
