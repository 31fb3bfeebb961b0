"""Tiny randomly initialised models built on the fly (no download): plumbing only, outputs mean nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

WORDS = ["billing", "refund", "delivery", "parcel", "charge", "money", "late", "account", "login", "password",
         "my", "the", "is", "was", "i", "want", "back", "where", "cannot", "card", "twice", "please", "help"]


def tiny_bert(folder: Path) -> Path:
    """Save a 2-layer, 32-wide BERT and a word-piece tokenizer into ``folder``."""
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    # transformers 5 ignores ``vocab_file=``; the vocabulary must be passed as a mapping.
    tokenizer = BertTokenizerFast(vocab={piece: i for i, piece in enumerate(vocab)})
    tokenizer.save_pretrained(folder)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64)
    BertForSequenceClassification(config).save_pretrained(folder)
    return folder


# Pieces for a word-piece vocabulary where some words split into several sub-words ("headphones" ->
# "head ##phone ##s"), so NER label alignment and QA offsets are exercised on real sub-word splits.
NER_WORDS = ["anna", "bought", "new", "head", "##phone", "##s", "in", "berlin", "from", "sony", "at", "paris",
             "what", "did", "buy", "who", "lives", "where", "does", "work", "on", "monday", "shop", "a", "and",
             "she", "it", "for", "euros", "ten", ".", "?", ",", "##ie", "##ly", "store"]

CHAT_CORPUS = [
    "You are a helpful assistant for a parcel delivery company.",
    "Where is my parcel? It was due on Monday.",
    "Your parcel is out for delivery and will arrive today.",
    "I was charged twice for my card, please help.",
    "Sorry about that! I have refunded the second charge.",
    "Summarize: the parcel arrived late but intact. Translate English to German: hello world.",
    "Thanks a lot. Can I change my password? Yes, open the account page and click login help.",
    "Hallo Welt. Das Paket ist spät angekommen. 0123456789 ,.;:!?'\"()[]{}-_/\\@#$%&*+=<>",
]

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
"""A ChatML template (Qwen / many instruct models): every turn ends with ``<|im_end|>`` and a newline."""


def tiny_wordpiece_tokenizer(folder: Path) -> Path:
    """Save a fast BERT word-piece tokenizer whose vocabulary splits some words into sub-words.

    "headphones" becomes ``head ##phone ##s`` and "shopie" ``shop ##ie``; the folder loads with
    ``AutoTokenizer.from_pretrained``.
    """
    from transformers import BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *dict.fromkeys(WORDS + NER_WORDS)]
    # transformers 5 ignores ``vocab_file=``; the vocabulary must be passed as a mapping.
    BertTokenizerFast(vocab={piece: i for i, piece in enumerate(vocab)}).save_pretrained(folder)
    return folder


def _byte_level_bpe(special_tokens: list[str], vocab_size: int = 400) -> Any:
    """Train a small byte-level BPE on ``CHAT_CORPUS``: lossless (any text round-trips), with offsets."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special_tokens, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CHAT_CORPUS, trainer=trainer)
    return tok


def tiny_chat_tokenizer(folder: Path) -> Path:
    """Save a byte-level BPE chat tokenizer with a ChatML template (eos ``<|im_end|>``, pad ``<|endoftext|>``)."""
    from transformers import PreTrainedTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    tok = PreTrainedTokenizerFast(
        tokenizer_object=_byte_level_bpe(["<|endoftext|>", "<|im_start|>", "<|im_end|>"]),
        eos_token="<|im_end|>", pad_token="<|endoftext|>", additional_special_tokens=["<|im_start|>"],
    )
    tok.chat_template = CHATML_TEMPLATE
    tok.save_pretrained(folder)
    return folder


def tiny_llama(folder: Path) -> Path:
    """Save a 2-layer, 32-wide random Llama causal LM with the ``tiny_chat_tokenizer`` into ``folder``."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tiny_chat_tokenizer(folder)
    tok = AutoTokenizer.from_pretrained(folder)
    config = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=256,
                         bos_token_id=None, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                         tie_word_embeddings=True)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


def tiny_t5_tokenizer(folder: Path) -> Path:
    """Save a byte-level BPE tokenizer laid out like T5's (pad 0, eos 1, unk 2; ``</s>`` appended)."""
    from tokenizers import processors
    from transformers import PreTrainedTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    bpe = _byte_level_bpe(["<pad>", "</s>", "<unk>"])
    bpe.post_processor = processors.TemplateProcessing(single="$A </s>", pair="$A </s> $B </s>",
                                                       special_tokens=[("</s>", bpe.token_to_id("</s>"))])
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="</s>", pad_token="<pad>", unk_token="<unk>")
    tok.save_pretrained(folder)
    return folder


def tiny_t5(folder: Path) -> Path:
    """Save a 2-layer, 32-wide random T5 (encoder-decoder) with ``tiny_t5_tokenizer`` into ``folder``."""
    from transformers import AutoTokenizer, T5Config, T5ForConditionalGeneration

    tiny_t5_tokenizer(folder)
    tok = AutoTokenizer.from_pretrained(folder)
    config = T5Config(vocab_size=len(tok), d_model=32, d_kv=16, d_ff=64, num_layers=2, num_decoder_layers=2,
                      num_heads=2, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
                      decoder_start_token_id=tok.pad_token_id)
    T5ForConditionalGeneration(config).save_pretrained(folder)
    return folder


def tiny_encoder_with_minilm_tokenizer(folder: Path) -> Path:
    """Save a 2-layer, 32-wide random BERT that uses the packaged MiniLM's real word-piece tokenizer.

    It tokenizes any English text like the real model does (so NER and QA features are realistic) while
    the weights are random: the plumbing of token classification and QA, not their quality.
    """
    from transformers import AutoTokenizer, BertConfig, BertModel

    from catalog import load_catalog
    from catalog.availability import resolve_model_path

    folder.mkdir(parents=True, exist_ok=True)
    source = resolve_model_path(next(m for m in load_catalog().models if m.packaged))
    tokenizer = AutoTokenizer.from_pretrained(source)
    tokenizer.save_pretrained(folder)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512)
    BertModel(config).save_pretrained(folder)
    return folder
