"""A text-classification dataset split into train and held-out texts, for measuring a base model on it.

The advisor's evidence (the zero-shot score of the base, the learning-curve probe) works on these lists. The
split is the trainer's (``finetune.data.splits.split_records``: split column first, else stratified by
label and seeded), with the split defaults of the run config's data section.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from catalog.errors import DataError
from finetune.config.run import DataConfig
from finetune.data.intake import LoadedData
from finetune.data.splits import split_records


@dataclass
class ClassificationData:
    """A text-classification dataset split into train and held-out parts."""

    train_texts: list[str]
    train_labels: list[str]
    eval_texts: list[str]
    eval_labels: list[str]
    labels: list[str]
    """The labels of the training rows, sorted."""
    splits: dict[str, list[int]] = field(default_factory=dict)
    """Record indices of each part, as ``split_records`` returns them."""
    seed: int = 42


def split_classification(loaded: LoadedData, *, eval_fraction: float | None = None,
                         seed: int | None = None) -> ClassificationData:
    """Split loaded text-classification data into train and held-out texts.

    Args:
        loaded: What ``finetune.data.intake.load_data`` (or ``inspect_and_load``) gave for the file.
        eval_fraction: Held-out share when the file has no split column (stratified by label); default
            ``data.eval_fraction`` of the run config.
        seed: Seed of that split; default ``data.seed`` of the run config.

    Returns:
        The texts and labels of both parts.

    Raises:
        DataError: When the data is not text classification, or no rows could be held out.
    """
    defaults = DataConfig.model_fields
    eval_fraction = defaults["eval_fraction"].default if eval_fraction is None else eval_fraction
    seed = defaults["seed"].default if seed is None else seed
    name = Path(loaded.report.path).name
    if loaded.task != "text-classification":
        raise DataError(f"{name} holds {loaded.task} data, not text classification (a label per text).")
    records = loaded.records
    splits = split_records(records, task="text-classification", eval_fraction=eval_fraction, seed=seed)
    train = splits["train"]
    held = sorted(splits.get("validation", []) + splits.get("test", []))
    if not held:
        raise DataError(f"{name}: no rows could be held out for evaluation. Add more examples per label "
                        "(5 or more each) or mark some rows 'test' in a split column.")
    return ClassificationData(
        train_texts=[records[i]["text"].strip() for i in train],
        train_labels=[records[i]["label"] for i in train],
        eval_texts=[records[i]["text"].strip() for i in held],
        eval_labels=[records[i]["label"] for i in held],
        labels=sorted({records[i]["label"] for i in train}),
        splits=splits,
        seed=seed,
    )
