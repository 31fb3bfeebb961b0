"""Shared pieces of the benchmark suite: goals, figures, percentiles, child processes, the machine.

Every figure the suite reports is a :class:`Figure`: a value (a ratio against a baseline measured in the
same run, or, where the issue sets an absolute budget, a number with its unit), the goal it is held to,
and whether it met it. Raw measurements travel separately (see ``bench.__main__``).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parents[1]

Op = Literal["<=", ">=", "<", "within"]


@dataclass(frozen=True)
class Goal:
    """A target for one figure: ``value op target`` or, for ``within``, ``|value - 1| <= target``."""

    op: Op
    target: float

    def met(self, value: float) -> bool:
        """Whether ``value`` meets this goal."""
        if self.op == "<=":
            return value <= self.target
        if self.op == ">=":
            return value >= self.target
        if self.op == "<":
            return value < self.target
        return abs(value - 1) <= self.target

    def __str__(self) -> str:
        if self.op == "within":
            return f"within {self.target:.0%} of 1 ({1 - self.target:g}..{1 + self.target:g})"
        return f"{self.op} {self.target:g}"


@dataclass
class Figure:
    """One reported figure: ``value`` (ours / baseline unless ``unit`` says otherwise) against its goal.

    A figure without a goal is informative only (``passed`` is then ``None``).
    """

    value: float
    goal: Goal | None = None
    what: str = ""
    unit: str = "x"

    def to_json(self) -> dict[str, Any]:
        """The JSON form: value, unit, goal (text), passed (bool or None) and what it measures."""
        return {"value": round(self.value, 4), "unit": self.unit, "goal": str(self.goal) if self.goal else None,
                "passed": self.goal.met(self.value) if self.goal else None, "what": self.what}


@dataclass
class BenchOutcome:
    """What one benchmark returns: its named figures and the raw measurements they were computed from."""

    figures: dict[str, Figure]
    raw: dict[str, Any]


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values`` with linear interpolation between ranks.

    Raises:
        ValueError: if ``values`` is empty.
    """
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def run_json_child(command: list[str], env: dict[str, str] | None = None, timeout: float = 900) -> dict[str, Any]:
    """Run a benchmark child process and parse the JSON object on the last line of its stdout.

    Raises:
        RuntimeError: if the child fails; the message carries the tail of its stderr.
    """
    out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} ... exited {out.returncode}:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_sides(script: str, sides: tuple[str, ...], argv: list[str], **env: str) -> dict[str, dict[str, Any]]:
    """Run ``script --child SIDE ARGV`` for each side, each in a fresh process with its own temporary workspace
    (``TUNEWISE_HOME``) and the extra environment ``env``; each child's JSON result by side."""
    import sys
    import tempfile

    results = {}
    for side in sides:
        with tempfile.TemporaryDirectory(prefix="tw-bench-") as home:
            results[side] = run_json_child([sys.executable, script, "--child", side, *argv],
                                           env={**os.environ, "TUNEWISE_HOME": home, **env})
    return results


def machine() -> dict[str, Any]:
    """What the figures were measured on: CPU model, cores, memory, load and library versions."""
    info: dict[str, Any] = {"platform": platform.platform(), "python": platform.python_version(),
                            "cpus": os.cpu_count()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        info["avx512"] = "avx512f" in Path("/proc/cpuinfo").read_text()
        mem_kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        info["ram_gib"] = round(mem_kib / 2**20, 1)
        info["load_avg_at_start"] = [round(x, 2) for x in os.getloadavg()]
    except (OSError, IndexError, ValueError):  # not Linux: keep what platform gives
        pass
    from importlib.metadata import PackageNotFoundError, version

    for package in ("torch", "transformers", "peft", "bitsandbytes", "gradio", "langchain"):
        try:
            info[package] = version(package)
        except PackageNotFoundError:
            info[package] = None
    return info
