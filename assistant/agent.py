"""The agent: a LangChain ``create_agent`` loop with the tools, a system prompt and per-session memory."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage

from assistant.session import Services, Session, is_confirmation
from assistant.settings import Settings

log = logging.getLogger(__name__)

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

            from assistant.tools import make_tools

            self._agents[session.id] = create_agent(self.model, tools=make_tools(self.services, session),
                                                    system_prompt=SYSTEM_PROMPT, checkpointer=self.checkpointer)
        return self._agents[session.id]

    def stream(self, session: Session, text: str) -> Iterator[BaseMessage]:
        """Send a user message; yield each new message (tool calls, tool results, replies) as it is made."""
        if session.pending_plan is not None and is_confirmation(text):
            session.confirm()  # the user's own words approve the plan; the LLM cannot do this itself
        agent = self.agent_for(session)
        config = {"configurable": {"thread_id": session.id}, "recursion_limit": 25}
        for update in agent.stream({"messages": [HumanMessage(text)]}, config=config, stream_mode="updates"):
            for step in update.values():
                yield from (step or {}).get("messages", [])

    def chat(self, session: Session, text: str) -> list[BaseMessage]:
        """Send a user message and return all the new messages."""
        return list(self.stream(session, text))
