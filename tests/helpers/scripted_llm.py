"""A scripted OpenAI-compatible chat server on loopback, for testing the agent loop over the real wire.

Each request to ``/v1/chat/completions`` (or Azure's ``/openai/deployments/<d>/chat/completions``) takes the
next scripted reply: text, or tool calls. Requests are recorded (path, query, headers, body) so tests can
check what the client sent: the tools, the tool results, the key. Both plain and streamed (SSE) answers.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request  # module level: FastAPI resolves the handler's annotations here
from fastapi.responses import JSONResponse, StreamingResponse

Reply = str | list[tuple[str, dict[str, Any]]]  # text, or [(tool name, args), ...]


class ScriptedLLM:
    """The server's state: the replies still to give and the requests seen."""

    def __init__(self, replies: list[Reply]) -> None:
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []

    def next_reply(self) -> Reply:
        return self.replies.pop(0) if self.replies else "(script exhausted)"


def _message(reply: Reply, n: int) -> dict[str, Any]:
    if isinstance(reply, str):
        return {"role": "assistant", "content": reply}
    return {"role": "assistant", "content": None, "tool_calls": [
        {"id": f"call_{n}_{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
        for i, (name, args) in enumerate(reply)]}


def _chunks(reply: Reply, n: int, model: str) -> Iterator[str]:
    base = {"id": f"chatcmpl-{n}", "object": "chat.completion.chunk", "created": int(time.time()), "model": model}

    def event(delta: dict[str, Any], finish: str | None = None) -> str:
        return "data: " + json.dumps({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}) + "\n\n"

    yield event({"role": "assistant", "content": ""})
    if isinstance(reply, str):
        for word in reply.split(" "):
            yield event({"content": word + " "})
        yield event({}, "stop")
    else:
        for i, (name, args) in enumerate(reply):
            yield event({"tool_calls": [{"index": i, "id": f"call_{n}_{i}", "type": "function",
                                         "function": {"name": name, "arguments": ""}}]})
            yield event({"tool_calls": [{"index": i, "function": {"arguments": json.dumps(args)}}]})
        yield event({}, "tool_calls")
    yield "data: [DONE]\n\n"


def make_app(state: ScriptedLLM) -> Any:
    """The FastAPI app answering every POST with the next scripted reply."""
    app = FastAPI()

    @app.post("/{path:path}")
    async def complete(path: str, request: Request) -> Any:
        body = await request.json()
        state.requests.append({"path": "/" + path, "query": dict(request.query_params),
                               "headers": dict(request.headers), "body": body})
        n = len(state.requests)
        reply = state.next_reply()
        model = body.get("model", "scripted")
        if body.get("stream"):
            return StreamingResponse(_chunks(reply, n, model), media_type="text/event-stream")
        finish = "stop" if isinstance(reply, str) else "tool_calls"
        return JSONResponse({"id": f"chatcmpl-{n}", "object": "chat.completion", "created": int(time.time()),
                             "model": model, "choices": [{"index": 0, "message": _message(reply, n),
                                                          "finish_reason": finish}],
                             "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

    return app


@contextmanager
def scripted_server(replies: list[Reply]) -> Iterator[tuple[str, ScriptedLLM]]:
    """Serve a script on a free loopback port; yields ``(http://127.0.0.1:PORT, state)``."""
    import uvicorn

    state = ScriptedLLM(replies)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(make_app(state), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the scripted LLM server did not start"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", state
    finally:
        server.should_exit = True
        thread.join(timeout=10)
