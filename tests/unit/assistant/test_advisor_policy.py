"""The advisor's policy and its offline reader: rules on plain values, decision probabilities over uncertain
fields, the shipped reader trained on the shipped corpus, and the structured profile an LLM can fill."""

from __future__ import annotations

import itertools
import json

import pytest

from assistant.advisor.advise import ASK_BELOW, advise
from assistant.advisor.policy import decide, decide_profile, decision_distribution
from assistant.advisor.profile import PROFILE_FIELDS, TaskProfile, labelled_bucket
from assistant.advisor.reader_build import corpus_digest, corpus_files, field_label, load_rows
from assistant.advisor.understanding import READER_PATH, corpus_digest_of, load_reader

CERTAIN_NOTHING = {"changing_knowledge": {"False": 1.0}, "personal": {"False": 1.0}, "labelled": {"unknown": 1.0},
                   "volume": {"unknown": 1.0}, "latency": {"False": 1.0}, "privacy": {"False": 1.0},
                   "domain_style": {"False": 1.0}}


def test_rules_in_order() -> None:
    assert decide(True, True, "many", "high", True, True, True) == "rag"  # changing facts beat everything
    assert decide(False, True, "many", "high", True, True, True) == "prompt"  # a one-off personal ask
    assert decide(False, False, "many", "low", False, False, False) == "fine-tune"
    assert decide(False, False, "few", "high", True, True, True) == "prompt"  # too few examples yet
    assert decide(False, False, "none", "unknown", False, False, False) == "prompt"
    assert decide(False, False, "unknown", "high", True, False, False) == "fine-tune"
    assert decide(False, False, "unknown", "high", False, False, False) == "prompt"


def test_bucket_thresholds() -> None:
    assert [labelled_bucket(n) for n in (None, 0, 1, 199, 200)] == ["unknown", "none", "few", "few", "many"]
    assert TaskProfile(labelled="unknown", labelled_examples=700).bucket() == "many"  # a stated count wins


def test_certain_beliefs_give_the_rule_with_probability_one() -> None:
    beliefs = {**CERTAIN_NOTHING, "labelled": {"many": 1.0}}
    assert decision_distribution(beliefs) == {"fine-tune": 1.0, "prompt": 0.0, "rag": 0.0}


def test_uncertain_fields_mix_the_decisions_by_their_probabilities() -> None:
    beliefs = {**CERTAIN_NOTHING, "changing_knowledge": {"True": 0.3, "False": 0.7}, "labelled": {"many": 1.0}}
    dist = decision_distribution(beliefs)
    assert dist["rag"] == pytest.approx(0.3) and dist["fine-tune"] == pytest.approx(0.7)


def test_every_corpus_row_is_labelled_consistently_with_the_policy() -> None:
    """The corpus's decisions follow from its profile fields by the policy's rules (no contradictions)."""
    for row in load_rows(corpus_files()):
        profile = TaskProfile(task=row["task"], labelled=field_label(row, "labelled"),
                              output_shape=row["output_shape"], domain_style=row["domain_style"],
                              volume=row["volume"], latency=row["latency"], privacy=row["privacy"],
                              changing_knowledge=row["changing_knowledge"], personal=row["personal"])
        assert decide_profile(profile) == row["decision"], row["text"]


def test_the_shipped_reader_was_trained_on_the_shipped_corpus() -> None:
    """Change the corpus and forget to rebuild (`python -m assistant.advisor.reader_build`): this fails."""
    assert corpus_digest_of(READER_PATH) == corpus_digest()
    assert sum(len(load_rows([p])) for p in corpus_files()) >= 600


def test_reader_heads_cover_every_field_with_distributions() -> None:
    beliefs = load_reader().beliefs(["Tag drug names in 5,000 annotated clinical notes on our own servers."])[0]
    assert set(beliefs) == set(PROFILE_FIELDS)
    for field, dist in beliefs.items():
        assert sum(dist.values()) == pytest.approx(1.0), field
    assert max(beliefs["task"], key=beliefs["task"].get) == "token-classification"


def test_an_llm_profile_is_used_as_read() -> None:
    profile = TaskProfile(task="summarization", labelled_examples=5000, output_shape="free-text",
                          quotes={"labelled": "5,000 pairs"})
    advice = advise("Summaries of our reports.", profile=profile)
    assert advice.decision == "fine-tune" and advice.task == "summarization"
    assert advice.signals["read_by"] == "LLM" and '"5,000 pairs"' in advice.reasons[0]


def test_low_confidence_asks_the_deciding_question_instead_of_guessing() -> None:
    asked = [a for a in (advise(d) for d in ("Need help with tweets.", "Something for our invoices, maybe.",
                                             "Do we need a model for our emails?"))]
    for advice in asked:
        if advice.decision is None:
            assert advice.questions and advice.leaning is not None
            assert advice.confidence < ASK_BELOW or advice.task is None
        else:
            assert advice.confidence >= ASK_BELOW and advice.task is not None


def test_assess_task_schema_takes_a_profile_generated_from_task_profile() -> None:
    from assistant.tools.schemas import AssessTaskArgs

    schema = AssessTaskArgs.model_json_schema()
    fields = set(schema["$defs"]["TaskProfile"]["properties"])
    assert set(PROFILE_FIELDS) <= fields and "quotes" in fields
    args = AssessTaskArgs(description="Route tickets", profile={"task": "text-classification",
                                                                "labelled_examples": 700})
    assert args.profile is not None and args.profile.bucket() == "many"
    with pytest.raises(ValueError):
        AssessTaskArgs(description="Route tickets", profile={"task": "text-classification", "bogus": 1})


@pytest.mark.parametrize("values", list(itertools.islice(itertools.product([True, False], repeat=3), 8)))
def test_advice_json_round_trips(values: tuple[bool, bool, bool]) -> None:
    profile = TaskProfile(task="chat", changing_knowledge=values[0], personal=values[1], latency=values[2])
    advice = advise("A chat assistant.", profile=profile)
    assert json.loads(advice.model_dump_json())["decision"] == decide_profile(profile)
