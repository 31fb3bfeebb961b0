"""Checks on the five synthetic task datasets in ``examples/`` (NER, QA, summarisation, translation, chat).

Every dataset is JSON lines written by a generator script in ``examples/``; these tests check the schema,
the task-specific invariants (BIO tags, answer offsets, faithful summaries, German forms, the chat house
style), the split, near-duplicates and that each generator reproduces its committed file byte for byte.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def _first_user(row: dict[str, Any]) -> str:
    return next(m["content"] for m in row["messages"] if m["role"] == "user")


# name -> (data file, generator script, minimum rows, main text of a row)
DATASETS: dict[str, tuple[str, str, int, Callable[[dict[str, Any]], str]]] = {
    "ner": ("ner_custom_entities.jsonl", "make_ner.py", 320, lambda r: " ".join(r["tokens"])),
    "qa": ("qa_handbook.jsonl", "make_qa.py", 120, lambda r: r["question"]),
    "summarization": ("summarization_incidents.jsonl", "make_summarization.py", 110, lambda r: r["document"]),
    "translation": (
        "translation_en_de_support.jsonl",
        "make_translation.py",
        220,
        lambda r: r["translation"]["en"],
    ),
    "chat": ("chat_house_style.jsonl", "make_chat.py", 160, _first_user),
}
NAMES = tuple(DATASETS)
NEAR_DUPLICATE_JACCARD = 0.8


def _load(name: str) -> list[dict[str, Any]]:
    path = EXAMPLES / DATASETS[name][0]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def _trigrams(text: str) -> frozenset[tuple[str, ...]]:
    words = _normalise(text).split()
    return frozenset(tuple(words[i : i + 3]) for i in range(len(words) - 2))


def near_duplicate_rate(texts: list[str], threshold: float = NEAR_DUPLICATE_JACCARD) -> float:
    """Share of texts that have at least one other text with word-3-gram Jaccard similarity >= threshold."""
    grams = [_trigrams(t) for t in texts]
    flagged: set[int] = set()
    for i in range(len(grams)):
        for j in range(i + 1, len(grams)):
            union = len(grams[i] | grams[j])
            if union and len(grams[i] & grams[j]) / union >= threshold:
                flagged.update((i, j))
    return len(flagged) / len(texts)


def _import(script: str) -> ModuleType:
    name = f"_examples_{Path(script).stem}"
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # NamedTuple classes look up their module while the file executes
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


@pytest.fixture(scope="module")
def rows() -> dict[str, list[dict[str, Any]]]:
    """Every committed dataset, parsed."""
    return {name: _load(name) for name in NAMES}


@pytest.fixture(scope="module")
def generators() -> Iterator[dict[str, ModuleType]]:
    """Every generator script, imported from its file (``examples`` is not a package)."""
    yield {name: _import(DATASETS[name][1]) for name in NAMES}


# --------------------------------------------------------------------------------------------
# Checks shared by all five datasets
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_file_is_utf8_json_lines_with_raw_non_ascii(name: str) -> None:
    raw = (EXAMPLES / DATASETS[name][0]).read_bytes()
    text = raw.decode("utf-8")
    assert not text.startswith("\ufeff"), "no byte-order mark"
    assert text.endswith("\n") and "\r" not in text
    assert "\\u00" not in text, "written with ensure_ascii=False"
    assert any(ord(c) > 127 for c in text), "some non-ASCII text (names, °C, umlauts, dashes)"
    for line in text.splitlines():
        assert isinstance(json.loads(line), dict)


@pytest.mark.parametrize("name", NAMES)
def test_row_count_meets_minimum(name: str, rows: dict[str, list[dict[str, Any]]]) -> None:
    assert len(rows[name]) >= DATASETS[name][2]


@pytest.mark.parametrize("name", NAMES)
def test_split_field_and_test_share(name: str, rows: dict[str, list[dict[str, Any]]]) -> None:
    splits = Counter(r["split"] for r in rows[name])
    assert set(splits) == {"train", "test"}
    share = splits["test"] / len(rows[name])
    assert 0.15 <= share <= 0.25, share


@pytest.mark.parametrize("name", NAMES)
def test_main_texts_are_unique_and_not_near_duplicates(
    name: str, rows: dict[str, list[dict[str, Any]]]
) -> None:
    texts = [DATASETS[name][3](r) for r in rows[name]]
    duplicates = [t for t, n in Counter(_normalise(t) for t in texts).items() if n > 1]
    assert not duplicates, duplicates[:3]
    assert near_duplicate_rate(texts) < 0.05


@pytest.mark.parametrize("name", NAMES)
def test_no_main_text_is_in_both_splits(name: str, rows: dict[str, list[dict[str, Any]]]) -> None:
    main = DATASETS[name][3]
    train = {_normalise(main(r)) for r in rows[name] if r["split"] == "train"}
    test = {_normalise(main(r)) for r in rows[name] if r["split"] == "test"}
    assert not train & test


@pytest.mark.parametrize("name", NAMES)
def test_generator_rewrites_the_committed_file_byte_for_byte(
    name: str, generators: dict[str, ModuleType], tmp_path: Path
) -> None:
    out = tmp_path / DATASETS[name][0]
    assert generators[name].main([str(out)]) == 0
    assert out.read_bytes() == (EXAMPLES / DATASETS[name][0]).read_bytes()


@pytest.mark.parametrize("name", NAMES)
def test_generator_is_seeded(name: str, generators: dict[str, ModuleType]) -> None:
    module = generators[name]
    assert isinstance(module.SEED, int)
    assert module.generate(seed=module.SEED) == module.generate()
    assert module.generate(seed=module.SEED + 1) != module.generate()


def test_near_duplicate_rate_counts_rows_with_a_similar_partner() -> None:
    base = "the motor of my bike stopped working after the update yesterday evening"
    texts = [base, base + " again", "completely different words about tyre pressure and valves here"]
    assert near_duplicate_rate(texts) == pytest.approx(2 / 3)
    assert near_duplicate_rate(texts[1:]) == 0.0


# --------------------------------------------------------------------------------------------
# NER
# --------------------------------------------------------------------------------------------

TOKEN_RE = re.compile(r"\w+(?:[-./']\w+)*|[^\w\s]")


def _bio_valid(tags: list[str]) -> bool:
    previous = "O"
    for tag in tags:
        if tag != "O" and not re.fullmatch(r"[BI]-[A-Z][A-Z_]*", tag):
            return False
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            return False
        previous = tag
    return True


def _entities(tags: list[str]) -> list[str]:
    return [t[2:] for t in tags if t.startswith("B-")]


def test_bio_checker_rejects_invalid_sequences() -> None:
    assert _bio_valid(["O", "B-PART", "I-PART", "O", "B-MEASURE"])
    assert not _bio_valid(["O", "I-PART"])
    assert not _bio_valid(["B-PART", "I-MEASURE"])
    assert not _bio_valid(["B-part"])


def test_ner_rows_have_tokens_and_valid_bio_tags(rows: dict[str, list[dict[str, Any]]]) -> None:
    for row in rows["ner"]:
        assert set(row) == {"tokens", "ner_tags", "split"}
        tokens, tags = row["tokens"], row["ner_tags"]
        assert tokens and len(tokens) == len(tags), row
        assert all(isinstance(t, str) and TOKEN_RE.fullmatch(t) for t in tokens), tokens
        assert _bio_valid(tags), (tokens, tags)


def test_ner_uses_custom_entity_types(rows: dict[str, list[dict[str, Any]]]) -> None:
    types = Counter(e for row in rows["ner"] for e in _entities(row["ner_tags"]))
    assert {"PRODUCT", "PART", "ERROR_CODE", "VERSION", "MEASURE"} <= set(types)
    assert len(types) >= 6
    assert min(types.values()) >= 20, types
    multi_token = sum(
        1 for row in rows["ner"] for a, b in pairwise(row["ner_tags"]) if a[:2] == "B-" and b[:2] == "I-"
    )
    assert multi_token >= 100, "many entities span several tokens"


def test_ner_has_sentences_without_and_with_many_entities(rows: dict[str, list[dict[str, Any]]]) -> None:
    counts = [len(_entities(row["ner_tags"])) for row in rows["ner"]]
    assert sum(c == 0 for c in counts) / len(counts) >= 0.05
    assert sum(c >= 3 for c in counts) / len(counts) >= 0.10
    test_counts = [len(_entities(r["ner_tags"])) for r in rows["ner"] if r["split"] == "test"]
    assert any(c == 0 for c in test_counts) and any(c >= 2 for c in test_counts)


def test_ner_test_split_is_held_out_by_template(generators: dict[str, ModuleType]) -> None:
    module = generators["ner"]
    assert len(set(module.TEMPLATES)) >= 60
    sentences = module.generate()
    train = {s.template_id for s in sentences if s.split == "train"}
    test = {s.template_id for s in sentences if s.split == "test"}
    assert train and test and not train & test
    assert len(train | test) >= 60


# --------------------------------------------------------------------------------------------
# Extractive QA
# --------------------------------------------------------------------------------------------


def test_qa_rows_have_squad_schema_and_exact_offsets(rows: dict[str, list[dict[str, Any]]]) -> None:
    ids = Counter(r["id"] for r in rows["qa"])
    assert max(ids.values()) == 1, "ids are unique"
    for row in rows["qa"]:
        assert set(row) == {"id", "title", "context", "question", "answers", "split"}
        assert all(isinstance(row[k], str) and row[k].strip() for k in ("id", "title", "context", "question"))
        answers = row["answers"]
        assert set(answers) == {"text", "answer_start"}
        assert len(answers["text"]) == len(answers["answer_start"]) <= 1
        for text, start in zip(answers["text"], answers["answer_start"], strict=True):
            assert isinstance(start, int) and text
            assert row["context"][start : start + len(text)] == text, (row["id"], text, start)
            assert len(text.split()) <= 10, "answers are short spans"


def test_qa_has_about_ten_percent_unanswerable(rows: dict[str, list[dict[str, Any]]]) -> None:
    unanswerable = [r for r in rows["qa"] if not r["answers"]["text"]]
    share = len(unanswerable) / len(rows["qa"])
    assert 0.07 <= share <= 0.14, share
    assert all(r["answers"]["answer_start"] == [] for r in unanswerable)
    assert any(r["split"] == "test" for r in unanswerable)


def test_qa_documents_are_many_short_and_held_out_by_context(rows: dict[str, list[dict[str, Any]]]) -> None:
    contexts = {r["context"] for r in rows["qa"]}
    assert len(contexts) >= 25
    for context in contexts:
        assert 60 <= len(context.split()) <= 200, len(context.split())
    train = {r["context"] for r in rows["qa"] if r["split"] == "train"}
    test = {r["context"] for r in rows["qa"] if r["split"] == "test"}
    assert train and test and not train & test


def test_qa_questions_are_phrased_variously(rows: dict[str, list[dict[str, Any]]]) -> None:
    questions = [r["question"] for r in rows["qa"]]
    assert all(q.endswith("?") for q in questions)
    openings = Counter(" ".join(q.split()[:2]).lower() for q in questions)
    assert len(openings) >= 30
    assert max(openings.values()) / len(questions) < 0.25, openings.most_common(3)


# --------------------------------------------------------------------------------------------
# Summarisation
# --------------------------------------------------------------------------------------------


def _support(summary: str, document: str) -> float:
    doc_words = set(re.findall(r"\w+", document.lower()))
    words = [w for w in re.findall(r"\w+", summary.lower()) if len(w) > 3]
    return sum(w in doc_words for w in words) / len(words)


def test_summarization_rows_have_schema_and_lengths(rows: dict[str, list[dict[str, Any]]]) -> None:
    for row in rows["summarization"]:
        assert set(row) == {"document", "summary", "split"}
        n_doc, n_sum = len(row["document"].split()), len(row["summary"].split())
        assert 80 <= n_doc <= 300, n_doc
        assert 15 <= n_sum <= 45, n_sum
        assert len(row["summary"]) < len(row["document"])


def test_summaries_are_supported_by_their_documents(rows: dict[str, list[dict[str, Any]]]) -> None:
    for row in rows["summarization"]:
        assert _support(row["summary"], row["document"]) >= 0.6, row["summary"]
    # and not by some other document: a summary paired with a random other document loses support
    docs = [r["document"] for r in rows["summarization"]]
    shifted = [_support(r["summary"], docs[(i + 1) % len(docs)]) for i, r in enumerate(rows["summarization"])]
    assert sum(s < 0.6 for s in shifted) / len(shifted) > 0.5


def test_summaries_vary_and_follow_house_style(rows: dict[str, list[dict[str, Any]]]) -> None:
    summaries = [r["summary"] for r in rows["summarization"]]
    assert len(set(summaries)) == len(summaries)
    assert all(s[0].isupper() and s.endswith(".") for s in summaries)
    assert len(Counter(s.count(". ") + 1 for s in summaries)) >= 2, "one- and two-sentence summaries"


# --------------------------------------------------------------------------------------------
# Translation
# --------------------------------------------------------------------------------------------


def test_translation_rows_have_schema(rows: dict[str, list[dict[str, Any]]]) -> None:
    for row in rows["translation"]:
        assert set(row) == {"translation", "split"}
        pair = row["translation"]
        assert set(pair) == {"en", "de"}
        assert pair["en"].strip() == pair["en"] and pair["de"].strip() == pair["de"]
        assert pair["en"] and pair["de"] and pair["en"] != pair["de"]
        assert pair["en"][0].isupper() and pair["de"][0].isupper()


def test_german_side_is_german_with_german_number_formats(rows: dict[str, list[dict[str, Any]]]) -> None:
    english_only = re.compile(r"\b(the|your|with|and|please|will|is)\b", re.IGNORECASE)
    uncontracted = re.compile(r"\b(an|in|von|bei|zu) dem\b|\bzu der\b", re.IGNORECASE)
    for row in rows["translation"]:
        en, de = row["translation"]["en"], row["translation"]["de"]
        assert not english_only.search(de), de
        assert not uncontracted.search(de), de
        for whole, frac, unit in re.findall(r"\b(\d+)\.(\d+) (bar|kg|mm|m|Nm)\b", en):
            assert f"{whole},{frac} {unit}" in de, (en, de)
        for thousands, rest in re.findall(r"\b(\d+),(\d{3}) km\b", en):
            assert f"{thousands}.{rest} km" in de, (en, de)
    umlauts = sum(bool(re.search("[äöüÄÖÜß]", r["translation"]["de"])) for r in rows["translation"])
    assert umlauts / len(rows["translation"]) >= 0.3


def test_translation_templates_are_varied_and_held_out(generators: dict[str, ModuleType]) -> None:
    module = generators["translation"]
    assert len({t.en for t in module.TEMPLATES}) >= 50
    pairs = module.generate()
    train = {p.template_id for p in pairs if p.split == "train"}
    test = {p.template_id for p in pairs if p.split == "test"}
    assert train and test and not train & test


def test_german_declension_tables(generators: dict[str, ModuleType]) -> None:
    module = generators["translation"]
    noun, phrase = module.Noun, module.german_noun_phrase
    battery = noun("battery", "Akku", "m")
    chain = noun("chain", "Kette", "f")
    display = noun("display", "Display", "n")
    assert phrase(battery, "acc", "indef", "neu") == "einen neuen Akku"
    assert phrase(chain, "dat", "poss", "neu") == "Ihrer neuen Kette"
    assert phrase(display, "nom", "poss", "neu") == "Ihr neues Display"
    assert phrase(battery, "nom", "def", "alt") == "der alte Akku"
    assert phrase(display, "acc", "pron") == "es"
    assert module.contract("Das Kabel zu der Ladebuchse an dem Motor") == "Das Kabel zur Ladebuchse am Motor"


# --------------------------------------------------------------------------------------------
# Chat
# --------------------------------------------------------------------------------------------

SIGN_OFF = "— Northwind Support"
IMPERIAL = re.compile(r"\b(mph|miles?|psi|lbs?|pounds?|inch(es)?|feet|ft|fahrenheit)\b|°F", re.IGNORECASE)
REFUND_PROMISE = re.compile(
    r"\b(we|i)('ll| will) (refund|reimburse|give you your money back)|\byou('ll| will) (get|receive) "
    r"(a|your) (full )?refund|\brefund (is|has been) (approved|guaranteed|confirmed)",
    re.IGNORECASE,
)


def _user_turns(row: dict[str, Any]) -> int:
    return sum(m["role"] == "user" for m in row["messages"])


def test_chat_rows_have_messages_schema_and_alternate(rows: dict[str, list[dict[str, Any]]]) -> None:
    for row in rows["chat"]:
        assert set(row) == {"messages", "split"}
        messages = row["messages"]
        for m in messages:
            assert set(m) == {"role", "content"} and isinstance(m["content"], str) and m["content"].strip()
        roles = [m["role"] for m in messages]
        if roles[0] == "system":
            roles = roles[1:]
        assert "system" not in roles
        assert roles and len(roles) % 2 == 0, roles
        assert roles == ["user", "assistant"] * (len(roles) // 2), roles


def test_chat_mixes_system_prompts_and_multi_turn(rows: dict[str, list[dict[str, Any]]]) -> None:
    convs = rows["chat"]
    with_system = sum(c["messages"][0]["role"] == "system" for c in convs) / len(convs)
    assert 0.5 <= with_system < 1.0
    turns = Counter(_user_turns(c) for c in convs)
    assert (turns[2] + turns[3]) / len(convs) >= 0.2
    assert turns[3] >= 3
    assert max(turns) <= 3


def test_chat_assistant_follows_house_style(rows: dict[str, list[dict[str, Any]]]) -> None:
    for row in rows["chat"]:
        first_user = _first_user(row)
        replies = [m["content"] for m in row["messages"] if m["role"] == "assistant"]
        greeting = re.match(r"Hi ([^\s,]+),\n\n", replies[0])
        assert greeting, replies[0][:40]
        name = greeting.group(1)
        assert name == "there" or name in first_user, (name, first_user)
        for i, reply in enumerate(replies):
            assert reply.endswith("\n\n" + SIGN_OFF)
            assert re.search(r"\n\nNext step: [A-Z].+[.]\n\n— Northwind Support$", reply), reply[-120:]
            assert i == 0 or not reply.startswith("Hi "), "only the first reply greets"
            assert not IMPERIAL.search(reply), reply
            assert not REFUND_PROMISE.search(reply), reply
            for paragraph in reply.split("\n\n"):
                assert len(re.findall(r"[.!?](?:\s|$)", paragraph)) <= 3, paragraph


def test_chat_covers_imperial_units_names_and_refunds(rows: dict[str, list[dict[str, Any]]]) -> None:
    imperial = [r for r in rows["chat"] if IMPERIAL.search(_first_user(r))]
    assert len(imperial) / len(rows["chat"]) >= 0.05
    first_replies = {
        id(r): next(m["content"] for m in r["messages"] if m["role"] == "assistant") for r in rows["chat"]
    }
    named = [r for r in rows["chat"] if not first_replies[id(r)].startswith("Hi there,")]
    assert len(named) >= 40, "many customers give their name"
    refunds = [r for r in rows["chat"] if re.search(r"refund|money back", _first_user(r), re.IGNORECASE)]
    assert len(refunds) >= 5
    assert all("returns team" in first_replies[id(r)] for r in refunds), (
        "refunds are left to the returns team"
    )


def test_chat_user_openers_vary(
    rows: dict[str, list[dict[str, Any]]], generators: dict[str, ModuleType]
) -> None:
    firsts = [_first_user(r) for r in rows["chat"]]
    assert len({_normalise(f) for f in firsts}) == len(firsts)
    assert len(Counter(_normalise(f).split()[0] for f in firsts)) >= 15
    module = generators["chat"]
    conversations = module.generate()
    train = {c.template_id for c in conversations if c.split == "train"}
    test = {c.template_id for c in conversations if c.split == "test"}
    assert train and test and not train & test
    assert len({c.topic for c in conversations}) >= 15
