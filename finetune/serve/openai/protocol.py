"""The OpenAI wire format for ``finetune.serve.openai.app``: validated requests, error objects, responses and
server-sent-event chunks (``chat.completion.chunk`` / ``text_completion``, ending with ``data: [DONE]``).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from catalog.errors import TunewiseError

log = logging.getLogger(__name__)

MAX_TOKENS_LIMIT = 4096
"""The most tokens one request may ask to generate."""


class APIError(Exception):
    """An error answered to the client as an OpenAI error object."""

    def __init__(self, status: int, message: str, *, type_: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = status, message, type_, code, param

    def body(self) -> dict[str, Any]:
        """The JSON body OpenAI clients parse."""
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


# -- requests ----------------------------------------------------------------------------------------
class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore")  # clients send fields we do not use (logprobs, user, ...)


class StreamOptions(_Request):
    """``stream_options``: ask for a final chunk with token usage."""

    include_usage: bool = False


class ChatMessage(_Request):
    """One message; ``content`` may be a string or a list of ``{"type": "text", "text": ...}`` parts."""

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        """The message's text (text parts joined)."""
        if isinstance(self.content, list):
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class SamplingRequest(_Request):
    """What chat and text completion requests share: the model, length, sampling, streaming, stops."""

    model: str = Field(min_length=1, description="<job>-base or <job>-tuned (see GET /v1/models).")
    max_tokens: int | None = Field(None, ge=1, le=MAX_TOKENS_LIMIT, description="Generated tokens at most.")
    temperature: float | None = Field(None, ge=0.0, le=2.0, description="0 or absent = greedy.")
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    n: int = Field(1, ge=1, le=1, description="Only one choice per prompt.")
    stream: bool = False
    stream_options: StreamOptions | None = None
    stop: str | list[str] | None = None

    def stops(self) -> list[str]:
        """The stop strings as a list."""
        return [self.stop] if isinstance(self.stop, str) else [s for s in self.stop or [] if s]


class ChatCompletionRequest(SamplingRequest):
    """``POST /v1/chat/completions``."""

    messages: list[ChatMessage] = Field(min_length=1)
    max_completion_tokens: int | None = Field(None, ge=1, le=MAX_TOKENS_LIMIT)


class CompletionRequest(SamplingRequest):
    """``POST /v1/completions`` (a list of prompts is answered in one mixed batch, one choice each)."""

    prompt: str | list[str] = Field(min_length=1)
    max_tokens: int | None = Field(16, ge=1, le=MAX_TOKENS_LIMIT)  # OpenAI's default for completions


# -- responses ---------------------------------------------------------------------------------------
def apply_stops(text: str, finish: str, stops: list[str]) -> tuple[str, str]:
    """Cut ``text`` before the first stop string; the finish reason becomes ``stop`` when one was found."""
    cut = min((i for i in (text.find(s) for s in stops) if i >= 0), default=-1)
    return (text[:cut], "stop") if cut >= 0 else (text, finish)


class StopFilter:
    """Streams text up to the first stop string, holding back what could be the start of one."""

    def __init__(self, stops: list[str]) -> None:
        self.stops, self.buffer, self.hit = stops, "", False
        self.hold = max((len(s) for s in stops), default=1) - 1

    def feed(self, chunk: str) -> str:
        """Take the next chunk; return the text that is safe to send now (``hit`` is set at a stop string)."""
        if self.hit:
            return ""
        if not self.stops:
            return chunk
        self.buffer += chunk
        cut = apply_stops(self.buffer, "", self.stops)[0]
        if len(cut) < len(self.buffer):
            self.hit, self.buffer = True, ""
            return cut
        keep = min(self.hold, len(self.buffer))
        out, self.buffer = self.buffer[:len(self.buffer) - keep], self.buffer[len(self.buffer) - keep:]
        return out

    def flush(self) -> str:
        """The text held back, once the answer has ended without a stop string."""
        out, self.buffer = self.buffer, ""
        return out


def choice(index: int, text: str, finish: str, chat: bool) -> dict[str, Any]:
    """One choice of a (chat) completion."""
    if chat:
        return {"index": index, "message": {"role": "assistant", "content": text}, "finish_reason": finish,
                "logprobs": None}
    return {"index": index, "text": text, "finish_reason": finish, "logprobs": None}


def envelope(model: str, chat: bool, choices: list[dict[str, Any]], usage: dict[str, int]) -> dict[str, Any]:
    """A complete ``chat.completion`` / ``text_completion`` response."""
    return {"id": new_id(chat), "object": "chat.completion" if chat else "text_completion",
            "created": int(time.time()), "model": model, "choices": choices,
            "usage": {**usage, "total_tokens": usage["prompt_tokens"] + usage["completion_tokens"]}}


def new_id(chat: bool) -> str:
    """A fresh response id in OpenAI's style."""
    return ("chatcmpl-" if chat else "cmpl-") + uuid.uuid4().hex[:24]


class Chunks:
    """Server-sent events of one streamed answer in OpenAI's chunk format."""

    def __init__(self, model: str, chat: bool) -> None:
        self.model, self.chat, self.id, self.created = model, chat, new_id(chat), int(time.time())

    def event(self, text: str | None, finish: str | None = None, *, role: bool = False) -> str:
        """One chunk: the assistant role (chat's first), a piece of text, or the finish reason."""
        if self.chat:
            delta: dict[str, Any] = {"role": "assistant", "content": ""} if role else \
                ({} if text is None else {"content": text})
            item: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        else:
            item = {"index": 0, "text": text or "", "finish_reason": finish, "logprobs": None}
        return self.data({"choices": [item]})

    def data(self, body: dict[str, Any]) -> str:
        """A ``data:`` line with the chunk's id, object, time and model around ``body``."""
        payload = {"id": self.id, "object": "chat.completion.chunk" if self.chat else "text_completion",
                   "created": self.created, "model": self.model, **body}
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    def usage(self, prompt_tokens: int, completion_tokens: int) -> str:
        """The final usage chunk (``stream_options.include_usage``): no choices, token counts."""
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                 "total_tokens": prompt_tokens + completion_tokens}
        return self.data({"choices": [], "usage": usage})


def sse_generation(stream: Any, req: SamplingRequest, chat: bool) -> Iterator[str]:
    """Events of a streamed generation (a ``finetune.serve.outputs.TextStream``), honouring stop strings; a failure
    after the response has started is reported in-band as an error event."""
    chunks, stops = Chunks(req.model, chat), StopFilter(req.stops())
    if chat:
        yield chunks.event(None, role=True)
    try:
        for piece in stream:
            text = stops.feed(piece)
            if text:
                yield chunks.event(text)
            if stops.hit:
                stream.close()
                stream.wait()  # the counts are final once the worker has stopped
                break
        rest = "" if stops.hit else stops.flush()
        if rest:
            yield chunks.event(rest)
        yield chunks.event(None, "stop" if stops.hit else stream.finish_reason)
        if req.stream_options and req.stream_options.include_usage:
            yield chunks.usage(stream.prompt_tokens, stream.completion_tokens)
    except Exception as exc:  # noqa: BLE001 - the status line is sent already: report in-band, log the trace
        log.exception("streamed answer failed")
        message = str(exc) if isinstance(exc, TunewiseError) else "Generation failed (see the server log)."
        failure = APIError(500, message, type_="server_error")
        yield f"data: {json.dumps(failure.body())}\n\n"
    finally:
        stream.close()
    yield "data: [DONE]\n\n"


def sse_static(content: str, req: SamplingRequest, chat: bool, usage: dict[str, int]) -> Iterator[str]:
    """Events of an answer known at once (a label, entities, an answer span): one content chunk."""
    chunks = Chunks(req.model, chat)
    if chat:
        yield chunks.event(None, role=True)
    yield chunks.event(content)
    yield chunks.event(None, "stop")
    if req.stream_options and req.stream_options.include_usage:
        yield chunks.usage(usage["prompt_tokens"], usage["completion_tokens"])
    yield "data: [DONE]\n\n"
