"""``RunConfig``: the single source of truth for a fine-tuning run and all of its defaults.

The YAML file in each job folder, the CLI flags, the UI form and the agent's ``start_finetune`` tool
are all derived from these models; each field's ``description`` doubles as a tooltip and tool doc.
``RunConfig.from_yaml(path)`` validates the whole file at once and raises one ``ConfigError`` that
lists every problem with its field and the fix.
"""

from __future__ import annotations

from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.fields import FieldInfo

from catalog.errors import ConfigError
from catalog.schema import Task

TaskName = Task  # the task ids are the catalog's, shared by the advisor and the trainer

TASK_MAX_LENGTH: dict[str, int] = {"text-classification": 128, "token-classification": 128,
                                   "question-answering": 384, "summarization": 512, "translation": 128,
                                   "chat": 1024}
"""Default input length per task (``data.max_length`` when the config leaves it empty)."""
TASK_LEARNING_RATE: dict[str, float] = {"text-classification": 1e-3, "token-classification": 1e-3,
                                        "question-answering": 1e-3, "summarization": 5e-4, "translation": 5e-4,
                                        "chat": 2e-4}
"""Default LoRA learning rate per task: encoders with a new head take more than a chat LM's adapters."""


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ModelConfig(_Part):
    """Which base model to fine-tune and how to load it."""

    name: str = Field(
        "sentence-transformers/all-MiniLM-L6-v2",
        description="Catalog id, Hub id or local folder of the base model.",
    )
    revision: str | None = Field(None, description="Hub revision (branch, tag or commit) to load.")
    trust_remote_code: bool = Field(
        False, description="Run code shipped with the model. Off by default: only enable for models you trust."
    )


class DataConfig(_Part):
    """Where the training data is and how its columns map to the task."""

    path: str = Field("examples/support_tickets.csv", description="Dataset file or folder in the workspace.")
    text_column: str | None = Field(None, description="Column holding the input text (inferred when empty).")
    label_column: str | None = Field(None, description="Column holding the label (inferred when empty).")
    split_column: str | None = Field(
        None, description="Column whose values 'train'/'test' fix the held-out split (inferred when empty)."
    )
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="Column roles the names do not make clear, e.g. {document: report, summary: gist}.",
    )
    eval_fraction: float = Field(
        0.2, gt=0.0, lt=0.9, description="Share of rows held out for evaluation when the file has no split."
    )
    max_length: int | None = Field(
        None, ge=8, le=32768, description="Maximum tokens per example (input); empty = the task's default."
    )
    max_target_length: int = Field(128, ge=4, le=8192, description="Maximum tokens of a generated target "
                                   "(summary, translation).")
    doc_stride: int = Field(128, ge=8, le=4096, description="QA: overlap between windows over a long context.")
    source_lang: str | None = Field(None, description="Translation: source language code (inferred).")
    target_lang: str | None = Field(None, description="Translation: target language code (inferred).")
    seed: int = Field(42, description="Seed of the train/eval split when the file has none.")


class QuantizationConfig(_Part):
    """How the frozen base weights are stored during training (QLoRA = 4-bit NF4 + LoRA)."""

    bits: Literal[4, 8, 16, 32] = Field(4, description="Bits per frozen base weight: 4 (QLoRA), 8, or 16/32 (no quantization).")
    quant_type: Literal["nf4", "fp4"] = Field("nf4", description="4-bit data type; NF4 suits normally distributed weights.")
    double_quant: bool = Field(True, description="Quantize the quantization constants too (saves ~0.4 bits/param).")
    compute_dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="Dtype of the matmuls; auto = bfloat16 on GPUs that support it, else float32."
    )


class LoraSettings(_Part):
    """The low-rank adapters that are trained on top of the frozen base."""

    method: Literal["lora", "full"] = Field("lora", description="Train LoRA adapters, or every weight (full).")
    r: int = Field(16, ge=1, le=1024, description="LoRA rank: adapter capacity.")
    alpha: int = Field(32, ge=1, description="LoRA scaling numerator (scale = alpha / r).")
    dropout: float = Field(0.05, ge=0.0, lt=1.0, description="Dropout on the adapter input.")
    target_modules: list[str] | None = Field(
        None, description="Linear layers that get adapters; empty = the catalog's choice for the architecture."
    )


class TrainSettings(_Part):
    """The optimisation loop."""

    epochs: float = Field(4.0, gt=0.0, le=100.0, description="Passes over the training data.")
    max_steps: int = Field(-1, ge=-1, description="Stop after this many optimizer steps (-1 = use epochs).")
    learning_rate: float | None = Field(
        None, gt=0.0, lt=1.0, description="Peak learning rate of the adapters and head; empty = the task's default."
    )
    batch_size: int = Field(16, ge=1, le=4096, description="Examples per device per step.")
    gradient_accumulation: int = Field(1, ge=1, le=1024, description="Steps whose gradients are summed per update.")
    warmup_ratio: float = Field(0.06, ge=0.0, lt=1.0, description="Share of steps spent warming up the learning rate.")
    weight_decay: float = Field(0.0, ge=0.0, lt=1.0, description="AdamW weight decay.")
    scheduler: Literal["linear", "cosine", "constant_with_warmup"] = Field("linear", description="Learning-rate schedule.")
    gradient_checkpointing: bool = Field(False, description="Recompute activations to save memory (slower).")
    group_by_length: bool = Field(True, description="Batch examples of similar length to waste less padding.")
    logging_steps: int = Field(5, ge=1, description="Log loss every N steps (drives the live loss curve).")
    eval_steps: int = Field(0, ge=0, description="Evaluate every N steps (0 = once per epoch).")
    early_stopping_patience: int = Field(
        0, ge=0, description="Stop after this many evaluations without improvement (0 = never stop early)."
    )
    packing: bool = Field(False, description="Chat: pack short conversations into full-length blocks.")
    mixed_precision: Literal["auto", "no", "bf16"] = Field(
        "auto", description="bf16 autocast of the matmuls on a float32 base; auto = decoder-only models on CPUs "
                            "with bfloat16 instructions (AVX512-BF16 or AMX), off elsewhere (encoders lost accuracy with it; "
                            "a GPU base already computes in bf16).")
    save_steps: int = Field(50, ge=1, description="Write a resumable checkpoint every N steps.")
    seed: int = Field(42, description="Seed of initialisation and shuffling.")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="Where to train; auto = CUDA when present.")


class EvalSettings(_Part):
    """How the tuned model is judged against its base."""

    baseline: Literal["zero-shot", "none"] = Field(
        "zero-shot",
        description="Baseline for the comparison: the untrained base (classification: embedding similarity to "
        "the label names; generative tasks: the base model prompted the same way).",
    )
    max_examples: int = Field(2000, ge=1, description="Evaluate on at most this many held-out rows.")
    max_new_tokens: int = Field(64, ge=1, le=4096, description="Generated tokens per answer (generative tasks).")
    num_beams: int = Field(1, ge=1, le=16, description="Beam search width for generation (1 = greedy).")
    repetition_penalty: float = Field(1.15, ge=1.0, le=2.0, description=(
        "Penalty on tokens already generated (1 = none); keeps small models from looping on one sentence."))
    no_repeat_ngram_size: int = Field(4, ge=0, le=20, description=(
        "Never repeat an n-gram of this many tokens in one answer (0 = allowed)."))


class OutputSettings(_Part):
    """Where the run writes its folder."""

    dir: str | None = Field(
        None, description="Job folder, new or empty, inside the workspace (empty = a new folder under jobs/)."
    )


class RunConfig(_Part):
    """Everything needed to reproduce a fine-tuning run: ``tunewise train config.yaml``."""

    task: TaskName = Field("text-classification", description="What the model learns to do.")
    model: ModelConfig = Field(default_factory=ModelConfig)
    data: DataConfig = Field(default_factory=DataConfig)
    quantization: QuantizationConfig = Field(default_factory=QuantizationConfig)
    lora: LoraSettings = Field(default_factory=LoraSettings)
    train: TrainSettings = Field(default_factory=TrainSettings)
    eval: EvalSettings = Field(default_factory=EvalSettings)
    output: OutputSettings = Field(default_factory=OutputSettings)

    @model_validator(mode="after")
    def _check_combinations(self) -> RunConfig:
        if self.data.max_length is None:
            self.data.max_length = TASK_MAX_LENGTH[self.task]
        if self.train.learning_rate is None:
            self.train.learning_rate = TASK_LEARNING_RATE[self.task]
        problems = []
        if self.lora.method == "full" and self.quantization.bits in (4, 8):
            problems.append(
                "lora.method: full fine-tuning cannot update 4/8-bit weights; set quantization.bits to 16 or 32, "
                "or use lora."
            )
        if self.lora.alpha < 1:
            problems.append("lora.alpha must be at least 1.")
        if self.task == "question-answering" and self.data.doc_stride >= (self.data.max_length or 0):
            problems.append(f"data.doc_stride ({self.data.doc_stride}) must be smaller than data.max_length "
                            f"({self.data.max_length}): windows over a long context overlap by the stride.")
        if problems:
            raise ValueError(" ".join(problems))
        return self

    # -- YAML round trip -------------------------------------------------------------------------
    def to_yaml(self) -> str:
        """Render the fully resolved config as YAML (every default written out)."""
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)

    def save(self, path: Path) -> None:
        """Write the resolved config to ``path`` atomically."""
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(self.to_yaml(), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """Validate a mapping, raising one ``ConfigError`` that lists every problem.

        Raises:
            ConfigError: With one line per invalid field and how to fix it.
        """
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(format_validation_error(exc)) from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> RunConfig:
        """Load and validate a YAML config file.

        Raises:
            ConfigError: When the file is missing, is not YAML, or has invalid fields.
        """
        return cls.from_dict(read_yaml_mapping(path))


def read_yaml_mapping(path: str | Path) -> dict[str, Any]:
    """Read a config file as written (a mapping of sections), before any validation.

    Raises:
        ConfigError: When the file is missing, is not UTF-8 YAML, or does not hold a mapping.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"Config file {path} does not exist.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"Config file {path} is not UTF-8 text.") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"Config file {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"Config file {path} must hold a mapping of sections (task, model, data, ...).")
    return data


def validation_problems(exc: ValidationError) -> list[str]:
    """One readable line per problem of a pydantic error: ``- field: message``."""
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "config"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field; remove it or check the spelling"
        elif err["type"] == "literal_error":
            msg = f"must be one of {err.get('ctx', {}).get('expected', '')}"
        lines.append(f"- {where}: {msg}")
    return lines


def format_validation_error(exc: ValidationError, subject: str = "The run config") -> str:
    """Turn a pydantic error into one message with one readable line per problem: ``field: message``."""
    lines = validation_problems(exc)
    return f"{subject} has {len(lines)} problem(s):\n" + "\n".join(lines)


def section_model(annotation: Any) -> type[BaseModel] | None:
    """The section model a field's annotation names (``TrainSettings`` for ``RunConfig.train``), else None."""
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def leaf_fields(model: type[BaseModel] = RunConfig, prefix: str = "") -> dict[str, FieldInfo]:
    """Every value field of ``RunConfig`` by dotted path (``train.max_steps``), in declaration order."""
    out: dict[str, FieldInfo] = {}
    for name, info in model.model_fields.items():
        part = section_model(info.annotation)
        if part is None:
            out[prefix + name] = info
        else:
            out.update(leaf_fields(part, f"{prefix}{name}."))
    return out


def config_field(path: str) -> FieldInfo:
    """The pydantic field at a dotted path: its annotation, description and bounds (``ge``, ``lt``, ...).

    Args:
        path: A value field such as ``task``, ``train.batch_size`` or ``data.max_length``.

    Raises:
        KeyError: When no value field has that path (a programming error: the paths are fixed in code).
    """
    return leaf_fields()[path]


def field_type(info: FieldInfo) -> tuple[Any, bool]:
    """A field's type without ``None`` (``int`` for ``int | None``), and whether it may be empty."""
    annotation = info.annotation
    if get_origin(annotation) not in (Union, UnionType):
        return annotation, False
    args = get_args(annotation)
    kinds = [a for a in args if a is not type(None)]
    return (kinds[0] if len(kinds) == 1 else Union[tuple(kinds)]), type(None) in args  # noqa: UP007


def field_bounds(info: FieldInfo) -> dict[str, Any]:
    """A field's numeric bounds as ``Field`` keyword arguments, e.g. ``{"ge": 1, "le": 4096}``."""
    bounds: dict[str, Any] = {}
    for item in info.metadata:
        for key in ("gt", "ge", "lt", "le"):
            if getattr(item, key, None) is not None:
                bounds[key] = getattr(item, key)
    return bounds
