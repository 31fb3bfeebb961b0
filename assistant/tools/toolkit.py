"""LangChain tools of the agent: thin, validated wrappers over the actions in :mod:`assistant.tools.actions`.

Each tool returns ``(content, artifact)``: ``content`` is short readable text for the model and the
user; ``artifact`` is the structured result (for the UI and the offline guide). Errors come back as
a one-line ``Error: ...`` message, never a traceback.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, ValidationError

from assistant.session import Services, Session
from assistant.tools import actions
from assistant.tools.schemas import (
    AssessTaskArgs,
    CompareArgs,
    EstimateArgs,
    InspectDatasetArgs,
    JobArgs,
    Result,
    SearchCatalogArgs,
    StartFinetuneArgs,
)
from catalog.errors import TunewiseError
from finetune.config.run import format_validation_error

log = logging.getLogger(__name__)


def _safe(fn: Callable[..., Result], name: str) -> Callable[..., Result]:
    """Turn user-facing errors into a short tool message; log anything unexpected."""

    def wrapper(**kwargs: Any) -> Result:
        try:
            return fn(**kwargs)
        except TunewiseError as exc:
            return f"Error: {exc}", {"error": str(exc)}
        except ValidationError as exc:
            msg = format_validation_error(exc, subject="The request")
            return f"Error: {msg}", {"error": msg}
        except Exception:
            log.exception("tool %s failed", name)
            msg = "Something went wrong inside the tool; the details are in the server log."
            return f"Error: {msg}", {"error": msg}

    wrapper.__name__ = name
    return wrapper


def _tool_error(exc: ValidationError) -> str:
    return "Error: " + format_validation_error(exc, subject="The tool call")


def make_tools(services: Services, session: Session) -> list[BaseTool]:
    """Build the agent's tools bound to one session (its owner, plan and last job)."""
    def tool(fn: Callable[..., Result], schema: type[BaseModel], doc: str) -> BaseTool:
        return StructuredTool.from_function(
            func=_safe(functools.partial(fn, services, session), fn.__name__), name=fn.__name__, description=doc,
            args_schema=schema, response_format="content_and_artifact", handle_validation_error=_tool_error,
        )

    return [
        tool(actions.assess_task, AssessTaskArgs,
             "Decide fine-tune vs prompting vs RAG for a task, with reasons and recommended models."),
        tool(actions.search_catalog, SearchCatalogArgs, "Find catalog models for a task that fit this hardware."),
        tool(actions.inspect_dataset, InspectDatasetArgs,
             "Load and validate a dataset: columns, labels, split, problems with row numbers."),
        tool(actions.estimate_resources, EstimateArgs, "Estimate training memory and time and whether it fits."),
        tool(actions.start_finetune, StartFinetuneArgs,
             "Propose a fine-tuning plan; it starts only after the user has confirmed that exact plan."),
        tool(actions.job_status, JobArgs, "Progress of a fine-tuning job: status, step, loss, ETA, metrics."),
        tool(actions.cancel_job, JobArgs, "Cancel a queued or running job (a checkpoint is kept)."),
        tool(actions.evaluate, JobArgs, "Held-out metrics of a finished job, base vs tuned."),
        tool(actions.compare, CompareArgs, "Base vs tuned side by side: held-out metrics, examples, a new input."),
    ]
