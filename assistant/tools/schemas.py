"""The agent's tool arguments: pydantic schemas that refuse unknown fields.

The arguments that set run fields (``start_finetune``'s, ``estimate_resources``' tokens and batch) are generated
from ``RunConfig``: their types, descriptions and bounds are the config's, and none restates a default (an argument
left out means "the default run's value", see :func:`plan_config`). Only the length limits of free text from an
untrusted model are the tools' own.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.fields import FieldInfo

from assistant.advisor.profile import TaskProfile
from catalog.estimate import Method
from finetune.config.defaults import default_config
from finetune.config.run import RunConfig, TaskName, config_field, field_bounds

Result = tuple[str, dict[str, Any]]


class ToolArgs(BaseModel):
    """Tool arguments: unknown fields are refused (a model cannot slip in ``trust_remote_code`` or ``output``)."""

    model_config = ConfigDict(extra="forbid")


def config_argument(path: str, *, required: bool = False, **limits: Any) -> tuple[Any, Any]:
    """A tool argument for the ``RunConfig`` field at ``path``: ``(type, Field)`` for ``create_model``.

    Args:
        path: A dotted field path such as ``train.batch_size``.
        required: The call must give it; otherwise it may be left out (None = the default run's value).
        **limits: Extra limits of the tool's own (length caps on untrusted text).
    """
    annotation: Any = config_field(path).annotation
    return (annotation if required else annotation | None), argument_field(path, required=required, **limits)


def argument_field(path: str, *, required: bool = False, **limits: Any) -> Any:
    """The ``Field`` of a tool argument for the ``RunConfig`` field at ``path``: its description and bounds."""
    info: FieldInfo = config_field(path)
    return Field(... if required else None, description=info.description, **field_bounds(info), **limits)


class AssessTaskArgs(ToolArgs):
    """Arguments of ``assess_task``."""

    description: str = Field(min_length=3, max_length=4000, description="The user's task in their own words.")
    dataset: str | None = Field(None, max_length=500, description="Optional dataset path to measure evidence on.")
    profile: TaskProfile | None = Field(None, description=(
        "What the description says, read by you: fill every field you can tell from the user's words (quote "
        "them in `quotes`). Leave it out and the offline reader reads the description."))


class SearchCatalogArgs(ToolArgs):
    """Arguments of ``search_catalog``."""

    task: TaskName | None = Field(None, description="Task to find models for.")
    language: str | None = Field(None, max_length=20, description="ISO language code the model must support.")
    license: Literal["any", "permissive"] = Field("any", description="'permissive' keeps Apache/MIT/BSD models only.")
    max_params_millions: float | None = Field(None, gt=0, description="Largest model size, millions of parameters.")
    limit: int = Field(5, ge=1, le=20, description="How many models to return.")


class InspectDatasetArgs(ToolArgs):
    """Arguments of ``inspect_dataset``."""

    path: str = Field(min_length=1, max_length=500, description="Dataset path in the workspace, or an example name.")
    task: TaskName | None = Field(None, description="The task, when the columns do not make it clear.")
    columns: dict[str, str] | None = Field(
        None, description="Column roles the file's names do not make clear, e.g. {'text': 'body', 'label': 'intent'}."
    )


MODEL_ID_LIMITS: dict[str, Any] = {"min_length": 1, "max_length": 200}
DATASET_LIMITS: dict[str, Any] = {"min_length": 1, "max_length": 500}


class EstimateArgs(ToolArgs):
    """Arguments of ``estimate_resources``; what is left out takes the default run's value for the model."""

    model_id: str = Field(description="Catalog model id.", **MODEL_ID_LIMITS)
    seq_len: int | None = argument_field("data.max_length")
    batch_size: int | None = argument_field("train.batch_size")
    method: Method | None = Field(None, description="Training method: qlora, lora or full (default: the run's).")


START_FINETUNE_FIELDS: dict[str, str] = {
    "model_id": "model.name", "dataset": "data.path", "task": "task", "epochs": "train.epochs",
    "learning_rate": "train.learning_rate", "batch_size": "train.batch_size", "max_length": "data.max_length",
    "columns": "data.columns",
}
"""``start_finetune``'s arguments and the ``RunConfig`` field each one sets."""

_START_FINETUNE_LIMITS = {"model_id": MODEL_ID_LIMITS, "dataset": DATASET_LIMITS}  # the two required arguments
_start_finetune_fields: dict[str, Any] = {
    name: config_argument(path, required=name in _START_FINETUNE_LIMITS, **_START_FINETUNE_LIMITS.get(name, {}))
    for name, path in START_FINETUNE_FIELDS.items()
}
StartFinetuneArgs = create_model(
    "StartFinetuneArgs",
    __base__=ToolArgs,
    __doc__="Arguments of ``start_finetune``, generated from ``RunConfig`` (types, descriptions, bounds).",
    **_start_finetune_fields,
)


class JobArgs(ToolArgs):
    """Arguments of the job tools."""

    job_id: str | None = Field(None, max_length=64, description="Job id; empty = this conversation's last job.")


class CompareArgs(ToolArgs):
    """Arguments of ``compare``."""

    job_id: str | None = Field(None, max_length=64, description="Job id; empty = this conversation's last job.")
    text: str | None = Field(None, max_length=4000, description="Optional new input to run through both models.")
    limit: int = Field(5, ge=1, le=50, description="Held-out examples to show.")


def plan_config(args: BaseModel) -> tuple[RunConfig, str | None]:
    """Turn ``start_finetune`` arguments into a validated ``RunConfig``.

    The plan starts from the preset of its task and model family when there is one, else from ``RunConfig``'s
    defaults for the task; the arguments given override it.

    Returns:
        The config and the name of the preset it started from (None when there is none).

    Raises:
        ConfigError: Listing every invalid value at once.
    """
    values = args.model_dump(exclude_none=True)
    task, model_id = values.pop("task", None), values.pop("model_id")
    return default_config(task, model_id, {START_FINETUNE_FIELDS[name]: value for name, value in values.items()})
