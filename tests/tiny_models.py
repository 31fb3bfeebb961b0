"""Tiny randomly initialised models built on the fly (no download): plumbing only, outputs mean nothing."""

from __future__ import annotations

from pathlib import Path

WORDS = ["billing", "refund", "delivery", "parcel", "charge", "money", "late", "account", "login", "password",
         "my", "the", "is", "was", "i", "want", "back", "where", "cannot", "card", "twice", "please", "help"]


def tiny_bert(folder: Path) -> Path:
    """Save a 2-layer, 32-wide BERT and a word-piece tokenizer into ``folder``."""
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab_file=str(folder / "vocab.txt")).save_pretrained(folder)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64)
    BertForSequenceClassification(config).save_pretrained(folder)
    return folder
