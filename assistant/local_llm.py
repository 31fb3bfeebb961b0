"""A transformers chat model in this process, with tool calling through the model's own chat template.

The tools are rendered by the template (``apply_chat_template(..., tools=...)``); templates that ignore
tools get them in a system message instead, in the Hermes format most open models were tuned on. The
reply is parsed for the tool-call formats open models emit:

- Hermes / Qwen 2.5 / Qwen 3: ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` (one or more)
- Mistral: ``[TOOL_CALLS] [{"name": ..., "arguments": {...}}]``
- Llama 3.1+: ``<|python_tag|>{"name": ..., "parameters": {...}}`` or a reply that is only that JSON

Streaming shows text as it is generated and holds back anything that may be a tool call.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import PrivateAttr

MARKERS = ("<tool_call>", "[TOOL_CALLS]", "<|python_tag|>")
_HERMES = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
TOOLS_SYSTEM = ("You may call functions. Their signatures, as JSON schema:\n<tools>\n{tools}\n</tools>\n"
                "To call one, reply with <tool_call>{{\"name\": <function-name>, \"arguments\": <args-json>}}"
                "</tool_call> and nothing else.")


def to_template_messages(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """LangChain messages as the role/content dicts chat templates take (tool calls and results included)."""
    out: list[dict[str, Any]] = []
    for m in messages:
        text = m.content if isinstance(m.content, str) else " ".join(
            p.get("text", "") if isinstance(p, dict) else str(p) for p in m.content)
        if isinstance(m, SystemMessage):
            out.append({"role": "system", "content": text})
        elif isinstance(m, HumanMessage):
            out.append({"role": "user", "content": text})
        elif isinstance(m, AIMessage):
            entry: dict[str, Any] = {"role": "assistant", "content": text}
            if m.tool_calls:
                entry["tool_calls"] = [{"id": c["id"], "type": "function",
                                        "function": {"name": c["name"], "arguments": c["args"]}}
                                       for c in m.tool_calls]
            out.append(entry)
        elif isinstance(m, ToolMessage):
            out.append({"role": "tool", "content": text, "name": m.name or "", "tool_call_id": m.tool_call_id})
    return out


def parse_tool_calls(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Split a model's reply into its prose and its tool calls (``{"name", "args", "id", "type"}``).

    Calls that do not parse as JSON with a name stay in the prose, so nothing the model said is lost.
    """
    calls: list[dict[str, Any]] = []
    if "<tool_call>" in text:
        prose = text[: text.index("<tool_call>")]
        for body in _HERMES.findall(text):
            calls += _as_calls(body)
        return (prose.strip(), calls) if calls else (text.strip(), [])
    for marker in ("[TOOL_CALLS]", "<|python_tag|>"):
        if marker in text:
            prose, _, body = text.partition(marker)
            calls = _as_calls(body)
            return (prose.strip(), calls) if calls else (text.strip(), [])
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        calls = _as_calls(stripped)
        if calls:
            return "", calls
    return stripped, []


def _as_calls(body: str) -> list[dict[str, Any]]:
    body = body.strip()
    try:
        value = json.JSONDecoder().raw_decode(body)[0]
    except (json.JSONDecodeError, ValueError):
        return []
    items = value if isinstance(value, list) else [value]
    calls = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            return []
        args = item.get("arguments", item.get("parameters", {}))
        if isinstance(args, str):
            try:
                args = json.loads(args)
            except json.JSONDecodeError:
                return []
        if not isinstance(args, dict):
            return []
        calls.append({"name": item["name"], "args": args, "id": f"call_{uuid.uuid4().hex[:12]}",
                      "type": "tool_call"})
    return calls


def _held_back(text: str) -> int:
    """How many characters at the end of ``text`` might start a tool-call marker (keep them unshown)."""
    for size in range(min(len(text), max(len(m) for m in MARKERS)), 0, -1):
        if any(m.startswith(text[-size:]) for m in MARKERS):
            return size
    return 0


class LocalChatModel(BaseChatModel):
    """A Hugging Face chat model run with transformers in this process (a GPU when there is one)."""

    model_id: str
    max_new_tokens: int = 512
    temperature: float = 0.0

    _model: Any = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "tunewise-local-transformers"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_id, "temperature": self.temperature}

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any) -> Any:
        """Bind tools (LangChain tools, pydantic models or OpenAI tool dicts)."""
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def load(self) -> tuple[Any, Any]:
        """Load (once) and return ``(model, tokenizer)``; no remote code is ever run."""
        with self._lock:
            if self._model is None:
                import torch
                from transformers import AutoModelForCausalLM, AutoTokenizer

                from finetune.train.model import resolve_model_source

                source, _ = resolve_model_source(self.model_id)
                cuda = torch.cuda.is_available()
                self._tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=False)
                self._model = AutoModelForCausalLM.from_pretrained(
                    source, dtype=torch.bfloat16 if cuda else torch.float32, device_map="auto" if cuda else None,
                    trust_remote_code=False).eval()
            return self._model, self._tokenizer

    def render(self, messages: Sequence[BaseMessage], tools: list[dict[str, Any]] | None) -> str:
        """The prompt text the model sees: its chat template over the messages and the tools."""
        _, tok = self.load()
        conv = to_template_messages(messages)
        prompt = tok.apply_chat_template(conv, tools=tools or None, add_generation_prompt=True, tokenize=False)
        if tools and not all(t["function"]["name"] in prompt for t in tools):
            # The template ignores tools: describe them in a system message instead.
            schema = "\n".join(json.dumps(t, ensure_ascii=False) for t in tools)
            system = TOOLS_SYSTEM.format(tools=schema)
            if conv and conv[0]["role"] == "system":
                conv = [{"role": "system", "content": conv[0]["content"] + "\n\n" + system}, *conv[1:]]
            else:
                conv = [{"role": "system", "content": system}, *conv]
            prompt = tok.apply_chat_template(conv, add_generation_prompt=True, tokenize=False)
        return str(prompt)

    def _generate_kwargs(self, prompt: str, stop: list[str] | None) -> dict[str, Any]:
        model, tok = self.load()
        inputs = tok(prompt, return_tensors="pt", add_special_tokens=False).to(model.device)
        kwargs: dict[str, Any] = {**inputs, "max_new_tokens": self.max_new_tokens,
                                  "do_sample": self.temperature > 0, "pad_token_id": tok.pad_token_id or tok.eos_token_id}
        if self.temperature > 0:
            kwargs["temperature"] = self.temperature
        if stop:
            kwargs.update(stop_strings=stop, tokenizer=tok)
        return kwargs

    def _clean(self, text: str) -> str:
        _, tok = self.load()
        for special in tok.all_special_tokens:
            if special not in MARKERS:
                text = text.replace(special, "")
        return text

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        import torch

        model, tok = self.load()
        gen = self._generate_kwargs(self.render(messages, kwargs.get("tools")), stop)
        with torch.inference_mode():
            out = model.generate(**gen)
        text = self._clean(tok.decode(out[0, gen["input_ids"].shape[1]:], skip_special_tokens=False))
        prose, calls = parse_tool_calls(text) if kwargs.get("tools") else (text.strip(), [])
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=prose, tool_calls=calls))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        import torch
        from transformers import TextIteratorStreamer

        model, tok = self.load()
        tools = kwargs.get("tools")
        gen = self._generate_kwargs(self.render(messages, tools), stop)
        streamer = TextIteratorStreamer(tok, skip_prompt=True, skip_special_tokens=False, timeout=600)

        def work() -> None:
            with torch.inference_mode():
                model.generate(**gen, streamer=streamer)

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        text, shown, calling = "", 0, False
        for piece in streamer:
            text += self._clean(piece)
            if tools and not calling:
                calling = any(m in text for m in MARKERS) or text.lstrip().startswith(("{", "["))
            if calling:
                continue
            upto = len(text) - (_held_back(text) if tools else 0)
            if upto > shown:
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=text[shown:upto]))
                if run_manager:
                    run_manager.on_llm_new_token(text[shown:upto], chunk=chunk)
                yield chunk
                shown = upto
        thread.join()
        prose, calls = parse_tool_calls(text) if tools else (text, [])
        rest = prose[shown:] if prose.startswith(text[:shown]) else ""
        if rest or calls:
            yield ChatGenerationChunk(message=AIMessageChunk(content=rest, tool_call_chunks=[
                {"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": i + 1}
                for i, c in enumerate(calls)]))
