"""LangChain's standard chat-model tests (``langchain-tests``) run against the offline guide.

The guide is deterministic: it calls tools from plain patterns, from its own conversation logic, or when
the user names a bound tool in call syntax (``magic_function(3)``). Three integration tests expect an LLM
to turn free prose about tools it has never seen ("What is the weather in San Francisco?") into a call;
the guide cannot, so the inherited tests are marked strict xfails (``strict_xfail``, applied by
``tests/unit/assistant/conftest.py``) — if one starts passing, the run fails and the mark must go.
"""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.integration_tests.chat_models import magic_function
from langchain_tests.unit_tests import ChatModelUnitTests

from assistant.guide.model import OfflineGuide

FREE_PROSE = "needs an LLM: the offline guide maps free prose to its own tools only"


class _GuideProperties:
    @property
    def chat_model_class(self) -> type[OfflineGuide]:
        return OfflineGuide

    @property
    def has_tool_calling(self) -> bool:
        return True

    @property
    def has_tool_choice(self) -> bool:
        return False

    @property
    def has_structured_output(self) -> bool:
        return False

    @property
    def returns_usage_metadata(self) -> bool:
        return False


class TestOfflineGuideUnit(_GuideProperties, ChatModelUnitTests):
    """The unit half of the standard suite."""


class TestOfflineGuideIntegration(_GuideProperties, ChatModelIntegrationTests):
    """The integration half; the guide needs no network, so it runs in the fast suite."""

    strict_xfail = {"test_agent_loop": FREE_PROSE, "test_bind_runnables_as_tools": FREE_PROSE,
                    "test_unicode_tool_call_integration": FREE_PROSE}


def test_explicit_call_syntax_fills_parameters_in_schema_order() -> None:
    guide = OfflineGuide().bind_tools([magic_function])
    named = guide.invoke([HumanMessage("please run magic_function(input=41) now")])
    assert isinstance(named, AIMessage)
    assert [(c["name"], c["args"]) for c in named.tool_calls] == [("magic_function", {"input": 41})]
    # A name that is not a bound tool, or arguments that are not literals, are not calls.
    assert guide.invoke([HumanMessage("what does other_function(3) do?")]).tool_calls == []
    assert guide.invoke([HumanMessage("magic_function(__import__('os'))")]).tool_calls == []
