"""The agent: a LangChain ``create_agent`` loop with the tools, a system prompt and per-session memory."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from langchain_core.messages import AIMessageChunk, BaseMessage, HumanMessage
from langgraph.errors import GraphRecursionError

from assistant.session import Services, Session, is_confirmation
from assistant.settings import Settings
from finetune.redact import redact

log = logging.getLogger(__name__)
#: Model calls + tool calls one user message may cause before the agent stops.
RECURSION_LIMIT = 25
STEP_LIMIT_NOTICE = (f"I stopped after {RECURSION_LIMIT} steps without a final answer (the model kept calling "
                     "tools). Nothing else was started; please rephrase or ask one thing at a time.")
SECRET_NOTICE = ("I removed what looked like a secret (an API key or access token) from your message before "
                 "anything saw or stored it. Keys belong in environment variables (see the README), not in chat.")

SYSTEM_PROMPT = """You are tunewise, an assistant that helps teams decide whether to fine-tune a foundation \
model for a language task, or to use prompting or retrieval (RAG) instead — and then picks the model, \
runs QLoRA fine-tuning and compares the tuned model with its base.
Rules:
- Use assess_task before recommending anything; quote its reasons and numbers.
- Never claim a job started unless start_finetune said "Started". start_finetune first returns a plan that \
needs the user's explicit confirmation: show it and ask. Only after the user says yes, call it again with \
exactly the same arguments.
- Use job_status for progress and compare for base vs tuned; report numbers exactly as the tools give them.
- If a tool returns an error, explain it plainly and say how to fix it. Keep replies short and concrete."""


class Assistant:
    """Runs conversations: one LangGraph agent per session, memory kept by thread id."""

    def __init__(self, services: Services, settings: Settings | None = None, model: Any = None) -> None:
        from langgraph.checkpoint.memory import InMemorySaver

        from assistant.llm import make_chat_model

        self.services = services
        self.settings = settings or Settings.from_env()
        self.model = model if model is not None else make_chat_model(self.settings)
        self.checkpointer = InMemorySaver()
        self._agents: dict[str, Any] = {}

    def agent_for(self, session: Session) -> Any:
        """The agent of a session (its tools are bound to that session)."""
        if session.id not in self._agents:
            from langchain.agents import create_agent

            from assistant.tools.toolkit import make_tools

            self._agents[session.id] = create_agent(self.model, tools=make_tools(self.services, session),
                                                    system_prompt=SYSTEM_PROMPT, checkpointer=self.checkpointer)
        return self._agents[session.id]

    def events(self, session: Session, text: str) -> Iterator[tuple[str, Any]]:
        """Send a user message; yield ``("token", text)`` for each streamed piece of a reply,
        ``("message", BaseMessage)`` for each finished message (tool calls, tool results, replies) and
        ``("notice", text)`` for a note from tunewise itself (not the model).

        Secrets in the message (API keys, Hub tokens) are masked before the agent or the transcript sees
        them. Only the user's own words can confirm a pending plan: the model cannot confirm it itself.
        """
        clean = redact(text)
        if clean != text:
            yield "notice", SECRET_NOTICE
        if session.pending_plan is not None and is_confirmation(clean):
            session.confirm()
        agent = self.agent_for(session)
        config = {"configurable": {"thread_id": session.id}, "recursion_limit": RECURSION_LIMIT}
        try:
            for mode, payload in agent.stream({"messages": [HumanMessage(clean)]}, config=config,
                                              stream_mode=["messages", "updates"]):
                if mode == "messages":
                    chunk = payload[0]
                    if isinstance(chunk, AIMessageChunk) and isinstance(chunk.content, str) and chunk.content:
                        yield "token", chunk.content
                    continue
                for step in payload.values():
                    for message in (step or {}).get("messages", []):
                        yield "message", message
        except GraphRecursionError:
            log.warning("session %s: the agent hit the step limit (%d)", session.id, RECURSION_LIMIT)
            yield "notice", STEP_LIMIT_NOTICE

    def stream(self, session: Session, text: str) -> Iterator[BaseMessage]:
        """Send a user message; yield each new message (tool calls, tool results, replies) as it is made."""
        for kind, item in self.events(session, text):
            if kind == "message":
                yield item

    def chat(self, session: Session, text: str) -> list[BaseMessage]:
        """Send a user message and return all the new messages."""
        return list(self.stream(session, text))
