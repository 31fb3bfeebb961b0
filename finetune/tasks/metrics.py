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


PROBE_FRACTIONS = (0.1, 0.25, 0.5)


def _stratified_subset(labels: Sequence[str], fraction: float, seed: int) -> list[int]:
    """Indices of a seeded, label-stratified subset holding at least one example of every label."""
    import random

    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    chosen: list[int] = []
    for label in sorted(by_label):
        idx = by_label[label][:]
        rng.shuffle(idx)
        chosen += idx[:max(1, round(len(idx) * fraction))]
    return sorted(chosen)


def project_learning_curve(points: Sequence[tuple[int, float]], target_examples: int) -> float | None:
    """Extrapolate a learning curve to ``target_examples`` with a power law on the error.

    Fits ``error = c * n ** -alpha`` (a straight line in log-log space, the usual shape of learning
    curves) through ``(examples, score)`` points by least squares and evaluates it at the target. The
    exponent is kept non-negative (more data never hurts in the projection) and the projection never
    exceeds the last score by more than the last doubling gained, so two noisy points cannot promise
    a jump.

    Args:
        points: ``(training examples, score in 0..1)`` pairs, at least two with distinct sizes.
        target_examples: The size to project to.

    Returns:
        The projected score in 0..1, or None with fewer than two usable points.
    """
    import math

    usable = sorted((n, s) for n, s in points if n > 0)
    if len({n for n, _ in usable}) < 2:
        return None
    xs = [math.log(n) for n, _ in usable]
    ys = [math.log(max(1e-4, 1.0 - s)) for _, s in usable]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var
    slope = min(0.0, slope)  # alpha = -slope >= 0
    projected = 1.0 - math.exp(my + slope * (math.log(target_examples) - mx))
    last_n, last_s = usable[-1]
    doublings = max(0.0, math.log2(target_examples / last_n))
    step = max(0.0, last_s - usable[0][1]) / max(1.0, math.log2(last_n / usable[0][0]))
    return max(0.0, min(projected, last_s + step * doublings, 1.0))


def learning_curve_probe(model_source: str, train_texts: Sequence[str], train_labels: Sequence[str],
                         eval_texts: Sequence[str], eval_labels: Sequence[str], *,
                         fractions: Sequence[float] = PROBE_FRACTIONS, seed: int = 42,
                         max_length: int = 128) -> dict[str, Any]:
    """A quick learning curve: train on 10/25/50 % of the data, score the held-out rows, extrapolate.

    Each point trains a logistic-regression head on the base encoder's frozen sentence embeddings
    (scikit-learn), so the whole curve costs one embedding pass instead of three fine-tuning runs.
    It is a lower bound of what fine-tuning the encoder reaches, and its slope says whether more data
    of this kind helps.

    Args:
        model_source: Folder or Hub id of the base encoder.
        train_texts: Training inputs.
        train_labels: Their labels.
        eval_texts: Held-out inputs.
        eval_labels: Their labels.
        fractions: Shares of the training data to train on.
        seed: Seed of the subsets.
        max_length: Token limit per text.

    Returns:
        ``{"method", "points": [{"fraction", "examples", "accuracy"}], "full_examples",
        "projected_accuracy"}``.

    Raises:
        ValueError: With fewer than two labels or no held-out rows.
    """
    from sklearn.linear_model import LogisticRegression

    if len(set(train_labels)) < 2 or not eval_texts:
        raise ValueError("a learning-curve probe needs at least two labels and some held-out rows")
    model, tokenizer = load_encoder(model_source)
    train_emb = embed_texts(model, tokenizer, train_texts, max_length=max_length).numpy()
    eval_emb = embed_texts(model, tokenizer, eval_texts, max_length=max_length).numpy()
    points = []
    for fraction in fractions:
        idx = _stratified_subset(train_labels, fraction, seed)
        head = LogisticRegression(max_iter=2000, C=10.0)
        head.fit(train_emb[idx], [train_labels[i] for i in idx])
        accuracy = classification_metrics(eval_labels, list(head.predict(eval_emb)))["accuracy"]
        points.append({"fraction": fraction, "examples": len(idx), "accuracy": round(accuracy, 4)})
    projected = project_learning_curve([(p["examples"], p["accuracy"]) for p in points], len(train_texts))
    return {"method": "logistic regression on frozen base-model embeddings", "points": points,
            "full_examples": len(train_texts),
            "projected_accuracy": None if projected is None else round(projected, 4)}


# ------------------------------------------------------------------------------------------ task metrics

def entity_metrics(references: Sequence[Sequence[str]], predictions: Sequence[Sequence[str]]) -> dict[str, float]:
    """Entity-level precision, recall and F1 (seqeval, strict IOB2 spans) and token accuracy.

    Raises:
        ValueError: When the lists are empty or of different lengths.
    """
    from seqeval.metrics import f1_score, precision_score, recall_score

    if len(references) != len(predictions) or not references:
        raise ValueError("references and predictions must be non-empty and of equal length")
    refs, preds = [list(r) for r in references], [list(p) for p in predictions]
    tokens = sum(len(r) for r in refs)
    correct = sum(a == b for r, p in zip(refs, preds, strict=True) for a, b in zip(r, p, strict=False))
    return {"entity_f1": float(f1_score(refs, preds, zero_division=0)),
            "entity_precision": float(precision_score(refs, preds, zero_division=0)),
            "entity_recall": float(recall_score(refs, preds, zero_division=0)),
            "token_accuracy": correct / max(1, tokens)}


def _normalize_answer(text: str) -> list[str]:
    """SQuAD's answer normalisation: lower case, no punctuation, no articles, single spaces."""
    import re
    import string

    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return text.split()


def squad_metrics(references: Sequence[Sequence[str]], predictions: Sequence[str]) -> dict[str, float]:
    """SQuAD v2 exact match and token F1 (best over the reference answers; "" = no answer).

    Args:
        references: The acceptable answers of each question (empty for unanswerable).
        predictions: The predicted answer text ("" for no answer).

    Raises:
        ValueError: When the lists are empty or of different lengths.
    """
    from collections import Counter

    if len(references) != len(predictions) or not references:
        raise ValueError("references and predictions must be non-empty and of equal length")
    exact = f1 = 0.0
    for answers, predicted in zip(references, predictions, strict=True):
        golds = [a for a in answers if _normalize_answer(a)] or [""]
        pred = _normalize_answer(predicted)
        best_em = best_f1 = 0.0
        for gold in golds:
            ref = _normalize_answer(gold)
            if not ref or not pred:
                score = float(ref == pred)
                best_em, best_f1 = max(best_em, score), max(best_f1, score)
                continue
            common = sum((Counter(ref) & Counter(pred)).values())
            best_em = max(best_em, float(ref == pred))
            if common:
                precision, recall = common / len(pred), common / len(ref)
                best_f1 = max(best_f1, 2 * precision * recall / (precision + recall))
        exact += best_em
        f1 += best_f1
    n = len(references)
    return {"exact_match": exact / n, "f1": f1 / n}


def rouge_metrics(references: Sequence[str], predictions: Sequence[str]) -> dict[str, float]:
    """Mean ROUGE-1/2/L F-measure (rouge-score, with stemming).

    Raises:
        ValueError: When the lists are empty or of different lengths.
    """
    from rouge_score import rouge_scorer

    if len(references) != len(predictions) or not references:
        raise ValueError("references and predictions must be non-empty and of equal length")
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    totals = {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    for ref, pred in zip(references, predictions, strict=True):
        for key, score in scorer.score(ref, pred).items():
            totals[key] += score.fmeasure
    return {key: value / len(references) for key, value in totals.items()}


def translation_metrics(references: Sequence[str], predictions: Sequence[str]) -> dict[str, float]:
    """Corpus BLEU and chrF (sacrebleu), both on a 0-100 scale.

    Raises:
        ValueError: When the lists are empty or of different lengths.
    """
    import sacrebleu

    if len(references) != len(predictions) or not references:
        raise ValueError("references and predictions must be non-empty and of equal length")
    return {"bleu": float(sacrebleu.corpus_bleu(list(predictions), [list(references)]).score),
            "chrf": float(sacrebleu.corpus_chrf(list(predictions), [list(references)]).score)}


PRIMARY_METRIC = {"text-classification": "accuracy", "token-classification": "entity_f1",
                  "question-answering": "f1", "summarization": "rougeL", "translation": "chrf",
                  "chat": "rougeL"}
"""The number a job is judged by, per task (its scale: 0-1, except chrF and BLEU on 0-100)."""
