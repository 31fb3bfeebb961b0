"""Turn canonical records into training features, one recipe per task.

The records are plain dicts that ``finetune.data.facade`` has already validated (one shape per task, see
``TASK_COLUMNS``). This module splits them reproducibly, builds a ``datasets.Dataset`` with typed
features, and holds the tokenization recipes that ``Dataset.map(batched=True)`` applies: sequence
classification, NER label alignment and seq2seq targets. Question answering windows are in
``prepare_qa``; chat rendering with assistant-only loss masks and packing are in ``prepare_chat``.
"""

from __future__ import annotations

import json
import logging
import os
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from catalog.errors import DataError
from catalog.schema import TASKS

log = logging.getLogger(__name__)

IGNORE_INDEX = -100
"""Label value that the loss skips (PyTorch's ``CrossEntropyLoss`` default)."""

TASK_COLUMNS: dict[str, tuple[str, ...]] = {
    "text-classification": ("text", "label"),
    "token-classification": ("tokens", "tags"),
    "question-answering": ("id", "question", "context", "answers"),
    "summarization": ("document", "summary"),
    "translation": ("source", "target"),
    "chat": ("messages",),
}
"""The fields of a canonical record per task (text-classification may add ``text_pair``)."""

SPLIT_ALIASES = {"train": "train", "training": "train", "validation": "validation", "valid": "validation",
                 "val": "validation", "eval": "validation", "evaluation": "validation", "dev": "validation",
                 "test": "test"}
MIN_STRATUM = 5
"""A label (or entity stratum) with fewer rows than this is not split: all its rows train."""

MAX_LISTED = 10


def _check_task(task: str) -> None:
    if task not in TASKS:
        raise DataError(f"Unknown task '{task}'. Choose one of: {', '.join(TASKS)}.")


def _rows(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:MAX_LISTED])
    return shown + (f" and {len(numbers) - MAX_LISTED} more" if len(numbers) > MAX_LISTED else "")


# ---------------------------------------------------------------------------------------------- splits


def split_records(records: Sequence[Mapping[str, Any]], *, task: str, eval_fraction: float = 0.2,
                  test_fraction: float = 0.0, seed: int = 42) -> dict[str, list[int]]:
    """Assign every record to train, validation (and test) reproducibly.

    Rows with a ``split`` field go where it says (``eval``, ``dev``, ``valid`` mean validation). Rows
    without one are split with a seeded shuffle, but only into the held-out parts that no row names
    explicitly: once any row says ``validation``, unmarked rows never become validation rows.
    Text classification is stratified by label; labels with fewer than 5 unmarked rows stay in train.
    Token classification is stratified by the rarest entity type in each sentence (so rare types reach
    both sides); strata under 5 rows are pooled and split together, so many rare types still leave a
    validation set. Other tasks use a plain seeded shuffle. At least one unmarked row always trains.

    Args:
        records: Canonical records of one task.
        task: The task id (decides the stratification).
        eval_fraction: Validation share of the unmarked rows.
        test_fraction: Test share of the unmarked rows; 0 means no test split.
        seed: Seed of the shuffle; the same seed gives the same split.

    Returns:
        Sorted row indices under ``train`` and ``validation``, and ``test`` when ``test_fraction > 0``
        or a row is marked test.

    Raises:
        DataError: On an unknown task, fractions outside [0, 1) or summing to 1 or more, or split
            values that are not train / validation / test.
    """
    _check_task(task)
    if not (0 <= eval_fraction < 1 and 0 <= test_fraction < 1 and eval_fraction + test_fraction < 1):
        raise DataError(f"The validation ({eval_fraction}) and test ({test_fraction}) fractions must each be "
                        "between 0 and 1 and leave rows to train on (e.g. 0.2 and 0.1).")
    explicit: dict[str, list[int]] = defaultdict(list)
    unmarked: list[int] = []
    bad: list[int] = []
    for i, record in enumerate(records):
        value = record.get("split")
        if value is None or not str(value).strip():
            unmarked.append(i)
        elif (name := SPLIT_ALIASES.get(str(value).strip().lower())) is None:
            bad.append(i + 1)
        else:
            explicit[name].append(i)
    if bad:
        raise DataError(f"The split field is not train / validation / test in rows {_rows(bad)}. "
                        "Use one of those values, or leave it empty to let tunewise split.")
    fractions = {"validation": 0.0 if explicit["validation"] else eval_fraction,
                 "test": 0.0 if explicit["test"] else test_fraction}
    carved = _seeded_split(unmarked, _strata(records, unmarked, task), fractions, seed,
                           stratified=task in ("text-classification", "token-classification"))
    splits = {name: sorted(explicit[name] + carved[name]) for name in ("train", "validation", "test")}
    if not (test_fraction > 0 or explicit["test"]):
        del splits["test"]
    if not splits["validation"] and not splits.get("test") and eval_fraction > 0:
        log.warning("No validation rows: %d rows, every marked row is train or test, or every label is rare",
                    len(records))
    return splits


def _strata(records: Sequence[Mapping[str, Any]], indices: list[int], task: str) -> dict[int, str]:
    if task == "text-classification":
        return {i: str(records[i]["label"]) for i in indices}
    if task != "token-classification":
        return dict.fromkeys(indices, "")
    types = {i: {tag[2:] for tag in records[i]["tags"] if tag[:2] in ("B-", "I-")} for i in indices}
    counts = Counter(t for found in types.values() for t in found)
    keys = {i: min(found, key=lambda t: (counts[t], t)) if found else "" for i, found in types.items()}
    sizes = Counter(keys.values())
    # Pool small strata: with many rare entity types, each alone would stay in train and leave no validation.
    return {i: key if sizes[key] >= MIN_STRATUM else "\0rare" for i, key in keys.items()}


def _seeded_split(indices: list[int], keys: dict[int, str], fractions: dict[str, float], seed: int,
                  stratified: bool) -> dict[str, list[int]]:
    rng = random.Random(seed)
    groups: dict[str, list[int]] = defaultdict(list)
    for i in indices:
        groups[keys[i]].append(i)
    out: dict[str, list[int]] = {"train": [], "validation": [], "test": []}
    for key in sorted(groups):
        rows = groups[key][:]
        rng.shuffle(rows)
        if stratified and len(rows) < MIN_STRATUM:
            out["train"] += rows
            continue
        n_val = round(len(rows) * fractions["validation"])
        n_test = min(round(len(rows) * fractions["test"]), max(0, len(rows) - 1 - n_val))
        n_val = min(n_val, max(0, len(rows) - 1 - n_test))
        out["validation"] += rows[:n_val]
        out["test"] += rows[n_val:n_val + n_test]
        out["train"] += rows[n_val + n_test:]
    return out


def save_splits(path: str | Path, splits: Mapping[str, Sequence[int]], seed: int) -> Path:
    """Write the split of a job (row indices per part, and the seed) as a small JSON file, atomically.

    Args:
        path: The file to write, usually ``<job>/splits.json``.
        splits: What ``split_records`` returned.
        seed: The seed the split was made with.

    Returns:
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"seed": seed, "sizes": {k: len(v) for k, v in splits.items()},
               "splits": {k: [int(i) for i in v] for k, v in splits.items()}}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def load_splits(path: str | Path) -> dict[str, list[int]]:
    """Read a split written by ``save_splits``.

    Args:
        path: The JSON file.

    Returns:
        Row indices per part (``train``, ``validation``, maybe ``test``).

    Raises:
        DataError: When the file is missing or is not a split file.
    """
    path = Path(path)
    try:
        splits = json.loads(path.read_text(encoding="utf-8"))["splits"]
        return {str(k): [int(i) for i in v] for k, v in splits.items()}
    except FileNotFoundError:
        raise DataError(f"{path.name} is missing: the job folder has no record of its data split.") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise DataError(f"{path.name} is not a split file written by tunewise; delete it to split again.") from None


# --------------------------------------------------------------------------------------------- datasets


def ner_tag_names(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """The tag set of NER records: ``O`` first, then a B-/I- pair per entity type, types sorted.

    Both tags of a pair are listed even when one never occurs, so ``B-X`` always has an ``I-X``.
    """
    types = {tag[2:] if tag[:2] in ("B-", "I-") else tag for r in records for tag in r["tags"] if tag != "O"}
    return ["O"] + [f"{prefix}-{t}" for t in sorted(types) for prefix in ("B", "I")]


def to_dataset(records: Sequence[Mapping[str, Any]], task: str, *, label_names: Sequence[str] | None = None,
               tag_names: Sequence[str] | None = None) -> Any:
    """Build a ``datasets.Dataset`` with the typed features a task needs.

    Classification labels become a ``ClassLabel``; NER tags a list of ``ClassLabel``; QA keeps the SQuAD
    ``answers`` struct; summarization, translation and chat keep strings (chat: a list of
    ``{role, content}``). Fields other than the task's (such as ``split``) are dropped.

    Args:
        records: Canonical records of one task.
        task: The task id.
        label_names: Class names for text classification (default: the sorted labels in the records).
        tag_names: NER tags (default: ``ner_tag_names(records)``).

    Returns:
        The dataset.

    Raises:
        DataError: When a record lacks a field of its task or carries a label / tag outside the given names.
    """
    from datasets import ClassLabel, Dataset, Features, List, Value

    _check_task(task)
    columns = TASK_COLUMNS[task]
    if task == "text-classification" and any("text_pair" in r for r in records):
        columns = ("text", "text_pair", "label")
    missing = [i + 1 for i, r in enumerate(records) if any(c not in r for c in columns)]
    if missing:
        raise DataError(f"Rows {_rows(missing)} lack a field that {task} needs ({', '.join(columns)}).")
    string = Value("string")
    if task == "text-classification":
        names = list(label_names) if label_names is not None else sorted({str(r["label"]) for r in records})
        _check_known([[str(r["label"])] for r in records], names, "Labels")
        features = Features({c: ClassLabel(names=names) if c == "label" else string for c in columns})
    elif task == "token-classification":
        names = list(tag_names) if tag_names is not None else ner_tag_names(records)
        _check_known([r["tags"] for r in records], names, "Tags")
        features = Features({"tokens": List(string), "tags": List(ClassLabel(names=names))})
    elif task == "question-answering":
        features = Features({"id": string, "question": string, "context": string,
                             "answers": {"text": List(string), "answer_start": List(Value("int32"))}})
    elif task == "chat":
        features = Features({"messages": List({"role": string, "content": string})})
    else:
        features = Features(dict.fromkeys(columns, string))
    rows = {c: [_clean(task, c, r[c]) for r in records] for c in columns}
    return Dataset.from_dict(rows, features=features)


def _check_known(values: list[list[str]], names: list[str], what: str) -> None:
    known = set(names)
    bad = [i + 1 for i, row in enumerate(values) if any(v not in known for v in row)]
    if bad:
        unknown = sorted({v for row in values for v in row if v not in known})
        raise DataError(f"{what} {', '.join(unknown[:MAX_LISTED])} (rows {_rows(bad)}) are not in the model's "
                        f"label set ({', '.join(names)}). Fix those rows or train with the full label set.")


def _clean(task: str, column: str, value: Any) -> Any:
    if task == "chat":  # keep role and content only: extra keys (name, tool_calls) break the fixed schema
        return [{"role": m["role"], "content": m["content"]} for m in value]
    if column == "answers":
        return {"text": list(value["text"]), "answer_start": [int(s) for s in value["answer_start"]]}
    return value


# ---------------------------------------------------------------------------- encoder tasks and seq2seq


def _require_fast(tokenizer: Any, purpose: str) -> None:
    if not getattr(tokenizer, "is_fast", False):
        name = getattr(tokenizer, "name_or_path", "") or type(tokenizer).__name__
        raise DataError(f"The tokenizer of '{name}' is a slow (Python) tokenizer, but {purpose} needs a fast one "
                        "that maps sub-word tokens back to words and characters. Choose a model that ships a "
                        "tokenizer.json file (most do).")


def tokenize_classification(batch: Mapping[str, list[Any]], tokenizer: Any, max_length: int,
                            text_pair: bool = False) -> dict[str, list[Any]]:
    """Tokenize a batch of classification rows (for ``Dataset.map(batched=True)``); no padding.

    Args:
        batch: Columns ``text``, ``label`` (class ids) and, with ``text_pair``, ``text_pair``.
        tokenizer: The model's tokenizer.
        max_length: Longest sequence in tokens; longer inputs are truncated.
        text_pair: Encode ``text`` and ``text_pair`` as a sentence pair.

    Returns:
        ``input_ids``, ``attention_mask`` (and ``token_type_ids`` where the model uses them) and ``labels``.
    """
    pairs = batch["text_pair"] if text_pair else None
    enc = tokenizer(batch["text"], pairs, truncation=True, max_length=max_length)
    return {**enc, "labels": list(batch["label"])}


def align_ner_labels(batch: Mapping[str, list[Any]], tokenizer: Any, max_length: int,
                     label_all_subwords: bool = False,
                     tag_names: Sequence[str] | None = None) -> dict[str, list[Any]]:
    """Tokenize pre-split words and align their tag ids to sub-word tokens.

    The first sub-word of a word carries the word's tag; the other sub-words carry -100 or, with
    ``label_all_subwords``, the I- tag of the word's entity. Special tokens carry -100.

    Args:
        batch: Columns ``tokens`` (lists of words) and ``tags`` (lists of tag ids).
        tokenizer: A fast tokenizer.
        max_length: Longest sequence in tokens; longer sentences are truncated.
        label_all_subwords: Label every sub-word, not only the first.
        tag_names: The tag names behind the ids; needed with ``label_all_subwords`` to find I- tags.

    Returns:
        The tokenizer's encoding plus ``labels``.

    Raises:
        DataError: When the tokenizer is not a fast one.
        ValueError: With ``label_all_subwords`` but no ``tag_names``.
    """
    _require_fast(tokenizer, "aligning NER tags to sub-words")
    inside: list[int] = []
    if label_all_subwords:
        if tag_names is None:
            raise ValueError("label_all_subwords needs tag_names to map B- tags to their I- tags")
        index = {name: i for i, name in enumerate(tag_names)}
        inside = [index.get("I-" + name[2:], i) if name.startswith("B-") else i for i, name in enumerate(tag_names)]
    enc = tokenizer(batch["tokens"], is_split_into_words=True, truncation=True, max_length=max_length)
    labels = []
    for row, tags in enumerate(batch["tags"]):
        aligned, previous = [], None
        for word in enc.word_ids(row):
            if word is None:
                aligned.append(IGNORE_INDEX)
            elif word != previous:
                aligned.append(int(tags[word]))
            else:
                aligned.append(inside[tags[word]] if label_all_subwords else IGNORE_INDEX)
            previous = word
        labels.append(aligned)
    return {**enc, "labels": labels}


def tokenize_seq2seq(batch: Mapping[str, list[Any]], tokenizer: Any, max_source_length: int,
                     max_target_length: int, source_key: str, target_key: str,
                     prefix: str = "") -> dict[str, list[Any]]:
    """Tokenize sources and targets for an encoder-decoder (summarization, translation); no padding.

    Args:
        batch: A batch holding ``source_key`` and ``target_key`` columns.
        tokenizer: The model's tokenizer.
        max_source_length: Longest input in tokens.
        max_target_length: Longest target in tokens.
        source_key: Column of the inputs (``document`` or ``source``).
        target_key: Column of the targets (``summary`` or ``target``).
        prefix: Text put before each input, e.g. ``"summarize: "`` for T5.

    Returns:
        ``input_ids``, ``attention_mask`` and ``labels`` (the target ids, as ``text_target=`` gives them).
    """
    sources = [prefix + text for text in batch[source_key]]
    enc = tokenizer(sources, max_length=max_source_length, truncation=True)
    targets = tokenizer(text_target=list(batch[target_key]), max_length=max_target_length, truncation=True)
    return {**enc, "labels": targets["input_ids"]}
