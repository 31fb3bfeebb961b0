"""``python -m bench`` end to end on its cheapest benchmark: one JSON object of named figures with goals.

It checks the report's shape and meaning, never a timing (timings belong to bench/RESULTS.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_quick_only_guide_latency_prints_and_writes_named_ratios(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    out = subprocess.run([sys.executable, "-m", "bench", "--quick", "--only", "guide_latency",
                          "--output", str(output)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    printed = json.loads(out.stdout)
    assert json.loads(output.read_text()) == printed
    assert printed["mode"] == "quick"
    assert printed["errors"] == {}
    assert set(printed["raw"]) == {"guide_latency"}
    assert printed["machine"]["cpus"] >= 1

    figures = printed["ratios"]
    assert "guide_first_token_p50_ms" in figures
    for name, figure in figures.items():
        assert set(figure) == {"value", "unit", "goal", "passed", "what"}, name
        assert isinstance(figure["value"], float) and figure["value"] >= 0, name
        assert (figure["goal"] is None) == (figure["passed"] is None), name
    headline = figures["guide_first_token_p50_ms"]
    assert headline["goal"] == "< 300" and isinstance(headline["passed"], bool)
    assert headline["passed"] == (headline["value"] < 300)
    summary = printed["summary"]
    assert sorted(summary["passed"] + summary["failed"] + summary["informative"]) == sorted(figures)

    raw = printed["raw"]["guide_latency"]
    assert raw["jobs_started"] == 0  # the script never confirms a plan
    assert len(raw["turns"]) == 7 and all(turn["streamed"] for turn in raw["turns"])
    tools = [name for turn in raw["turns"] for name in turn["tools"]]
    assert {"assess_task", "inspect_dataset", "start_finetune"} <= set(tools)
    assert raw["summary"]["warm_turns"] == 6


def test_a_subset_run_never_replaces_the_whole_suites_record() -> None:
    from bench.__main__ import default_output, parse_args
    from bench.suite import BENCHMARKS

    assert default_output(list(BENCHMARKS)).name == "results.json"
    assert parse_args([]).output.name == "results.json"
    assert parse_args(["--quick"]).output.name == "results.json"
    assert parse_args(["--only", "advisor"]).output.name == "results-partial.json"
    assert parse_args(["--only", "advisor", "--output", "x.json"]).output == Path("x.json")


def test_bench_rejects_an_unknown_benchmark_name() -> None:
    out = subprocess.run([sys.executable, "-m", "bench", "--only", "nope"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2
    assert "unknown benchmark(s) nope" in out.stderr and "guide_latency" in out.stderr
