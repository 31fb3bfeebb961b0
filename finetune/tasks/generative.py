"""What the generative tasks vary on, and what the seq2seq and causal recipes share.

Summarization, translation and chat differ in their records' fields, the prompt a model sees, the T5 task
prefix, what a user's input becomes and their metrics: one small :class:`TextTask` each, in ``TEXT_TASKS``.
Any of them runs on an encoder-decoder (``seq2seq.py``) or, as a chat, on a decoder-only model
(``causal.py``): the record turns into a user prompt and an assistant answer, and only the answer is learned.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from finetune.config.run import RunConfig
from finetune.tasks.base import Prediction, Recipe, ServedModel, wrong_input

LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
                  "pt": "Portuguese", "nl": "Dutch", "ro": "Romanian", "ru": "Russian", "zh": "Chinese",
                  "ja": "Japanese", "ko": "Korean", "pl": "Polish", "cs": "Czech", "tr": "Turkish",
                  "sv": "Swedish", "da": "Danish", "fi": "Finnish", "ar": "Arabic", "uk": "Ukrainian"}


def language_name(code: str | None) -> str:
    """``de`` -> ``German`` (the code itself when unknown)."""
    return LANGUAGE_NAMES.get((code or "").lower(), code or "the source language")


# ------------------------------------------------------------------------------------ per-task data
class TextTask(ABC):
    """One generative task's prompts, user inputs and metrics."""

    expected_input: ClassVar[str] = "a string"
    """What a user's input must be, for the error when it is not."""

    @abstractmethod
    def prompt(self, record: dict[str, Any], cfg: RunConfig) -> tuple[str, str]:
        """A record as ``(input text, target text)``: the prompt a model sees and its answer."""

    def prefix(self, cfg: RunConfig) -> str:
        """The T5-style task prefix for encoder-decoder models."""
        return ""

    def reference(self, record: dict[str, Any], cfg: RunConfig) -> Any:
        """What a generated output for the record is scored against (by default the target text)."""
        return self.prompt(record, cfg)[1]

    def messages(self, record: dict[str, Any], cfg: RunConfig) -> list[dict[str, str]]:
        """A record as a conversation for a causal LM."""
        prompt, answer = self.prompt(record, cfg)
        return [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]

    def to_record(self, item: Any) -> dict[str, Any] | None:
        """A user's input as a canonical record (a record as it is), or None when it does not fit."""
        if isinstance(item, dict):
            return dict(item)
        return self.from_text(item) if isinstance(item, str) else None

    @abstractmethod
    def from_text(self, text: str) -> dict[str, Any]:
        """A plain-text input as a canonical record with an empty target."""

    def shown(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record as a person reads its input."""
        return record

    def scored(self, predictions: Sequence[str]) -> list[str]:
        """Generated texts in the form the metrics compare (as they are, by default)."""
        return list(predictions)

    def score(self, references: Sequence[str], predictions: Sequence[str]) -> dict[str, float]:
        """Metrics of generated texts: ROUGE."""
        from finetune.tasks.metrics import rouge_metrics

        return rouge_metrics(references, predictions)


class Summarization(TextTask):
    """``{document, summary}`` records."""

    def prompt(self, record: dict[str, Any], cfg: RunConfig) -> tuple[str, str]:
        return f"Summarize the following text.\n\n{record['document']}", record["summary"]

    def prefix(self, cfg: RunConfig) -> str:
        return "summarize: "

    def from_text(self, text: str) -> dict[str, Any]:
        return {"document": text, "summary": ""}


class Translation(TextTask):
    """``{source, target}`` records; the prompts name the job's languages."""

    def prompt(self, record: dict[str, Any], cfg: RunConfig) -> tuple[str, str]:
        src, tgt = language_name(cfg.data.source_lang), language_name(cfg.data.target_lang)
        return f"Translate from {src} to {tgt}:\n\n{record['source']}", record["target"]

    def prefix(self, cfg: RunConfig) -> str:
        return f"translate {language_name(cfg.data.source_lang)} to {language_name(cfg.data.target_lang)}: "

    def from_text(self, text: str) -> dict[str, Any]:
        return {"source": text, "target": ""}

    def score(self, references: Sequence[str], predictions: Sequence[str]) -> dict[str, float]:
        """BLEU and chrF (sacrebleu) besides ROUGE."""
        from finetune.tasks.metrics import translation_metrics

        return {**translation_metrics(references, predictions), **super().score(references, predictions)}


class Chat(TextTask):
    """``{messages}`` records: the last turn is the answer, the one before it the prompt."""

    expected_input = "a message or a list of {role, content} messages"

    def prompt(self, record: dict[str, Any], cfg: RunConfig) -> tuple[str, str]:
        messages = record["messages"]
        return messages[-2]["content"] if len(messages) > 1 else "", messages[-1]["content"]

    def messages(self, record: dict[str, Any], cfg: RunConfig) -> list[dict[str, str]]:
        return list(record["messages"])

    def to_record(self, item: Any) -> dict[str, Any] | None:
        """A message, a list of ``{role, content}`` messages or a record; one message dict does not fit."""
        if isinstance(item, dict):
            return None if "role" in item else dict(item)
        turns = isinstance(item, list) and all(isinstance(m, dict) and {"role", "content"} <= set(m) for m in item)
        if turns:
            return {"messages": [*(dict(m) for m in item), {"role": "assistant", "content": ""}]}
        return self.from_text(item) if isinstance(item, str) else None

    def from_text(self, text: str) -> dict[str, Any]:
        return {"messages": [{"role": "user", "content": text}, {"role": "assistant", "content": ""}]}

    def shown(self, record: dict[str, Any]) -> dict[str, Any]:
        """The conversation without the turn to answer."""
        return {"messages": record["messages"][:-1]}


class QuestionAnswering(TextTask):
    """Generative question answering over SQuAD-style ``{question, context, answers}`` records.

    The answer is written rather than pointed at, so a decoder-only model can do it; an unanswerable
    question (SQuAD v2) is learned as :data:`NO_ANSWER` and scored as the empty answer, as SQuAD does.
    """

    expected_input = "a {question, context} record"
    NO_ANSWER = "unanswerable"

    def prompt(self, record: dict[str, Any], cfg: RunConfig) -> tuple[str, str]:
        answers = [a for a in (record.get("answers") or {}).get("text", []) if a]
        return (f"Answer the question from the context in a few words. If the context does not say, reply "
                f"\"{self.NO_ANSWER}\".\n\nContext: {record['context']}\n\nQuestion: {record['question']}",
                answers[0] if answers else self.NO_ANSWER)

    def prefix(self, cfg: RunConfig) -> str:
        return "question: "

    def to_record(self, item: Any) -> dict[str, Any] | None:
        """A ``{question, context}`` dict (a plain string has no context to answer from)."""
        if isinstance(item, dict) and {"question", "context"} <= set(item):
            return {"answers": {"text": [], "answer_start": []}, **item}
        return None

    def from_text(self, text: str) -> dict[str, Any]:
        return {"question": text, "context": "", "answers": {"text": [], "answer_start": []}}

    def reference(self, record: dict[str, Any], cfg: RunConfig) -> list[str]:
        """Every acceptable answer of a record ([] when unanswerable)."""
        return [a for a in (record.get("answers") or {}).get("text", []) if a]

    def scored(self, predictions: Sequence[str]) -> list[str]:
        """The no-answer phrase counts as the empty answer, as SQuAD v2 scores it."""
        return ["" if p.strip().strip(".").lower() == self.NO_ANSWER else p for p in predictions]

    def score(self, references: Sequence[Any], predictions: Sequence[str]) -> dict[str, float]:
        """SQuAD exact match and token F1."""
        from finetune.tasks.metrics import squad_metrics

        return squad_metrics(references, self.scored(predictions))


TEXT_TASKS: dict[str, TextTask] = {"summarization": Summarization(), "translation": Translation(), "chat": Chat(),
                                   "question-answering": QuestionAnswering()}
"""The generative tasks, by task id."""


# ----------------------------------------------------------------------------- the shared recipe part
class GenerativeRecipe(Recipe):
    """What seq2seq and causal recipes share: references, metrics, the adapter-off baseline, serving."""

    generative = True
    baseline_method = "the base model without the adapter"

    @property
    def text(self) -> TextTask:
        """The job's generative task."""
        return TEXT_TASKS[self.task]

    def generation_options(self) -> dict[str, Any]:
        """Greedy (or beam) decoding as the job's ``eval`` section asks."""
        ev = self.cfg.eval
        return {"max_new_tokens": ev.max_new_tokens, "num_beams": ev.num_beams, "do_sample": False,
                "repetition_penalty": ev.repetition_penalty, "no_repeat_ngram_size": ev.no_repeat_ngram_size}

    def references(self, records: Sequence[dict[str, Any]]) -> list[Any]:
        return [self.text.reference(r, self.cfg) for r in records]

    def score(self, references: Sequence[Any], predictions: Sequence[Any]) -> dict[str, float]:
        return self.text.score(references, predictions)

    def scored(self, predictions: Sequence[Any]) -> list[Any]:
        return self.text.scored(predictions)

    def baseline(self, model: Any, tokenizer: Any, records: Sequence[dict[str, Any]],
                 base_source: str) -> list[Prediction]:
        """The same weights with the adapter disabled, prompted like the tuned model."""
        if not hasattr(model, "disable_adapter"):
            return []
        with model.disable_adapter():
            return self.predict(model, tokenizer, records)

    def input_text(self, record: dict[str, Any]) -> str:
        from finetune.data.file_checks import input_text

        return input_text(self.task, self.text.shown(record))

    def to_record(self, item: Any, index: int = 0) -> dict[str, Any]:
        record = self.text.to_record(item)
        if record is None:
            raise wrong_input(self.task, self.text.expected_input, item)
        return record

    def outputs(self, served: ServedModel, records: list[dict[str, Any]], *, want_base: bool, want_tuned: bool,
                batch_size: int, max_new_tokens: int | None) -> tuple[list[Any], list[Any]]:
        """Both sides from one mixed batch per chunk of prompts (see ``ServedModel.generate_pairs``)."""
        none: list[Any] = [None] * len(records)
        prompts = [self.prompt_text(r, served.tokenizer) for r in records]
        texts = served.generate_pairs(prompts, want_base, want_tuned, batch_size, max_new_tokens)
        return ([{"text": t} for t in texts["base"]] if want_base else none,
                [{"text": t} for t in texts["tuned"]] if want_tuned else none)

    def answer_text(self, output: dict[str, Any]) -> str:
        return str(output["text"])

    @abstractmethod
    def prompt_text(self, record: dict[str, Any], tokenizer: Any) -> str:
        """The exact text the model sees for a record (task prefix or chat template applied)."""

    @abstractmethod
    def conversation_prompt(self, turns: Sequence[dict[str, str]], tokenizer: Any) -> str:
        """The text the model sees for a conversation ending with the user's turn."""
