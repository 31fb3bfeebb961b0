"""What training, evaluation and serving ask of a task kind: the :class:`Recipe` contract.

One class per model kind (the keys of ``finetune.train.model.HEADS``) implements it, and ``registry.py`` maps
kind -> class. The trainer builds ``features`` for the train and evaluation records, pads batches with
``collator``, scores periodic evaluations with ``compute_metrics``, and at the end ``predict``s the held-out
records with the tuned model and, where the task has one, with its ``baseline``, then ``score``s both against
the ``references``. Serving turns a user's input into a record (``to_record``) and asks a
:class:`ServedModel` for both sides' ``outputs``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from catalog.errors import DataError, ModelError
from finetune.config.run import RunConfig

Prediction = tuple[Any, float | None]
"""A held-out prediction (label, tag list, answer or text) and the model's confidence where it has one."""

NO_BASELINE = ("No baseline: without fine-tuning this model's {what} head is untrained (random), so its "
               "output would mean nothing.")


class ServedModel(Protocol):
    """What a served job (``finetune.serve.pair.ModelPair``) offers a recipe answering for it."""

    model: Any
    tokenizer: Any
    base_source: str

    def generate_pairs(self, prompts: list[str], want_base: bool, want_tuned: bool, batch_size: int,
                       max_new_tokens: int | None) -> dict[str, list[str]]:
        """Generated text per prompt with the adapter off (``base``) and / or on (``tuned``)."""
        ...

    def quiet_loading(self) -> AbstractContextManager[None]:
        """A context that keeps a model load's report out of the served job's logs."""
        ...


def wrong_input(task: str, expected: str, item: Any) -> DataError:
    """The error for a user input that does not fit the task."""
    return DataError(f"A {task} input must be {expected}; got {type(item).__name__}.")


@dataclass
class Recipe(ABC):
    """How one model kind is trained, judged and served.

    Attributes:
        task: The job's task (a kind may serve several: seq2seq runs summarization and translation).
        cfg: The run config.
        labels: Class names (classification) or tags (NER); None for the other kinds.
    """

    task: str
    cfg: RunConfig
    labels: list[str] | None = None
    shots: list[dict[str, Any]] = field(default_factory=list)
    """Training records a prompted base may see as worked examples (few-shot), where the model takes them."""

    kind: ClassVar[str]
    """The key of ``finetune.train.model.HEADS`` this recipe trains."""
    generative: ClassVar[bool] = False
    """Text out (summarization, translation, chat)."""
    decoder_only: ClassVar[bool] = False
    """A decoder-only language model: prompts are padded and truncated on the left."""
    baseline_method: ClassVar[str | None] = None
    """How the base model is scored, or None when the task has no baseline."""
    base_note: ClassVar[str | None] = None
    """Why the base model has no output for this task, or None when it has one."""
    context_in_system: ClassVar[bool] = False
    """A chat request carries this task's context as its system message (extractive QA)."""

    # -- training features ------------------------------------------------------------------------
    def features(self, records: Sequence[dict[str, Any]], tokenizer: Any, *, for_eval: bool = False) -> Any:
        """Tokenized ``datasets.Dataset`` with a ``length`` column (for length-grouped batches).

        Args:
            records: Canonical records.
            tokenizer: The model's tokenizer.
            for_eval: Build evaluation features (the same as training ones except for packing).
        """
        from datasets import Dataset

        enc = self.encode(records, tokenizer, for_eval=for_eval)
        enc = {k: v for k, v in enc.items() if k not in ("offset_mapping", "overflow_to_sample_mapping")}
        enc["length"] = [len(ids) for ids in enc["input_ids"]]
        return Dataset.from_dict(enc)

    @abstractmethod
    def encode(self, records: Sequence[dict[str, Any]], tokenizer: Any, *, for_eval: bool) -> dict[str, list[Any]]:
        """The tokenized columns of ``features`` (``input_ids``, ``labels``, ...)."""

    def collator(self, tokenizer: Any, model: Any) -> Any:
        """The batch collator: dynamic padding to the longest example in the batch."""
        from transformers import DataCollatorWithPadding

        return DataCollatorWithPadding(tokenizer)

    def compute_metrics(self) -> Callable[[Any], dict[str, float]] | None:
        """Metrics for the Trainer's periodic evaluation (None: loss only)."""
        return None

    # -- held-out predictions ---------------------------------------------------------------------
    def predict(self, model: Any, tokenizer: Any, records: Sequence[dict[str, Any]], *,
                batch_size: int = 16) -> list[Prediction]:
        """Predictions for held-out records — a label, a tag list, an answer or a generated text — each with
        the model's confidence where it has one (the class probability for classification)."""
        import torch

        model.eval()
        with torch.inference_mode():
            return self.predictions(model, tokenizer, records, batch_size)

    @abstractmethod
    def predictions(self, model: Any, tokenizer: Any, records: Sequence[dict[str, Any]],
                    batch_size: int) -> list[Prediction]:
        """:meth:`predict` without the eval / inference-mode set-up."""

    @abstractmethod
    def references(self, records: Sequence[dict[str, Any]]) -> list[Any]:
        """What a prediction is scored against."""

    @abstractmethod
    def score(self, references: Sequence[Any], predictions: Sequence[Any]) -> dict[str, float]:
        """The task's metrics for held-out predictions."""

    def scored(self, predictions: Sequence[Any]) -> list[Any]:
        """Predictions in the form :meth:`score` compares with the references (by default as they are)."""
        return list(predictions)

    def delta_intervals(self, references: Sequence[Any], base: Sequence[Any], tuned: Sequence[Any],
                        metrics: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Tuned minus base on each metric, with a 95 % paired-bootstrap interval over the held-out rows.

        Args:
            references: What predictions are scored against.
            base: The base model's predictions for the same rows.
            tuned: The tuned model's predictions.
            metrics: The metric names to give intervals for (those without a bootstrap form are skipped).
        """
        from finetune.tasks.intervals import BOOTSTRAPPED, paired_bootstrap

        base, tuned = self.scored(base), self.scored(tuned)
        return {m: paired_bootstrap(m, references, base, tuned).as_dict() for m in metrics if m in BOOTSTRAPPED}

    def baseline(self, model: Any, tokenizer: Any, records: Sequence[dict[str, Any]],
                 base_source: str) -> list[Prediction]:
        """The base model's predictions for the records (empty when the task has no baseline).

        Args:
            model: The tuned model (the base is the same weights with the adapter off, where it applies).
            tokenizer: Its tokenizer.
            records: Held-out records.
            base_source: Folder or Hub id of the base model.
        """
        return []

    def check_references(self, records: Sequence[dict[str, Any]], source: str) -> None:
        """Refuse records that the tuned model cannot be scored on (by default every record can be).

        Raises:
            DataError: Naming what is wrong in ``source``.
        """
        return None

    def input_text(self, record: dict[str, Any]) -> str:
        """A record's input as a person reads it (a conversation without the turn to answer)."""
        from finetune.data.file_checks import input_text

        return input_text(self.task, record)

    # -- serving ----------------------------------------------------------------------------------
    @abstractmethod
    def to_record(self, item: Any, index: int = 0) -> dict[str, Any]:
        """Turn one user input into the task's canonical record (targets left empty).

        Raises:
            DataError: When the input does not fit the task.
        """

    @abstractmethod
    def outputs(self, served: ServedModel, records: list[dict[str, Any]], *, want_base: bool, want_tuned: bool,
                batch_size: int, max_new_tokens: int | None) -> tuple[list[Any], list[Any]]:
        """Base and tuned output per record in the task's shape (``None`` for a side not asked for or with
        no output): ``{"label", "score"}``, ``{"entities", "tags"}``, ``{"answer", "score", "start", "end"}``
        or ``{"text"}``."""

    @abstractmethod
    def answer_text(self, output: dict[str, Any]) -> str:
        """One side's output as the text of an API answer."""

    def prompt_text(self, record: dict[str, Any], tokenizer: Any) -> str:
        """The exact text a generative model sees for a record.

        Raises:
            ModelError: For a task that does not generate text.
        """
        raise ModelError(f"This {self.task} job does not generate text; use predict() for its output.")

    def conversation_prompt(self, turns: Sequence[dict[str, str]], tokenizer: Any) -> str:
        """The text a generative model sees for a conversation ending with the user's turn.

        Raises:
            ModelError: For a task that does not generate text.
        """
        raise ModelError(f"This {self.task} job does not generate text; use predict() for its output.")
