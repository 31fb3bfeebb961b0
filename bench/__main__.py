"""Run the benchmark suite and print one JSON object of named figures (ratios) with goals and pass/fail.

    .venv/bin/python -m bench                 # everything, full shapes (make bench)
    .venv/bin/python -m bench --quick         # smaller shapes and fewer steps, < 5 min on 2 cores
    .venv/bin/python -m bench --only estimator,guide_latency --quick

The object is also written to ``bench/results.json`` (``--output`` to change it); its ``mode`` field says
quick or full. A subset (``--only``) goes to ``bench/results-partial.json`` instead, so that checking one benchmark
never replaces the record of the whole suite. Keys: ``ratios`` (name -> value, unit, goal, passed, what), ``summary`` (which passed or
failed), ``raw`` (each benchmark's measurements), ``errors`` (a benchmark that crashed, with the reason),
``machine``, ``seconds`` (wall time of each benchmark and in all). The exit status is 1 only if a
benchmark crashed; a missed goal is a finding, not a failure of the run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench.common import ROOT, machine
from bench.suite import BENCHMARKS

log = logging.getLogger("bench")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line.

    Raises:
        SystemExit: for an unknown benchmark name in ``--only``.
    """
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller shapes and fewer steps (< 5 min)")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--output", type=Path, default=None,
                        help="where to write the JSON (default bench/results.json; bench/results-partial.json "
                             "with --only)")
    args = parser.parse_args(argv)
    args.names = [n.strip() for n in args.only.split(",") if n.strip()] or list(BENCHMARKS)
    if args.output is None:
        args.output = default_output(args.names)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    return args


def default_output(names: list[str]) -> Path:
    """Where a run writes its report: the suite's record for every benchmark, a side file for a subset."""
    whole = set(names) >= set(BENCHMARKS)
    return ROOT / "bench" / ("results.json" if whole else "results-partial.json")


def run(names: list[str], quick: bool) -> dict[str, Any]:
    """Run the named benchmarks in order; the report object (see the module docstring)."""
    started = time.perf_counter()
    report: dict[str, Any] = {"mode": "quick" if quick else "full",
                              "date": datetime.date.today().isoformat(), "machine": machine(),
                              "ratios": {}, "summary": {}, "raw": {}, "errors": {}, "seconds": {}}
    for name in names:
        log.info("bench %s (%s) ...", name, report["mode"])
        began = time.perf_counter()
        try:
            outcome = BENCHMARKS[name](quick)
        except Exception as exc:  # one crashed benchmark must not hide the others' figures
            report["errors"][name] = f"{type(exc).__name__}: {exc}"
            log.error("bench %s failed:\n%s", name, traceback.format_exc())
        else:
            report["ratios"].update({key: fig.to_json() for key, fig in outcome.figures.items()})
            report["raw"][name] = outcome.raw
        report["seconds"][name] = round(time.perf_counter() - began, 1)
    report["seconds"]["total"] = round(time.perf_counter() - started, 1)
    held = {k: v for k, v in report["ratios"].items() if v["passed"] is not None}
    report["summary"] = {"passed": sorted(k for k, v in held.items() if v["passed"]),
                         "failed": sorted(k for k, v in held.items() if not v["passed"]),
                         "informative": sorted(k for k, v in report["ratios"].items() if v["passed"] is None)}
    return report


def main(argv: list[str] | None = None) -> int:
    """Run, print the JSON object on stdout, write it to ``--output``; 1 if a benchmark crashed."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    args = parse_args(argv)
    report = run(args.names, args.quick)
    text = json.dumps(report, indent=2, default=str)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text + "\n")
    print(text)
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
