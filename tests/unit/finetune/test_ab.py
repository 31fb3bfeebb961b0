"""Blind A/B votes: random sides, reveal after the vote, one vote per trial, tallies with a Wilson interval."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.errors import JobError
from finetune.serve.ab import VoteStore, wilson_interval


def test_wilson_interval_matches_the_textbook_values() -> None:
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    assert wilson_interval(0, 5)[0] == 0.0 and wilson_interval(5, 5)[1] == 1.0
    with pytest.raises(ValueError):
        wilson_interval(3, 0)


def test_sides_are_random_and_hidden_until_the_vote(workspace: Path) -> None:
    store = VoteStore()
    sides = set()
    for i in range(40):
        trial = store.new_trial("job1", "alice", f"input {i}", base_output="BASE", tuned_output="TUNED")
        assert {trial.left, trial.right} == {"BASE", "TUNED"}
        assert not hasattr(trial, "tuned_side")  # the page never gets the answer before the vote
        sides.add(trial.left)
    assert sides == {"BASE", "TUNED"}  # both orders occur (chance of failure 2 * 0.5**40)


def test_vote_reveals_the_winner_once_and_tallies(workspace: Path) -> None:
    store = VoteStore()
    picks = []
    for i in range(10):
        trial = store.new_trial("job1", "alice", f"q{i}", "base answer", "tuned answer",
                                tuned_side="left" if i % 2 else "right")
        picks.append((trial, "left" if i % 2 else "right"))  # always pick the tuned side
    for trial, side in picks[:8]:
        assert store.vote(trial.id, side, "alice")["winner"] == "tuned"
    assert store.vote(picks[8][0].id, "tie", "alice")["winner"] == "tie"
    revealed = store.vote(picks[9][0].id, "left" if picks[9][1] == "right" else "right", "alice")
    assert revealed["winner"] == "base" and revealed["tuned_side"] == picks[9][1]
    tally = store.tally("job1")
    assert (tally.tuned_wins, tally.base_wins, tally.ties, tally.both_bad, tally.votes) == (8, 1, 1, 0, 10)
    assert tally.win_rate == pytest.approx(8 / 9)
    assert tally.low is not None and tally.low > 0.5
    assert "tuned is better" in tally.describe()
    with pytest.raises(JobError, match="already been voted"):
        store.vote(picks[0][0].id, "left", "alice")


def test_votes_are_validated_and_scoped_to_their_owner(workspace: Path) -> None:
    store = VoteStore()
    trial = store.new_trial("job1", "alice", "q", "a", "b")
    with pytest.raises(JobError, match="not a vote"):
        store.vote(trial.id, "maybe", "alice")
    with pytest.raises(JobError, match="does not exist"):
        store.vote(trial.id, "left", "mallory")
    with pytest.raises(JobError, match="does not exist"):
        store.vote("nope", "left", "alice")
    assert store.tally("job1").votes == 0 and store.tally("job1").describe() == "No votes yet."


def test_votes_survive_a_new_store_on_the_same_database(workspace: Path) -> None:
    trial = VoteStore().new_trial("job2", "local", "q", "a", "b", tuned_side="right")
    VoteStore().vote(trial.id, "right", "local")
    assert VoteStore().tally("job2").tuned_wins == 1


def _tiny_job(workspace: Path, task: str) -> Path:
    """Train a tiny job of ``task`` in-process (a few seconds) and return its folder."""
    import shutil

    from finetune.config.run import RunConfig
    from finetune.train.main import main
    from tests.helpers.tiny_models import tiny_encoder_with_minilm_tokenizer, tiny_llama

    root = Path(__file__).resolve().parents[3]
    data, build, targets = {"chat": ("chat_house_style.jsonl", tiny_llama, ["q_proj", "v_proj"]),
                            "token-classification": ("ner_custom_entities.jsonl", tiny_encoder_with_minilm_tokenizer,
                                                     ["query", "value"])}[task]
    shutil.copy(root / "examples" / data, workspace / data)
    job = workspace / "jobs" / task
    job.mkdir(parents=True)
    cfg = RunConfig.from_dict({"task": task, "model": {"name": str(build(workspace / "models" / task))},
                               "data": {"path": data, "max_length": 96}, "lora": {"target_modules": targets},
                               "train": {"max_steps": 4, "batch_size": 8}, "eval": {"max_examples": 2,
                                                                                   "max_new_tokens": 6},
                               "output": {"dir": str(job)}})
    cfg.save(job / "config.yaml")
    assert main([str(job / "config.yaml")]) == 0
    return job


def test_blind_pair_for_a_chat_job_comes_from_base_and_tuned(workspace: Path) -> None:
    from assistant.ui.compare_tab import pair_outputs
    from finetune.serve.pair import model_pair

    job = _tiny_job(workspace, "chat")
    base, tuned = pair_outputs(job, "Where is my order?")
    expected = model_pair(job).predict(["Where is my order?"])[0]
    assert (base, tuned) == (expected["base"]["text"], expected["tuned"]["text"])
    store = VoteStore()
    trial = store.new_trial(job.name, "local", "Where is my order?", base, tuned)
    assert {trial.left, trial.right} == {base, tuned}
    assert store.vote(trial.id, "both_bad", "local")["winner"] == "both_bad"


def test_blind_pair_is_refused_when_the_base_has_no_head(workspace: Path) -> None:
    from assistant.ui.compare_tab import pair_outputs

    job = _tiny_job(workspace, "token-classification")
    with pytest.raises(JobError, match="no trained head"):
        pair_outputs(job, "Replace the chain on the Vento 3")
