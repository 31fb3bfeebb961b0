"""The offline guide: a deterministic chat model that needs no LLM, no GPU and no network.

It reads the conversation (including the structured results of earlier tool calls), works out what
the user wants with plain patterns, and either emits a real tool call or writes the reply. It carries
a whole conversation on its own: greet, understand the task, advise with reasons, pick a model,
propose a plan, wait for the user's confirmation, start training, report progress, compare.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool

from assistant.guide.calls import explicit_call
from assistant.guide.intents import read_message
from assistant.guide.replies import after_tool, pick_model
from assistant.guide.state import Memory, Tools, artifact, call, example_for, remember
from assistant.session import is_confirmation

INTRO = (
    "Hi! I'm **tunewise's offline guide** — a built-in assistant that runs without any LLM or network. "
    "I help you decide whether fine-tuning a model is worth it for your task, pick a model that fits your "
    "hardware, run QLoRA fine-tuning, and compare the tuned model with its base.\n\n"
    "Tell me about your task, for example: *\"We want to route support tickets to billing, refund and "
    "delivery teams; we have 700 labelled tickets.\"*"
)


class OfflineGuide(BaseChatModel):
    """A deterministic ``BaseChatModel`` that emits real tool calls and clear prose."""

    model_name: str = "tunewise-offline-guide"

    @property
    def _llm_type(self) -> str:
        return "tunewise-offline-guide"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name}

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any) -> Any:
        """Bind tools (LangChain tools, pydantic models or OpenAI tool dicts) to the guide."""
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=respond(messages, _bound(kwargs)))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        reply = respond(messages, _bound(kwargs))
        words = str(reply.content).split(" ")
        for i, word in enumerate(words):
            text = word if i == len(words) - 1 else word + " "
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
            if run_manager:
                run_manager.on_llm_new_token(text, chunk=chunk)
            yield chunk
        if reply.tool_calls:
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=[
                # indexes after the text block's (0), so v1 content blocks keep text and calls apart
                {"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": i + 1}
                for i, c in enumerate(reply.tool_calls)]))


def _bound(kwargs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The bound tools: name -> JSON schema of its parameters."""
    return {t["function"]["name"]: t["function"].get("parameters") or {} for t in kwargs.get("tools") or []}


def respond(messages: Sequence[BaseMessage], tools: Tools) -> AIMessage:
    """The guide's next message for a conversation."""
    memory = remember(messages)
    last = messages[-1] if messages else HumanMessage("")
    if isinstance(last, ToolMessage):
        name, args = memory.calls.get(last.tool_call_id, (last.name or "", {}))
        return after_tool(name, args, artifact(last), str(last.content), memory, tools)
    text = str(last.content if isinstance(last.content, str) else _text_of(last.content))
    return answer(text, memory, tools)


def _text_of(content: Any) -> str:
    return " ".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)


def answer(text: str, memory: Memory, tools: Tools) -> AIMessage:
    """Reply to a user message."""
    explicit = explicit_call(text, tools)
    if explicit is not None:
        return call(explicit[0], explicit[1], f"Calling `{explicit[0]}`.", tools)
    reading = read_message(text)
    if reading.intent == "use_model":
        return _use_model(str(reading.model), reading, memory, tools)
    if memory.pending is not None:
        if is_confirmation(text):
            return call("start_finetune", memory.pending, "Starting the fine-tuning job now.", tools)
        if reading.plan_changes:
            return call("start_finetune", {**memory.pending, **_as_args(reading.plan_changes)},
                        "Updating the plan.", tools)
        if reading.intent in ("unclear", "empty") or text.strip().lower().rstrip(".!") in ("no", "nope", "not yet"):
            return AIMessage(content="OK — I won't start it. Tell me what to change (for example *\"use 6 epochs\"* "
                                     "or *\"batch size 32\"*), or reply **yes** when you're ready.")
    intent = reading.intent
    if intent == "off_topic":
        return AIMessage(content="That's outside what I can help with: I know about deciding whether to fine-tune, "
                                 "picking models, training them and comparing the results. Tell me about a language "
                                 "task you'd like a model to do — what goes in, what should come out.")
    if intent == "cancel":
        return call("cancel_job", _job(memory), "Cancelling the job.", tools, reading.also)
    if intent == "status":
        if memory.job_id is None:
            return AIMessage(content="No job has been started in this conversation yet. Describe your task and "
                                     "I'll propose a plan; training starts once you confirm it.")
        return call("job_status", _job(memory), "Checking the job.", tools, reading.also)
    if intent == "compare":
        args = {**_job(memory), **({"text": reading.quoted} if reading.quoted else {})}
        if memory.job_id is None:
            return AIMessage(content="There is nothing to compare yet: once a fine-tuning job has finished, "
                                     "I'll show base and tuned side by side on your held-out data.")
        return call("compare", args, "Comparing the base model with the tuned one.", tools, reading.also)
    if intent in ("example_data", "dataset"):
        task = (memory.advice or {}).get("task")
        path = example_for(task)[0] if intent == "example_data" else str(reading.data_path)
        return call("inspect_dataset", {"path": path}, f"Let me look at `{path}`.", tools, reading.also)
    if intent == "catalog":
        task = (memory.advice or {}).get("task")
        return call("search_catalog", {"task": task} if task else {}, "Searching the catalog.", tools, reading.also)
    if intent == "estimate":
        model = (memory.pending or {}).get("model_id") or pick_model(memory)
        return call("estimate_resources", {"model_id": model}, "Estimating memory and time.", tools, reading.also)
    if intent in ("greeting", "help"):
        return AIMessage(content=INTRO)
    if intent == "describe_task":
        args: dict[str, Any] = {"description": text[:4000]}
        if memory.dataset and memory.dataset.get("ok"):
            args["dataset"] = memory.dataset["path"]
        return call("assess_task", args, "Let me assess that.", tools)
    if intent == "change_plan":
        return AIMessage(content="There is no plan to change yet. Describe your task first and I'll propose one.")
    return AIMessage(content="I'm not sure what you'd like to do. I can help you decide whether to fine-tune, "
                             "pick a model, train it and compare it with the base. Describe your task in a "
                             "sentence or two — what goes in, what should come out, and how much labelled data "
                             "you have.")


def _use_model(model: str, reading: Any, memory: Memory, tools: Tools) -> AIMessage:
    """The user picked a model (a catalog id, a Hub id or a model folder in the workspace)."""
    if memory.pending is not None:
        args = {**memory.pending, **_as_args(reading.plan_changes or {}), "model_id": model}
        return call("start_finetune", args, f"Updating the plan to use `{model}`.", tools)
    if memory.dataset and memory.dataset.get("ok"):
        args = {"model_id": model, "dataset": memory.dataset["path"],
                "task": memory.dataset.get("task", "text-classification"), **_as_args(reading.plan_changes or {})}
        return call("start_finetune", args, f"Planning with `{model}`.", tools)
    return AIMessage(content=f"OK — I'll plan with `{model}`. Now upload your data in the **Data** tab (or name a "
                             "file), or say **use the example data**.")


def _job(memory: Memory) -> dict[str, Any]:
    return {"job_id": memory.job_id} if memory.job_id else {}


def _as_args(changes: dict[str, float]) -> dict[str, Any]:
    return {k: (int(v) if k in ("batch_size", "max_length") else v) for k, v in changes.items()}
