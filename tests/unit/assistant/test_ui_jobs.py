"""The Jobs tab's held-out metric curve: each task's own metrics, not only classification's."""

from __future__ import annotations


def test_the_held_out_curve_shows_each_tasks_own_metrics() -> None:
    from assistant.ui.jobs_tab import eval_curve_rows

    cls = eval_curve_rows([(40, {"loss": 0.9, "accuracy": 0.77, "macro_f1": 0.76, "epoch": 1.0})])
    assert {r["metric"] for r in cls} == {"accuracy", "macro_f1"}
    ner = eval_curve_rows([(10, {"loss": 1.2, "precision": 0.4, "recall": 0.3, "f1": 0.35})])
    assert {r["metric"] for r in ner} == {"precision", "recall", "f1"}
    chat = eval_curve_rows([(5, {"loss": 2.1, "perplexity": 8.2}), (10, {"loss": 1.9, "perplexity": 6.7})])
    assert [(r["step"], r["metric"], r["value"]) for r in chat] == [(5, "loss", 2.1), (10, "loss", 1.9)]
    assert eval_curve_rows([]) == []
