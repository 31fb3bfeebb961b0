"""Task metrics and the zero-shot baseline that a tuned model must beat.

Classification: accuracy and macro-F1 (scikit-learn). The baseline for classification is zero-shot
embedding similarity: each text and each label name are embedded with the base encoder (mean pooling,
as sentence-transformers does for all-MiniLM-L6-v2) and the closest label wins.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any


def classification_metrics(references: Sequence[str], predictions: Sequence[str]) -> dict[str, float]:
    """Accuracy and macro-F1 of predicted labels against references.

    Raises:
        ValueError: When the two lists differ in length or are empty.
    """
    from sklearn.metrics import accuracy_score, f1_score

    if len(references) != len(predictions) or not references:
        raise ValueError("references and predictions must be non-empty and of equal length")
    return {
        "accuracy": float(accuracy_score(references, predictions)),
        "macro_f1": float(f1_score(references, predictions, average="macro", zero_division=0)),
    }


def label_description(label: str) -> str:
    """The text a label name is embedded as: ``account_access`` → ``account access``."""
    return label.replace("_", " ").replace("-", " ").strip()


def embed_texts(model: Any, tokenizer: Any, texts: Sequence[str], *, batch_size: int = 64,
                max_length: int = 128) -> Any:
    """Mean-pooled, L2-normalised embeddings from an encoder (the sentence-transformers recipe).

    Returns:
        A float tensor of shape ``(len(texts), hidden)``.
    """
    import torch

    device = next(model.parameters()).device
    chunks = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(list(texts[start:start + batch_size]), padding=True, truncation=True,
                              max_length=max_length, return_tensors="pt").to(device)
            hidden = model(**batch).last_hidden_state.float()
            mask = batch["attention_mask"].unsqueeze(-1).float()
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            chunks.append(torch.nn.functional.normalize(pooled, dim=-1).cpu())
    return torch.cat(chunks) if chunks else torch.empty(0)


@functools.lru_cache(maxsize=2)
def load_encoder(model_source: str) -> tuple[Any, Any]:
    """Load (once per process) a plain encoder and its tokenizer for embeddings."""
    from transformers import AutoModel, AutoTokenizer

    return AutoModel.from_pretrained(model_source).eval(), AutoTokenizer.from_pretrained(model_source)


def zero_shot_predict(model_source: str, texts: Sequence[str], labels: Sequence[str], *,
                      max_length: int = 128) -> list[tuple[str, float]]:
    """Zero-shot classification by embedding similarity between texts and label names.

    Args:
        model_source: Folder or Hub id of the base encoder.
        texts: Inputs to classify.
        labels: Candidate label names.
        max_length: Token limit per text.

    Returns:
        For each text, the best label and its cosine similarity.
    """
    model, tokenizer = load_encoder(model_source)
    text_emb = embed_texts(model, tokenizer, texts, max_length=max_length)
    label_emb = embed_texts(model, tokenizer, [label_description(lab) for lab in labels])
    scores = text_emb @ label_emb.T
    best = scores.argmax(dim=1)
    return [(labels[int(i)], float(scores[row, int(i)])) for row, i in enumerate(best)]


def classifier_predict(model: Any, tokenizer: Any, texts: Sequence[str], *, batch_size: int = 64,
                       max_length: int = 128) -> list[tuple[str, float]]:
    """Predict labels with a sequence-classification model.

    Returns:
        For each text, the predicted label (from ``model.config.id2label``) and its probability.
    """
    import torch

    model.eval()
    device = next(model.parameters()).device
    id2label = model.config.id2label
    out: list[tuple[str, float]] = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(list(texts[start:start + batch_size]), padding=True, truncation=True,
                              max_length=max_length, return_tensors="pt").to(device)
            probs = model(**batch).logits.float().softmax(-1)
            conf, idx = probs.max(-1)
            out += [(str(id2label[int(i)]), float(c)) for i, c in zip(idx, conf, strict=True)]
    return out
