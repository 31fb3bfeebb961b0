"""The column names each role goes by in the datasets people have, most conventional first.

Gathered from how public datasets are distributed (GLUE's TSVs, the Hugging Face rows of IMDB, TREC, SNLI,
CoNLL-2003, SQuAD, Natural Questions, CNN/DailyMail, XSum, SAMSum, BigPatent, AESLC, WMT, Tatoeba, FLORES, Alpaca,
Dolly, OpenOrca, FLAN, ...; ``tests/fixtures/intake`` holds one small file per layout). Names are compared in lower
case. ``finetune.data.layouts`` picks a role's column as the first name of its list that the file has.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

TEXT = ("text", "sentence", "sentence1", "premise", "question1", "text_a", "#1 string", "message", "content", "body",
        "query", "utterance", "utt", "review", "review_text", "input", "ticket", "comment", "comment_text", "tweet",
        "sms", "document", "passage", "title")
TEXT_PAIR = ("text_pair", "sentence2", "hypothesis", "question2", "text_b", "#2 string", "question")
LABEL = ("label", "labels", "intent", "category", "class", "target", "topic", "tag", "sentiment", "gold_label", "y",
         "is_duplicate", "quality", "coarse_label", "label-coarse", "label_coarse", "polarity", "emotion", "stars")
LABEL_TEXT = ("label_text", "label_name", "label_str", "labels_text")
"""A label's name beside its integer id (SetFit datasets): the name is the label."""
TOKENS = ("tokens", "words", "token", "word", "sentence_tokens")
TAGS = ("ner_tags", "ner", "tags", "labels", "label", "ner_labels", "tag", "entities_bio")
SPANS = ("entities", "label", "labels", "spans", "annotations", "ner", "entity_spans")
"""Character-span entity annotations (doccano, Label Studio and spaCy exports): ``[[start, end, type], ...]``."""
SENTENCE_ID = ("sentence #", "sentence_id", "sent_id", "sentence_idx", "sentence", "sentence_no")
"""The sentence a token-per-row table's row belongs to (Kaggle's GMB ``ner_dataset.csv``)."""
QUESTION = ("question", "query", "q", "question_text")
CONTEXT = ("context", "passage", "paragraph", "document", "text", "article", "story", "document_text", "passages",
           "entity_pages", "context_text", "story_text", "plot")
ANSWERS = ("answers", "answer", "answer_text", "answer_texts", "gold_answer", "answers_spans", "annotations",
           "gold_answers", "answer_token_ranges")
ANSWER_START = ("answer_start", "answer_starts", "start", "answer_char_start")
QA_ID = ("id", "qid", "question_id", "uid", "example_id")
DOCUMENT = ("document", "article", "text", "dialogue", "content", "body", "source", "input", "story", "report",
            "documents", "description", "email_body", "transcript", "chapter", "full_text", "article_text")
SUMMARY = ("summary", "highlights", "abstract", "headline", "summary_text", "tldr", "target", "output",
           "subject_line", "summary1")
SOURCE = ("source", "src", "source_text", "source_sentence", "sourcestring", "source_string", "original")
TARGET = ("target", "tgt", "target_text", "target_sentence", "reference", "targetstring", "target_string",
          "translated", "translation")
SOURCE_LANG = ("source_lang", "sourcelang", "src_lang", "source_language", "lang1")
TARGET_LANG = ("target_lang", "targetlang", "tgt_lang", "target_language", "lang2")
MESSAGES = ("messages", "conversations", "conversation", "dialog", "dialogue_turns", "turns", "chat", "contents",
            "data")
INSTRUCTION = ("instruction", "prompt", "instructions", "inputs", "question", "query")
ALPACA_INPUT = ("input", "context")
OUTPUT = ("output", "response", "completion", "answer", "chosen", "targets")
SYSTEM = ("system", "system_prompt")
SPLIT = ("split", "set", "subset", "fold", "partition")

LANGUAGE_CODES = {"en", "de", "fr", "es", "it", "pt", "nl", "ro", "ru", "zh", "ja", "ko", "ar", "cs", "pl", "tr",
                  "fi", "sv", "da", "no", "nb", "el", "hu", "uk", "hi", "bn", "vi", "th", "id", "he", "et", "lv",
                  "lt", "bg", "hr", "sk", "sl", "sr", "ca", "eu", "gl", "is", "ga", "cy", "mt", "sw", "yo", "zu",
                  "af", "fa", "ur", "ta", "te", "ms", "tl", "kk", "uz", "ne", "si", "km", "my", "am", "ha", "ig"}
LANGUAGE_NAMES = {"english": "en", "german": "de", "french": "fr", "spanish": "es", "italian": "it",
                  "portuguese": "pt", "dutch": "nl", "romanian": "ro", "russian": "ru", "chinese": "zh",
                  "japanese": "ja", "korean": "ko", "arabic": "ar", "czech": "cs", "polish": "pl", "turkish": "tr",
                  "finnish": "fi", "swedish": "sv", "danish": "da", "norwegian": "no", "greek": "el",
                  "hungarian": "hu", "ukrainian": "uk", "hindi": "hi", "vietnamese": "vi", "hebrew": "he"}
ISO3 = {"eng": "en", "deu": "de", "ger": "de", "fra": "fr", "fre": "fr", "spa": "es", "ita": "it", "por": "pt",
        "nld": "nl", "ron": "ro", "rus": "ru", "zho": "zh", "jpn": "ja", "kor": "ko", "arb": "ar", "ces": "cs",
        "pol": "pl", "tur": "tr", "fin": "fi", "swe": "sv", "dan": "da", "ukr": "uk", "hin": "hi", "vie": "vi"}
"""ISO 639-3 codes (Tatoeba, FLORES' ``eng_Latn``) -> the two-letter code."""


def language_of(name: str) -> str | None:
    """The language code a column name stands for: ``en``, ``en_US``, ``de-DE``, ``eng``, ``sentence_eng_Latn``,
    ``English`` (None when it names no language)."""
    lowered = name.lower().strip()
    for prefix in ("sentence_", "text_"):
        lowered = lowered.removeprefix(prefix)
    base = lowered.replace("-", "_").split("_")[0]
    if base in LANGUAGE_CODES and (base == lowered or len(lowered) <= 10):
        return base
    if base in ISO3:
        return ISO3[base]
    return LANGUAGE_NAMES.get(lowered.split(" ")[0])


ALIASES: dict[str, str] = {}
"""Conventional column name -> its role, for "did you mean" hints on misspelt columns."""
for _role, _names in (("text", TEXT), ("text_pair", TEXT_PAIR), ("label", LABEL), ("tokens", TOKENS),
                      ("tags", TAGS), ("question", QUESTION), ("context", CONTEXT), ("answers", ANSWERS),
                      ("answer_start", ANSWER_START), ("document", DOCUMENT), ("summary", SUMMARY),
                      ("source", SOURCE), ("target", TARGET), ("messages", MESSAGES), ("instruction", INSTRUCTION),
                      ("output", OUTPUT), ("translation", ("translation",))):
    for _name in _names:
        ALIASES.setdefault(_name, _role)


def rename_hint(names: Sequence[str]) -> tuple[str, str | None]:
    """A fix for the first column whose name is a near miss of a conventional one ('lable' -> 'label')."""
    for name in names:
        if len(name) < 3 or name.lower() in ALIASES:
            continue
        close = difflib.get_close_matches(name.lower(), list(ALIASES), n=1, cutoff=0.8)
        if close:
            return (f"Did you mean '{close[0]}' for the column '{name}'? Rename it, or map it with --column "
                    f"{ALIASES[close[0]]}={name}. "), name
    return "", None


def no_header_hint(names: Sequence[str]) -> str:
    """A fix when the file has no header row (CoLA, AG News and Tatoeba files have none)."""
    if names and all(n.startswith("column_") for n in names):
        return (f"The file has no header row, so its columns have no names ({', '.join(names[:4])}): add a first line "
                "that names them (e.g. label,text or en<TAB>de), or map them with --column, e.g. --column "
                "text=column_2 --column label=column_1. ")
    datalike = [n for n in names if n.startswith("column_") or len(n) > 40 or " " in n.strip() and len(n) > 25
                or n.strip().lstrip("-").replace(".", "", 1).isdigit()]
    if names and len(datalike) * 2 >= len(names):
        shown = ", ".join(f"'{n[:30]}'" for n in names[:3])
        return (f"The first line ({shown}) looks like data, not column names: the file seems to have no header row. "
                "Add a first line that names the columns (e.g. label,text or en<TAB>de). ")
    return ""
