"""Evidence measured on the user's data: zero-shot base score and the learning-curve probe."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from finetune.tasks.metrics import learning_curve_probe, project_learning_curve

ROOT = Path(__file__).resolve().parents[2]


def test_projection_follows_a_power_law_exactly() -> None:
    # error = 0.8 * n ** -0.5: 0.08 at 100, 0.04 at 400, so 0.02 at 1600
    points = [(n, 1 - 0.8 * n ** -0.5) for n in (100, 400)]
    assert project_learning_curve(points, 1600) == pytest.approx(0.98, abs=1e-9)


def test_projection_of_a_flat_curve_stays_flat() -> None:
    assert project_learning_curve([(50, 0.7), (125, 0.7), (250, 0.7)], 500) == pytest.approx(0.7)


def test_projection_never_predicts_that_more_data_hurts() -> None:
    projected = project_learning_curve([(50, 0.8), (125, 0.75), (250, 0.7)], 500)
    assert projected == pytest.approx(0.7)


def test_projection_of_a_steep_two_point_curve_stays_below_one() -> None:
    # error 0.7 -> 0.4 over one doubling; two more doublings multiply it by (0.4/0.7) twice
    projected = project_learning_curve([(10, 0.3), (20, 0.6)], 80)
    assert projected == pytest.approx(1 - 0.4 * (0.4 / 0.7) ** 2)


def test_projection_is_capped_by_the_observed_gain_per_doubling() -> None:
    # a noisy middle point steepens the least-squares fit (uncapped it projects about 0.85);
    # the points gained 0.05 per doubling, so two more doublings may add at most 0.1
    projected = project_learning_curve([(10, 0.5), (20, 0.95), (40, 0.6)], 160)
    assert projected == pytest.approx(0.7)


def test_projection_needs_two_sizes() -> None:
    assert project_learning_curve([(100, 0.5)], 400) is None
    assert project_learning_curve([(100, 0.5), (100, 0.6)], 400) is None


def test_probe_on_the_ticket_example_rises_and_projects_above_the_base() -> None:
    from catalog import load_catalog
    from catalog.availability import resolve_model_path
    from finetune.data.classification_split import split_classification
    from finetune.data.intake import load_data

    data = split_classification(load_data(ROOT / "examples" / "support_tickets.csv", task="text-classification"))
    encoder = resolve_model_path(next(m for m in load_catalog().models if m.packaged))
    curve = learning_curve_probe(encoder, data.train_texts, data.train_labels, data.eval_texts, data.eval_labels)
    sizes = [p["examples"] for p in curve["points"]]
    assert sizes == sorted(sizes) and sizes[0] >= 10 * 5  # every label is represented at 10 %
    scores = [p["accuracy"] for p in curve["points"]]
    assert scores[-1] > scores[0]
    assert curve["projected_accuracy"] >= scores[-1]
    assert curve["full_examples"] == len(data.train_texts)


def test_probe_rejects_a_single_label() -> None:
    with pytest.raises(ValueError, match="two labels"):
        learning_curve_probe("unused", ["a", "b"], ["x", "x"], ["c"], ["x"])


def test_dataset_evidence_drives_the_decision_and_the_reasons_quote_it(workspace: Path) -> None:
    from assistant.advisor.advise import advise
    from assistant.tools.actions import dataset_evidence

    shutil.copy(ROOT / "examples" / "support_tickets.csv", workspace / "tickets.csv")
    profile, evidence = dataset_evidence("tickets.csv")
    assert evidence.held_out_rows == 160
    assert evidence.base_score < 0.7
    assert evidence.probe_scores is not None and set(evidence.probe_scores) == {"0.1", "0.25", "0.5"}
    assert evidence.projected_score is not None and evidence.projected_score > evidence.base_score
    advice = advise("Sort our customer messages into intents.", dataset_profile=profile, evidence=evidence)
    assert advice.decision == "fine-tune" and advice.task == "text-classification"
    text = " ".join(advice.reasons)
    assert f"{evidence.base_score:.2f}" in text
    assert f"{evidence.probe_scores['0.5']:.2f} at 50%" in text


def test_generative_data_gets_a_profile_and_the_detected_task(workspace: Path) -> None:
    from assistant.advisor.advise import advise
    from assistant.tools.actions import dataset_evidence

    shutil.copy(ROOT / "examples" / "summarization_incidents.jsonl", workspace / "incidents.jsonl")
    profile, evidence = dataset_evidence("incidents.jsonl")
    assert profile.task == "summarization" and profile.rows == 140
    # the packaged SmolLM2, prompted with worked examples, on a held-out slice of the user's rows
    assert evidence is not None and evidence.metric == "rougeL" and evidence.held_out_rows == 12
    assert 0.0 <= evidence.base_score <= 1.0
    advice = advise("We want short write-ups of our incident reports.", dataset_profile=profile, evidence=evidence)
    assert advice.task == "summarization"
    assert any(f"{evidence.base_score:.2f} rougeL" in r for r in advice.reasons)
