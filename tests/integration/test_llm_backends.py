"""The LLM backends over real wires: the OpenAI-compatible and Azure clients against a scripted server on
loopback (the whole agent loop: tools offered, called, results sent back), the settings that choose a
backend, and the local transformers backend on a tiny model (prompt rendering, tool-call parsing)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from assistant.agent import Assistant
from assistant.llm import describe_backend, make_chat_model
from assistant.local_llm import LocalChatModel, _held_back, parse_tool_calls, to_template_messages
from assistant.session import Services
from assistant.settings import Settings
from catalog.errors import ConfigError
from finetune.jobs.runner import JobRunner
from tests.helpers.scripted_llm import scripted_server
from tests.helpers.tiny_models import tiny_llama

SECRET = "sk-proj-" + "T3st" * 10
TASK = "Route support tickets to billing, refund and delivery; we have 700 labelled tickets."
TOOLS = {"assess_task", "search_catalog", "inspect_dataset", "estimate_resources", "start_finetune", "job_status",
         "cancel_job", "evaluate", "compare"}


@pytest.fixture
def services(runner: JobRunner) -> Services:
    return Services(runner=runner, single_user=True)


def test_openai_backend_runs_the_agent_loop_over_http(services: Services, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    script = [[("assess_task", {"description": TASK})], "Fine-tune: you have enough labelled tickets."]
    with scripted_server(script) as (url, llm):
        settings = Settings(llm_backend="openai", llm_base_url=f"{url}/v1", llm_model="scripted", llm_api_key=SECRET)
        assistant = Assistant(services, settings=settings)
        session = services.session()
        messages = assistant.chat(session, TASK)

    first, second = llm.requests
    assert first["path"] == second["path"] == "/v1/chat/completions"
    assert first["headers"]["authorization"] == f"Bearer {SECRET}"
    assert {t["function"]["name"] for t in first["body"]["tools"]} == TOOLS
    start = next(t for t in first["body"]["tools"] if t["function"]["name"] == "start_finetune")
    assert {"model_id", "dataset", "task"} <= set(start["function"]["parameters"]["properties"])
    assert first["body"]["messages"][0]["role"] == "system" and "tunewise" in first["body"]["messages"][0]["content"]

    # The tool really ran, and its result went back to the model in the second request.
    results = [m for m in messages if isinstance(m, ToolMessage)]
    assert [m.name for m in results] == ["assess_task"] and results[0].artifact["decision"] == "fine-tune"
    sent_back = [m for m in second["body"]["messages"] if m["role"] == "tool"]
    assert len(sent_back) == 1 and "Recommendation" in sent_back[0]["content"]
    assert isinstance(messages[-1], AIMessage) and "enough labelled tickets" in str(messages[-1].content)

    assert SECRET not in caplog.text
    assert SECRET not in json.dumps([m.model_dump() for m in messages], default=str)


def test_openai_backend_streams_tokens_to_the_page(services: Services) -> None:
    with scripted_server(["Hello there, I can help you decide whether to fine-tune."]) as (url, llm):
        settings = Settings(llm_backend="openai", llm_base_url=f"{url}/v1", llm_model="scripted", llm_api_key="k")
        events = list(Assistant(services, settings=settings).events(services.session(), "hi"))
    tokens = [item for kind, item in events if kind == "token"]
    assert llm.requests[0]["body"]["stream"] is True
    assert len(tokens) > 3 and "".join(tokens).strip() == "Hello there, I can help you decide whether to fine-tune."


def test_azure_backend_uses_deployment_paths_and_the_api_key_header(services: Services) -> None:
    with scripted_server(["pong"]) as (url, llm):
        settings = Settings(llm_backend="azure", llm_base_url=url, llm_model="gpt4o-tickets", llm_api_key=SECRET,
                            llm_api_version="2024-10-21")
        reply = make_chat_model(settings).invoke([HumanMessage("ping")])
    assert str(reply.content) == "pong"
    seen = llm.requests[0]
    assert seen["path"] == "/openai/deployments/gpt4o-tickets/chat/completions"
    assert seen["query"]["api-version"] == "2024-10-21" and seen["headers"]["api-key"] == SECRET
    assert "Azure OpenAI" in describe_backend(settings) and SECRET not in describe_backend(settings)


@pytest.mark.parametrize(("env", "backend", "model"), [
    ({}, "guide", "gpt-4o-mini"),
    ({"OPENAI_API_KEY": SECRET}, "openai", "gpt-4o-mini"),
    ({"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1", "TUNEWISE_LLM_MODEL": "llama3.1"}, "openai", "llama3.1"),
    ({"AZURE_OPENAI_ENDPOINT": "https://r.openai.azure.com", "AZURE_OPENAI_API_KEY": SECRET,
      "TUNEWISE_LLM_MODEL": "dep"}, "azure", "dep"),
    ({"TUNEWISE_LLM": "local"}, "local", "Qwen/Qwen2.5-1.5B-Instruct"),
    ({"TUNEWISE_LLM": "GUIDE", "OPENAI_API_KEY": SECRET}, "guide", "gpt-4o-mini"),
])
def test_settings_choose_the_backend_from_the_environment(env: dict[str, str], backend: str, model: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "TUNEWISE_LLM_MODEL", "SPACE_ID"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings.from_env()
    assert (settings.llm_backend, settings.llm_model) == (backend, model)
    assert SECRET not in repr(settings)


@pytest.mark.parametrize(("settings", "message"), [
    (Settings(llm_backend="gpt"), "not a backend"),
    (Settings(llm_backend="openai", llm_base_url="localhost:8000"), r"not an http\(s\) URL"),
    (Settings(llm_backend="azure"), "AZURE_OPENAI_ENDPOINT"),
    (Settings(llm_backend="azure", llm_base_url="https://r.openai.azure.com"), "AZURE_OPENAI_API_KEY"),
])
def test_bad_backend_settings_are_clear_errors(settings: Settings, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_chat_model(settings)


# -- local transformers backend -----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "prose", "calls"), [
    ('Let me check.<tool_call>\n{"name": "job_status", "arguments": {"job_id": "a1"}}\n</tool_call>',
     "Let me check.", [("job_status", {"job_id": "a1"})]),
    ('<tool_call>{"name": "a", "arguments": {}}</tool_call>\n<tool_call>{"name": "b", "arguments": "{\\"x\\": 2}"}'
     '</tool_call>', "", [("a", {}), ("b", {"x": 2})]),
    ('[TOOL_CALLS] [{"name": "compare", "arguments": {"limit": 3}}]', "", [("compare", {"limit": 3})]),
    ('<|python_tag|>{"name": "search_catalog", "parameters": {"task": "translation"}}', "",
     [("search_catalog", {"task": "translation"})]),
    ('{"name": "assess_task", "parameters": {"description": "route tickets"}}', "",
     [("assess_task", {"description": "route tickets"})]),
    ("Plain advice, no call.", "Plain advice, no call.", []),
    ('{"not": "a call"}', '{"not": "a call"}', []),
    ("<tool_call>{broken json</tool_call>", "<tool_call>{broken json</tool_call>", []),
])
def test_tool_calls_are_parsed_in_the_formats_open_models_use(text: str, prose: str,
                                                              calls: list[tuple[str, dict]]) -> None:
    got_prose, got = parse_tool_calls(text)
    assert got_prose == prose
    assert [(c["name"], c["args"]) for c in got] == calls


def test_partial_markers_are_held_back_while_streaming() -> None:
    assert _held_back("Sure <tool_") == len("<tool_")
    assert _held_back("Sure [TOOL") == len("[TOOL")
    assert _held_back("Sure thing.") == 0


TOOL_TEMPLATE = (
    "{% if tools %}<|im_start|>system\nTools:{% for t in tools %} {{ t.function.name }}{% endfor %}<|im_end|>\n{% endif %}"
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{% if m.tool_calls %}{% for c in m.tool_calls %}<tool_call>"
    "{{ c.function | tojson }}</tool_call>{% endfor %}{% else %}{{ m.content }}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


@pytest.fixture
def tiny_chat(workspace: Path) -> Path:
    return tiny_llama(workspace / "models" / "chat")


def test_local_backend_renders_tools_with_the_models_template_or_a_system_message(tiny_chat: Path) -> None:
    from langchain_core.utils.function_calling import convert_to_openai_tool
    from transformers import AutoTokenizer

    from assistant.tools.schemas import JobArgs

    tool = convert_to_openai_tool(JobArgs)
    tool["function"]["name"] = "job_status"
    history = [HumanMessage("status?"),
               AIMessage("", tool_calls=[{"name": "job_status", "args": {"job_id": "a1"}, "id": "c1", "type": "tool_call"}]),
               ToolMessage("running, step 3", tool_call_id="c1", name="job_status")]
    assert to_template_messages(history)[1]["tool_calls"][0]["function"] == {"name": "job_status",
                                                                            "arguments": {"job_id": "a1"}}
    model = LocalChatModel(model_id="models/chat")
    fallback = model.render(history, [tool])  # ChatML ignores tools: they go into a system message
    assert fallback.startswith("<|im_start|>system\nYou may call functions") and '"job_status"' in fallback
    assert "running, step 3" in fallback

    tok = AutoTokenizer.from_pretrained(tiny_chat)
    tok.chat_template = TOOL_TEMPLATE
    tok.save_pretrained(tiny_chat)
    native = LocalChatModel(model_id="models/chat").render(history, [tool])
    assert native.startswith("<|im_start|>system\nTools: job_status") and "You may call functions" not in native
    assert '<tool_call>{"name": "job_status", "arguments": {"job_id": "a1"}}</tool_call>' in native


def test_local_backend_generates_and_streams_with_a_tiny_model(tiny_chat: Path, services: Services) -> None:
    settings = Settings(llm_backend="local", llm_model="models/chat")
    model = make_chat_model(settings)
    assert isinstance(model, LocalChatModel) and "local transformers" in describe_backend(settings)
    model.max_new_tokens = 8
    whole = model.invoke([HumanMessage("Where is my parcel?")])
    streamed = "".join(str(c.content) for c in model.stream([HumanMessage("Where is my parcel?")]))
    assert isinstance(whole, AIMessage) and streamed.strip() == str(whole.content)
    # The whole agent loop runs on it (a random model's words mean nothing, but nothing breaks).
    assistant = Assistant(services, settings=settings, model=model)
    turn = assistant.chat(services.session(), "hello")
    assert isinstance(turn[-1], AIMessage)
    assert services.runner.list() == []
