"""Property-based fuzzing of every agent tool's arguments and of ``RunConfig.from_dict``.

Whatever a model puts in a tool call (wrong types, huge or unicode strings, None, nested junk, paths with
``..``, NUL, absolute paths, URLs, ``~``), the tool answers with a string; a refusal starts with ``Error:``
and holds no traceback; nothing outside the workspace is read into the answer; and no job starts, since
nobody confirmed a plan. ``RunConfig.from_dict`` on random nested mappings returns a config or raises one
``ConfigError`` that lists the problems. Set ``TUNEWISE_FUZZ_EXAMPLES`` (default 100 per test) to search longer.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.session import Services, Session
from assistant.tools.toolkit import make_tools
from catalog.errors import ConfigError
from finetune.config.run import RunConfig
from finetune.jobs.runner import JobRunner

FUZZ = settings(max_examples=int(os.environ.get("TUNEWISE_FUZZ_EXAMPLES", "100")), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
TRACEBACK_MARKS = ("Traceback", 'File "', "line ", "Error(")

PATHS = st.sampled_from([
    "../../etc/passwd", "/etc/passwd", "~/.ssh/id_rsa", "..%2f..%2fetc%2fpasswd", "data.csv\x00.txt", "a\x00b",
    "file:///etc/passwd", "https://example.com/data.csv", "http://169.254.169.254/latest/meta-data/",
    "examples/../../../../etc/shadow", "uploads/../../outside/secret.csv", "../outside/secret.csv",
    "/proc/self/environ", "/dev/zero", "\\\\server\\share\\x.csv", "C:\\Windows\\win.ini", ".", "..", "/", "",
    " ", "~", "$HOME/x.csv", "jobs/../../x", "models/../../../etc", "sentence-transformers/../../../etc",
])
TEXT = st.one_of(st.text(max_size=40), st.text(min_size=5000, max_size=20000).map(lambda s: s or "x" * 5000),
                 st.sampled_from(["\u202e", "😀" * 50, "\ud7ff", "'; DROP TABLE jobs; --", "{{7*7}}", "%s%n",
                                  "${jndi:ldap://x}", "\n" * 100]))
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                   st.floats(allow_nan=True, allow_infinity=True), TEXT, PATHS)
JUNK = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                       max_size=4), max_leaves=12)

#: Every argument name a tool schema knows, so fuzzed dicts hit real fields as well as unknown ones.
FIELDS = ["description", "dataset", "task", "language", "license", "max_params_millions", "limit", "path",
          "columns", "model_id", "seq_len", "batch_size", "method", "epochs", "learning_rate", "max_length",
          "job_id", "text", "profile"]
TASKS = st.sampled_from(["text-classification", "token-classification", "question-answering", "summarization",
                         "translation", "chat", "TEXT-CLASSIFICATION", "bogus"])
VALUE = st.one_of(JUNK, TASKS, PATHS)
ARGS = st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=10)), VALUE, max_size=6)
#: Well-typed values per field (mostly valid calls, so the fuzzing reaches the tools' bodies, not only the schema).
TYPED = {"description": TEXT, "dataset": st.one_of(PATHS, TEXT), "task": TASKS, "language": st.text(max_size=20),
         "license": st.sampled_from(["any", "permissive", "GPL"]), "max_params_millions": st.floats(0.001, 1e6),
         "limit": st.integers(1, 20), "path": st.one_of(PATHS, st.text(min_size=1, max_size=500)),
         "columns": st.dictionaries(st.text(max_size=12), st.text(max_size=12), max_size=3),
         "model_id": st.one_of(PATHS, st.text(min_size=1, max_size=200),
                               st.just("sentence-transformers/all-MiniLM-L6-v2")),
         "seq_len": st.integers(8, 32768), "batch_size": st.integers(1, 4096),
         "method": st.sampled_from(["qlora", "lora", "full"]), "epochs": st.floats(0.01, 100),
         "learning_rate": st.floats(1e-8, 0.99), "max_length": st.integers(8, 32768),
         "job_id": st.one_of(PATHS, st.text(max_size=64)), "text": TEXT,
         "profile": st.one_of(st.none(), st.fixed_dictionaries({}, optional={
             "task": TASKS, "labelled_examples": st.integers(-5, 10**7), "volume": st.sampled_from(["high", "x"]),
             "changing_knowledge": st.booleans(), "personal": st.booleans(), "quotes": st.dictionaries(
                 st.text(max_size=12), st.text(max_size=40), max_size=2)}))}


@pytest.fixture
def tools_and_runner(workspace: Path, sentinel: tuple[Path, str]) -> tuple[dict[str, Any], JobRunner, str]:
    runner = JobRunner(max_running=1)
    services = Services(runner=runner, single_user=True)
    session = Session()
    # Plant tempting targets: a symlink inside the workspace to the sentinel outside it, and a symlinked folder.
    (workspace / "link.csv").symlink_to(sentinel[0])
    (workspace / "linked-dir").symlink_to(sentinel[0].parent, target_is_directory=True)
    return {t.name: t for t in make_tools(services, session)}, runner, sentinel[1]


def check_answer(answer: Any, secret: str) -> None:
    assert isinstance(answer, str), type(answer)
    assert secret not in answer
    if answer.startswith("Error:"):
        assert not any(mark in answer for mark in ("Traceback", 'File "')), answer


@FUZZ
@given(name=st.sampled_from(["assess_task", "search_catalog", "inspect_dataset", "estimate_resources",
                             "start_finetune", "job_status", "cancel_job", "evaluate", "compare"]), args=ARGS)
def test_every_tool_answers_any_arguments_with_text_and_starts_nothing(
        tools_and_runner: tuple[dict[str, Any], JobRunner, str], name: str, args: dict[str, Any]) -> None:
    tools, runner, secret = tools_and_runner
    check_answer(tools[name].invoke(args), secret)
    assert runner.list() == []


@FUZZ
@given(data=st.data(), name=st.sampled_from(["assess_task", "search_catalog", "inspect_dataset", "estimate_resources",
                                             "start_finetune", "job_status", "cancel_job", "evaluate", "compare"]))
def test_every_tool_answers_well_typed_junk_with_text_and_starts_nothing(
        tools_and_runner: tuple[dict[str, Any], JobRunner, str], data: st.DataObject, name: str) -> None:
    tools, runner, secret = tools_and_runner
    fields = tools[name].args_schema.model_fields  # type: ignore[union-attr]
    args = data.draw(st.fixed_dictionaries({}, optional={f: TYPED[f] for f in fields}))
    check_answer(tools[name].invoke(args), secret)
    assert runner.list() == []


PATH_TOOLS = [("inspect_dataset", "path", {}), ("assess_task", "dataset", {"description": "route support tickets"}),
              ("start_finetune", "dataset", {"model_id": "sentence-transformers/all-MiniLM-L6-v2"}),
              ("start_finetune", "model_id", {"dataset": "examples/support_tickets.csv"}),
              ("estimate_resources", "model_id", {}), ("compare", "job_id", {}), ("evaluate", "job_id", {}),
              ("job_status", "job_id", {}), ("cancel_job", "job_id", {})]


@FUZZ
@given(case=st.sampled_from(PATH_TOOLS),
       path=st.one_of(PATHS, st.sampled_from(["link.csv", "linked-dir/secret.csv", "./link.csv",
                                              "linked-dir/../linked-dir/secret.csv"])))
def test_path_arguments_never_reach_outside_the_workspace(
        tools_and_runner: tuple[dict[str, Any], JobRunner, str], case: tuple[str, str, dict[str, Any]],
        path: str) -> None:
    tools, runner, secret = tools_and_runner
    name, field, fixed = case
    answer = tools[name].invoke({**fixed, field: path})
    check_answer(answer, secret)
    no_dataset = name == "assess_task" and not path  # an empty optional dataset means "advise without data"
    assert answer.startswith("Error:") or no_dataset, answer[:300]
    assert runner.list() == []


@FUZZ
@given(data=st.dictionaries(
    st.one_of(st.sampled_from(["task", "model", "data", "quantization", "lora", "train", "eval", "output"]),
              st.text(max_size=8)),
    st.one_of(JUNK, st.dictionaries(st.sampled_from(["name", "path", "dir", "r", "alpha", "epochs", "max_steps",
                                                     "batch_size", "learning_rate", "bits", "max_length",
                                                     "columns", "target_modules", "baseline", "device"]),
                                    VALUE, max_size=5)), max_size=6))
def test_run_config_from_random_mappings_is_valid_or_one_readable_config_error(data: dict[str, Any]) -> None:
    try:
        cfg = RunConfig.from_dict(data)
    except ConfigError as exc:
        text = str(exc)
        assert text.startswith("The run config has") and "problem(s)" in text
        assert not any(mark in text for mark in ("Traceback", 'File "'))
        return
    assert RunConfig.from_dict(cfg.model_dump()) == cfg  # whatever it accepts round-trips
