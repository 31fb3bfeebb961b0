"""LangChain tools of the agent: thin, validated wrappers over ``catalog`` and ``finetune``.

Each tool returns ``(content, artifact)``: ``content`` is short readable text for the model and the
user; ``artifact`` is the structured result (for the UI and the offline guide). Errors come back as
a one-line ``Error: ...`` message, never a traceback.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, Literal

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.session import Services, Session
from catalog.errors import TunewiseError
from finetune.config.run import RunConfig, TaskName, field_help, format_validation_error

log = logging.getLogger(__name__)
Result = tuple[str, dict[str, Any]]


class _Args(BaseModel):
    """Tool arguments: unknown fields are refused (a model cannot slip in ``trust_remote_code`` or ``output``)."""

    model_config = ConfigDict(extra="forbid")


class AssessTaskArgs(_Args):
    """Arguments of ``assess_task``."""

    description: str = Field(min_length=3, max_length=4000, description="The user's task in their own words.")
    dataset: str | None = Field(None, max_length=500, description="Optional dataset path to measure evidence on.")


class SearchCatalogArgs(_Args):
    """Arguments of ``search_catalog``."""

    task: TaskName | None = Field(None, description="Task to find models for.")
    language: str | None = Field(None, max_length=20, description="ISO language code the model must support.")
    license: Literal["any", "permissive"] = Field("any", description="'permissive' keeps Apache/MIT/BSD models only.")
    max_params_millions: float | None = Field(None, gt=0, description="Largest model size, millions of parameters.")
    limit: int = Field(5, ge=1, le=20, description="How many models to return.")


class InspectDatasetArgs(_Args):
    """Arguments of ``inspect_dataset``."""

    path: str = Field(min_length=1, max_length=500, description="Dataset path in the workspace, or an example name.")
    task: TaskName | None = Field(None, description="The task, when the columns do not make it clear.")
    columns: dict[str, str] | None = Field(
        None, description="Column roles the file's names do not make clear, e.g. {'text': 'body', 'label': 'intent'}."
    )


class EstimateArgs(_Args):
    """Arguments of ``estimate_resources``."""

    model_id: str = Field(min_length=1, max_length=200, description="Catalog model id.")
    seq_len: int = Field(128, ge=8, le=32768, description="Tokens per example.")
    batch_size: int = Field(16, ge=1, le=4096, description="Examples per step.")
    method: Literal["qlora", "lora", "full"] = Field("qlora", description="Training method.")


class StartFinetuneArgs(_Args):
    """Arguments of ``start_finetune``; defaults and docs come from ``RunConfig``."""

    model_id: str = Field(min_length=1, max_length=200, description=field_help("model", "name"))
    dataset: str = Field(min_length=1, max_length=500, description=field_help("data", "path"))
    task: TaskName = Field("text-classification", description="What the model learns to do.")
    epochs: float | None = Field(None, gt=0, le=100, description=field_help("train", "epochs"))
    learning_rate: float | None = Field(None, gt=0, lt=1, description=field_help("train", "learning_rate"))
    batch_size: int | None = Field(None, ge=1, le=4096, description=field_help("train", "batch_size"))
    max_length: int | None = Field(None, ge=8, le=32768, description=field_help("data", "max_length"))
    columns: dict[str, str] | None = Field(None, description=field_help("data", "columns"))


class JobArgs(_Args):
    """Arguments of the job tools."""

    job_id: str | None = Field(None, max_length=64, description="Job id; empty = this conversation's last job.")


class CompareArgs(_Args):
    """Arguments of ``compare``."""

    job_id: str | None = Field(None, max_length=64, description="Job id; empty = this conversation's last job.")
    text: str | None = Field(None, max_length=4000, description="Optional new input to run through both models.")
    limit: int = Field(5, ge=1, le=50, description="Held-out examples to show.")


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
    from assistant.tools import actions

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


def plan_config(args: StartFinetuneArgs) -> RunConfig:
    """Turn ``start_finetune`` arguments into a validated ``RunConfig`` (defaults from the config)."""
    data: dict[str, Any] = {"task": args.task, "model": {"name": args.model_id}, "data": {"path": args.dataset},
                            "train": {}}
    if args.max_length is not None:
        data["data"]["max_length"] = args.max_length
    if args.columns:
        data["data"]["columns"] = dict(args.columns)
    for key in ("epochs", "learning_rate", "batch_size"):
        if getattr(args, key) is not None:
            data["train"][key] = getattr(args, key)
    return RunConfig.from_dict(data)
