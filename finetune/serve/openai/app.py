"""An OpenAI-compatible endpoint for one job: any OpenAI client or LangChain can talk to base and tuned.

    tunewise serve JOB [--host 127.0.0.1] [--port 8000]     # runs create_app(job_dir) with uvicorn
    tunewise serve JOB --print-vllm                          # the vLLM multi-LoRA command instead

Routes: ``GET /v1/models`` (ids ``<job>-base`` and ``<job>-tuned``; the bare ``<job>`` also means tuned),
``GET /v1/models/{id}``, ``POST /v1/chat/completions``, ``POST /v1/completions`` (both with
``stream: true`` as server-sent events of ``chat.completion.chunk`` / ``text_completion`` objects,
ending with ``data: [DONE]``) and ``GET /health``. Both sides come from one model in memory
(``finetune.serve.pair.ModelPair``): ``model`` picks the adapter on or off per request.

What a request means per job:

- chat / summarization / translation on a decoder-only model: chat requests go through the model's chat
  template as sent (send the prompt the model was tuned on); completions take the prompt as raw text.
- summarization / translation on an encoder-decoder model: the last user message is the document or
  sentence, with the job's task prefix (``summarize: ``); a completion prompt is used as it is.
- classification, NER and QA jobs do not generate: the answer's text is the task output — the label, the
  entities as a JSON list, or the answer span. For QA the context is the system message and the question
  the last user message (completions: 400). NER and QA have no base model (untrained head): asking
  ``<job>-base`` is a 400 that says so.

Greedy decoding unless ``temperature`` > 0 (the comparison should be reproducible); ``n`` must be 1;
``stop`` strings are honoured; ``seed``, ``logprobs`` and other fields are accepted and ignored. Errors come
back as OpenAI error objects (``{"error": {"message", "type", "param", "code"}}``), never tracebacks. The
wire format (request models, responses, SSE chunks) lives in ``finetune.serve.openai.protocol``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from catalog.errors import TunewiseError
from finetune.serve.openai.protocol import (
    APIError,
    ChatCompletionRequest,
    ChatMessage,
    CompletionRequest,
    SamplingRequest,
    apply_stops,
    choice,
    envelope,
    sse_generation,
    sse_static,
)

log = logging.getLogger(__name__)

VLLM_LORA_RANKS = (8, 16, 32, 64, 128, 256, 320, 512)
"""The LoRA ranks vLLM accepts for ``--max-lora-rank``."""


# -- the app -----------------------------------------------------------------------------------------
def model_ids(job_dir: Path) -> dict[str, Literal["base", "tuned"]]:
    """Model ids the endpoint answers to: ``<job>-base``, ``<job>-tuned`` and ``<job>`` (tuned)."""
    name = job_dir.name
    return {f"{name}-base": "base", f"{name}-tuned": "tuned", name: "tuned"}


def create_app(job_dir: Path, *, api_key: str | None = None) -> Any:
    """Build the FastAPI app serving one job (its model is loaded now, once).

    Args:
        job_dir: The job folder.
        api_key: When set, requests must send ``Authorization: Bearer <api_key>``.

    Raises:
        ModelError: When the job's model cannot be loaded.
    """
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from finetune.serve.pair import model_pair

    pair = model_pair(job_dir)
    ids = model_ids(job_dir)
    created = int((job_dir / "adapter" / "adapter_config.json").stat().st_mtime)
    app = FastAPI(title=f"tunewise: {job_dir.name}", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.pair = pair

    def error(exc: APIError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(APIError)
    async def _api_error(request: Request, exc: APIError) -> JSONResponse:
        return error(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        def where(loc: Any) -> str:
            return ".".join(str(part) for part in loc if part != "body")

        problems = [f"{where(e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()]
        first = where(exc.errors()[0]["loc"]) if exc.errors() else ""
        return error(APIError(400, "Invalid request: " + "; ".join(problems[:5]), param=first or None))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = "not_found" if exc.status_code == 404 else None
        return error(APIError(exc.status_code, str(exc.detail), code=code))

    @app.exception_handler(TunewiseError)
    async def _user_error(request: Request, exc: TunewiseError) -> JSONResponse:
        return error(APIError(400, str(exc)))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("request failed")
        return error(APIError(500, "The server could not answer this request (see the server log).",
                              type_="server_error"))

    if api_key:
        @app.middleware("http")
        async def _auth(request: Request, call_next: Any) -> Any:
            if request.url.path.startswith("/v1/") and \
                    request.headers.get("authorization", "") != f"Bearer {api_key}":
                return error(APIError(401, "Invalid or missing API key.", type_="authentication_error",
                                      code="invalid_api_key"))
            return await call_next(request)

    def side_of(model: str) -> Literal["base", "tuned"]:
        if model not in ids:
            raise APIError(404, f"The model '{model}' does not exist. This server has: "
                           f"{', '.join(list(ids)[:2])}.", code="model_not_found", param="model")
        return ids[model]

    def card(model_id: str) -> dict[str, Any]:
        return {"id": model_id, "object": "model", "created": created, "owned_by": "tunewise"}

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "job": job_dir.name, "task": pair.task, "generative": pair.generative}

    @app.get("/v1/models")
    def list_models() -> dict[str, Any]:
        return {"object": "list", "data": [card(m) for m in list(ids)[:2]]}

    @app.get("/v1/models/{model_id}")
    def get_model(model_id: str) -> dict[str, Any]:
        side_of(model_id)
        return card(model_id)

    @app.post("/v1/chat/completions", response_model=None)
    def chat_completions(req: ChatCompletionRequest) -> Any:
        side = side_of(req.model)
        max_tokens = req.max_completion_tokens or req.max_tokens
        if pair.generative:
            text = _chat_prompt(pair, req.messages)
            return _answer(pair, req, [text], side, max_tokens, chat=True)
        content = _task_answer(pair, side, req.messages, None)
        return _static_answer(pair, req, content, chat=True, prompt=req.messages[-1].text())

    @app.post("/v1/completions", response_model=None)
    def completions(req: CompletionRequest) -> Any:
        side = side_of(req.model)
        prompts = [req.prompt] if isinstance(req.prompt, str) else list(req.prompt)
        if req.stream and len(prompts) > 1:
            raise APIError(400, "Streaming answers one prompt at a time; send a single prompt.",
                           param="prompt")
        if pair.generative:
            return _answer(pair, req, prompts, side, req.max_tokens, chat=False)
        if len(prompts) > 1:
            raise APIError(400, "This job answers one prompt per request.", param="prompt")
        content = _task_answer(pair, side, None, prompts[0])
        return _static_answer(pair, req, content, chat=False, prompt=prompts[0])

    return app


# -- answers -----------------------------------------------------------------------------------------
def _answer(pair: Any, req: SamplingRequest, prompts: list[str], side: Literal["base", "tuned"],
            max_tokens: int | None, *, chat: bool) -> Any:
    """Generate (one mixed batch for several prompts) or stream, as the request asks."""
    sampling = {"max_new_tokens": max_tokens, "temperature": req.temperature, "top_p": req.top_p}
    if req.stream:
        stream = pair.stream(prompts[0], side, raw=True, **sampling)
        return _event_stream(sse_generation(stream, req, chat))
    gens = pair.generate(prompts, [side] * len(prompts), **sampling)
    choices, usage = [], {"prompt_tokens": 0, "completion_tokens": 0}
    for i, gen in enumerate(gens):
        text, finish = apply_stops(gen.text, gen.finish_reason, req.stops())
        choices.append(choice(i, text, finish, chat))
        usage["prompt_tokens"] += gen.prompt_tokens
        usage["completion_tokens"] += gen.completion_tokens
    return envelope(req.model, chat, choices, usage)


def _static_answer(pair: Any, req: SamplingRequest, content: str, *, chat: bool, prompt: str) -> Any:
    """A non-generative job's output as a completion (or a stream of one chunk)."""
    usage = {"prompt_tokens": _count_tokens(pair, prompt), "completion_tokens": _count_tokens(pair, content)}
    if req.stream:
        return _event_stream(sse_static(content, req, chat, usage))
    return envelope(req.model, chat, [choice(0, content, "stop", chat)], usage)


def _event_stream(events: Iterator[str]) -> Any:
    from fastapi.responses import StreamingResponse

    return StreamingResponse(events, media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _chat_prompt(pair: Any, messages: list[ChatMessage]) -> str:
    """The text a generative job's model sees for a chat request."""
    if messages[-1].role not in ("user", "tool"):
        raise APIError(400, "The last message must be the user's: the model answers it.", param="messages")
    roles = {"developer": "system"}
    turns = [{"role": roles.get(m.role, m.role), "content": m.text()} for m in messages]
    return str(pair.conversation_prompt(turns))


def _task_answer(pair: Any, side: Literal["base", "tuned"], messages: list[ChatMessage] | None,
                 prompt: str | None) -> str:
    """The text answer of a classification, NER or QA job (label, entities as JSON, answer span)."""
    if side == "base" and pair.base_note:
        raise APIError(400, f"{pair.base_note} Ask for '{pair.job_dir.name}-tuned'.", param="model")
    if pair.recipe.context_in_system:
        context = "\n".join(m.text() for m in messages or [] if m.role in ("system", "developer")).strip()
        if messages is None or not context:
            raise APIError(400, "A question-answering job needs the context as the system message and the "
                           "question as the user message (chat completions).", param="messages")
        item: Any = {"question": messages[-1].text(), "context": context}
    else:
        item = prompt if prompt is not None else (messages or [])[-1].text()
        if not str(item).strip():
            raise APIError(400, "The input text is empty.", param="messages" if messages else "prompt")
    return str(pair.recipe.answer_text(pair.predict([item], which=side)[0][side]))


def _count_tokens(pair: Any, text: str) -> int:
    return len(pair.tokenizer(text, add_special_tokens=False)["input_ids"]) if text else 0


# -- running -----------------------------------------------------------------------------------------
def run_server(job_dir: Path, host: str = "127.0.0.1", port: int = 8000, *, api_key: str | None = None,
               log_level: str = "info") -> None:
    """Load the job's model and serve it with uvicorn until interrupted.

    Raises:
        ModelError: When the job's model cannot be loaded.
    """
    import uvicorn

    if host not in ("127.0.0.1", "localhost", "::1") and not api_key:
        log.warning("Serving on %s without an API key: anyone who can reach this port can use the model.",
                    host)
    uvicorn.run(create_app(job_dir, api_key=api_key), host=host, port=port, log_level=log_level)


def vllm_command(job_dir: Path) -> str:
    """The ``vllm serve`` command that serves this job's adapter with vLLM's multi-LoRA engine.

    The base is served as ``<job>-base`` and the adapter as ``<job>-tuned``: the same model ids as
    ``tunewise serve``, so clients switch servers without changes. More jobs on the same base can be
    added as further ``--lora-modules name=path`` entries.

    Raises:
        ModelError: When the job is not a generative decoder-only model (vLLM's LoRA serving needs one).
    """
    import shlex

    from catalog.errors import ModelError
    from finetune.config.run import RunConfig
    from finetune.tasks.registry import RECIPES
    from finetune.train.model import model_kind, resolve_model_source

    cfg = RunConfig.from_yaml(job_dir / "config.yaml")
    source, entry = resolve_model_source(cfg.model.name)
    kind = model_kind(cfg.task, source, revision=cfg.model.revision,
                      trust_remote_code=cfg.model.trust_remote_code)
    if not RECIPES[kind].decoder_only:
        raise ModelError(f"vLLM serves LoRA adapters of decoder-only generative models; this {cfg.task} "
                         f"job is a {kind} model. Use `tunewise serve {job_dir.name}` instead.")
    adapter = job_dir / "adapter"
    rank = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8")).get("r", cfg.lora.r)
    max_rank = next((r for r in VLLM_LORA_RANKS if r >= rank), rank)
    name = job_dir.name
    base = entry.id if entry is not None else source
    parts = ["vllm", "serve", base, "--served-model-name", f"{name}-base", "--enable-lora",
             "--lora-modules", f"{name}-tuned={adapter.resolve()}", "--max-lora-rank", str(max_rank)]
    if cfg.model.revision:
        parts += ["--revision", cfg.model.revision]
    if cfg.model.trust_remote_code:
        parts.append("--trust-remote-code")
    return " ".join(shlex.quote(p) for p in parts)
