"""Typed schema of the model catalog (``catalog/models.yaml``).

The catalog is a registry of real Hugging Face models. Every entry is validated once, completely, when the
file is loaded (see :func:`catalog.load_catalog`); nothing else in the project hard-codes a model id.
"""

from __future__ import annotations

from collections import Counter
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Task = Literal[
    "text-classification",
    "token-classification",
    "question-answering",
    "summarization",
    "translation",
    "chat",
]
"""The task ids the catalog, the advisor and the trainer share."""

TASKS: tuple[str, ...] = get_args(Task)
"""All task ids, in a fixed order."""

ModelTypeClass = Literal["encoder", "seq2seq", "causal"]
"""How a model is built: encoder-only, encoder-decoder, or decoder-only (causal)."""

CPU_TRAINABLE_MAX_PARAMS = 250_000_000
"""Models up to this size train (QLoRA) in minutes to hours on a laptop-class CPU."""

# Licences that allow commercial use, modification and redistribution without use restrictions beyond
# attribution. Hub licence ids are lower case; "bsd-*" variants are matched by prefix.
PERMISSIVE_LICENSES = frozenset(
    {
        "apache-2.0",
        "mit",
        "bsd",
        "isc",
        "zlib",
        "unlicense",
        "cc0-1.0",
        "cc-by-3.0",
        "cc-by-4.0",
        "afl-3.0",
        "bsl-1.0",
        "postgresql",
    }
)


class ModelEntry(BaseModel):
    """One model of the catalog, with the facts the advisor, search and trainer need."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Hugging Face Hub id, e.g. 'Qwen/Qwen2.5-0.5B-Instruct'.", min_length=1)
    name: str = Field(description="Short human name shown in the UI.", min_length=1)
    tasks: list[Task] = Field(description="Tasks this model is a sensible base for (first = primary).")
    architecture: str = Field(description="transformers model_type, e.g. 'bert', 'llama', 'qwen2'.")
    model_type_class: ModelTypeClass = Field(description="encoder, seq2seq or causal.")
    params: int = Field(description="Total parameter count (embeddings included).")
    license: str = Field(description="Hub licence id, e.g. 'apache-2.0', 'llama3.2', 'gemma'.")
    languages: list[str] = Field(description="ISO 639-1 codes; 'multilingual' plus the main ones if many.")
    context_length: int = Field(description="Usable context length in tokens.", gt=0)
    hidden_size: int | None = Field(default=None, description="config.json hidden size (d_model).", gt=0)
    num_layers: int | None = Field(
        default=None, description="Transformer blocks (encoder + decoder for seq2seq).", gt=0
    )
    vocab_size: int | None = Field(default=None, description="config.json vocabulary size.", gt=0)
    chat_template: bool = Field(description="The tokenizer ships a chat template.")
    tool_calling: bool = Field(description="The chat template / training support tool (function) calls.")
    lora_target_modules: list[str] = Field(description="Linear module names LoRA adapters attach to.")
    gated: bool = Field(default=False, description="The Hub repo requires accepting terms (and a token).")
    packaged: str | None = Field(
        default=None, description="Python module that ships the weights (exposes get_model_path(), or holds "
        "packaged_file)."
    )
    packaged_file: str | None = Field(
        default=None, description="A GGUF file inside the `packaged` module's folder, found without importing "
        "it and converted once into a model folder (finetune.train.packaged)."
    )
    notes: str = Field(default="", description="One helpful sentence for the user.")

    @field_validator("tasks")
    @classmethod
    def _tasks_non_empty_unique(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("list at least one task, from: " + ", ".join(TASKS))
        if len(set(value)) != len(value):
            raise ValueError("tasks must not repeat")
        return value

    @field_validator("params")
    @classmethod
    def _params_positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("params must be a positive integer (total parameter count)")
        return value

    @field_validator("lora_target_modules")
    @classmethod
    def _targets_non_empty(cls, value: list[str]) -> list[str]:
        if not value or any(not name.strip() for name in value):
            raise ValueError("list the linear module names LoRA should target, e.g. [q_proj, v_proj]")
        return value

    @field_validator("languages")
    @classmethod
    def _languages_non_empty(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("list at least one language code (or 'multilingual')")
        return [code.strip().lower() for code in value]

    @field_validator("license")
    @classmethod
    def _license_lower(cls, value: str) -> str:
        value = value.strip().lower()
        if not value:
            raise ValueError("give the Hub licence id, e.g. apache-2.0")
        return value

    @property
    def is_permissive(self) -> bool:
        """True for licences that allow commercial use without use restrictions (Apache, MIT, BSD, ...)."""
        return self.license in PERMISSIVE_LICENSES or self.license.startswith("bsd-")

    @property
    def is_multilingual(self) -> bool:
        """True when the model covers many languages (more than the ones listed)."""
        return "multilingual" in self.languages

    @property
    def cpu_trainable(self) -> bool:
        """True when the model is small enough to fine-tune on a CPU."""
        return self.params <= CPU_TRAINABLE_MAX_PARAMS

    @property
    def size_label(self) -> str:
        """Parameter count for humans: '22.7M', '1.5B'."""
        if self.params >= 1_000_000_000:
            return f"{self.params / 1e9:.1f}B"
        return f"{self.params / 1e6:.1f}M"

    def supports_language(self, language: str) -> bool:
        """Whether the model lists ``language`` or is multilingual.

        Args:
            language: An ISO 639-1 code such as ``"de"``.
        """
        code = language.strip().lower()
        return code in self.languages or self.is_multilingual


class Catalog(BaseModel):
    """All catalog entries, ids unique, in file order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    models: list[ModelEntry]

    @model_validator(mode="after")
    def _ids_unique(self) -> Catalog:
        counts = Counter(m.id for m in self.models)
        duplicates = sorted(model_id for model_id, n in counts.items() if n > 1)
        if duplicates:
            raise ValueError("duplicate model ids: " + ", ".join(duplicates))
        return self

    def __len__(self) -> int:
        return len(self.models)

    @property
    def ids(self) -> list[str]:
        """Model ids in file order."""
        return [m.id for m in self.models]

    def get(self, model_id: str) -> ModelEntry | None:
        """The entry with this id (case-insensitive), or None."""
        wanted = model_id.strip().lower()
        return next((m for m in self.models if m.id.lower() == wanted), None)

    def for_task(self, task: str) -> list[ModelEntry]:
        """Entries that list ``task``, in file order."""
        return [m for m in self.models if task in m.tasks]
