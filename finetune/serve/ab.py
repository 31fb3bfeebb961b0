"""Blind A/B votes between a job's base and tuned model, kept in the workspace's SQLite database.

A *trial* shows the same input's two outputs in random left/right order; which side is the tuned
model is stored with the trial and revealed only after the vote. Votes: ``left``, ``right``, ``tie`` or
``both_bad``. Tallies count wins of tuned vs base and give the tuned model's win rate among decisive
votes with a Wilson 95 % interval, so a handful of votes is not mistaken for a verdict.
"""

from __future__ import annotations

import math
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from catalog.errors import JobError

Vote = Literal["left", "right", "tie", "both_bad"]
VOTES: tuple[str, ...] = ("left", "right", "tie", "both_bad")

SCHEMA = """
CREATE TABLE IF NOT EXISTS ab_trials (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    input TEXT NOT NULL,
    left_output TEXT NOT NULL,
    right_output TEXT NOT NULL,
    tuned_side TEXT NOT NULL CHECK (tuned_side IN ('left', 'right')),
    created REAL NOT NULL,
    vote TEXT CHECK (vote IS NULL OR vote IN ('left', 'right', 'tie', 'both_bad')),
    voted REAL
);
CREATE INDEX IF NOT EXISTS ab_trials_job ON ab_trials(job_id, vote);
"""


@dataclass
class Trial:
    """One blind comparison as the user sees it (which side is tuned stays hidden until the vote)."""

    id: str
    job_id: str
    input: str
    left: str
    right: str


@dataclass
class Tally:
    """Votes on a job so far, from the tuned model's point of view."""

    tuned_wins: int
    base_wins: int
    ties: int
    both_bad: int
    win_rate: float | None
    """Tuned wins / decisive votes (None before any decisive vote)."""
    low: float | None
    high: float | None
    """Wilson 95 % interval of the win rate."""

    @property
    def votes(self) -> int:
        """All votes cast."""
        return self.tuned_wins + self.base_wins + self.ties + self.both_bad

    def describe(self) -> str:
        """One sentence for the page or the chat."""
        if self.votes == 0:
            return "No votes yet."
        head = (f"{self.votes} votes: tuned preferred {self.tuned_wins}, base preferred {self.base_wins}, "
                f"{self.ties} ties, {self.both_bad} both bad.")
        if self.win_rate is None or self.low is None or self.high is None:
            return head
        verdict = ("tuned is better" if self.low > 0.5 else "base is better" if self.high < 0.5
                   else "not yet a clear difference")
        return (f"{head} Tuned wins {self.win_rate:.0%} of decisive votes (95 % interval {self.low:.0%}–"
                f"{self.high:.0%}): {verdict}.")


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    Args:
        successes: Wins.
        trials: Decisive votes (> 0).
        z: Normal quantile (1.96 for 95 %).

    Raises:
        ValueError: When ``trials`` is not positive or ``successes`` is out of range.
    """
    if trials <= 0 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials and trials > 0, got {successes}/{trials}")
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


class VoteStore:
    """A/B trials and votes in the workspace database (its own tables beside the job store's)."""

    def __init__(self, path: Path | None = None) -> None:
        from finetune.workspace import database_path

        self.path = path or database_path()
        with self._connect() as db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def new_trial(self, job_id: str, owner: str, text: str, base_output: str, tuned_output: str,
                  *, tuned_side: str | None = None) -> Trial:
        """Store a trial with the two outputs in random order (``tuned_side`` fixes it, for tests)."""
        side = tuned_side or secrets.choice(["left", "right"])
        if side not in ("left", "right"):
            raise ValueError(f"tuned_side must be left or right, got {side!r}")
        left, right = (tuned_output, base_output) if side == "left" else (base_output, tuned_output)
        trial_id = secrets.token_hex(8)
        with self._connect() as db:
            db.execute("INSERT INTO ab_trials (id, job_id, owner, input, left_output, right_output, tuned_side, "
                       "created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (trial_id, job_id, owner, text, left, right, side, time.time()))
        return Trial(id=trial_id, job_id=job_id, input=text, left=left, right=right)

    def vote(self, trial_id: str, vote: str, owner: str) -> dict[str, Any]:
        """Record a vote once and reveal the sides.

        Returns:
            ``{"vote", "tuned_side", "winner": "tuned"|"base"|"tie"|"both_bad"}``.

        Raises:
            JobError: Unknown trial, another owner's trial, a second vote, or an invalid vote.
        """
        if vote not in VOTES:
            raise JobError(f"'{vote}' is not a vote; use one of {', '.join(VOTES)}.")
        with self._connect() as db:
            row = db.execute("SELECT tuned_side, vote, owner FROM ab_trials WHERE id = ?", (trial_id,)).fetchone()
            if row is None or row[2] != owner:
                raise JobError("That comparison does not exist (or belongs to another session); show a new pair.")
            if row[1] is not None:
                raise JobError("This pair has already been voted on; show a new pair.")
            db.execute("UPDATE ab_trials SET vote = ?, voted = ? WHERE id = ? AND vote IS NULL",
                       (vote, time.time(), trial_id))
        tuned_side = row[0]
        winner = vote if vote in ("tie", "both_bad") else ("tuned" if vote == tuned_side else "base")
        return {"vote": vote, "tuned_side": tuned_side, "winner": winner}

    def tally(self, job_id: str) -> Tally:
        """Votes on ``job_id`` so far, with the tuned model's win rate and its Wilson interval."""
        with self._connect() as db:
            rows = db.execute("SELECT vote, tuned_side FROM ab_trials WHERE job_id = ? AND vote IS NOT NULL",
                              (job_id,)).fetchall()
        tuned = sum(1 for vote, side in rows if vote == side)
        base = sum(1 for vote, side in rows if vote in ("left", "right") and vote != side)
        ties = sum(1 for vote, _ in rows if vote == "tie")
        both_bad = sum(1 for vote, _ in rows if vote == "both_bad")
        decisive = tuned + base
        low = high = rate = None
        if decisive:
            rate = tuned / decisive
            low, high = wilson_interval(tuned, decisive)
        return Tally(tuned_wins=tuned, base_wins=base, ties=ties, both_bad=both_bad, win_rate=rate, low=low,
                     high=high)
