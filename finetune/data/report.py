"""What dataset intake reports: one :class:`Problem` (where, what, the fix) and the :class:`DatasetReport`.

The readers, the row and file checks and intake all write these; this module imports nothing else of
``finetune``, so each of them can import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_PER_KIND = 20
"""Problems of one kind listed row by row before the rest are summarised in one line."""


@dataclass
class Problem:
    """One thing wrong with a dataset: where, what, and how to fix it."""

    row: int | None
    field: str | None
    message: str
    fix: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by ``tunewise data check --json``."""
        return {"row": self.row, "field": self.field, "message": self.message, "fix": self.fix}

    def __str__(self) -> str:
        where = f"Row {self.row}" if self.row is not None else ""
        where += f", field '{self.field}'" if self.field and where else (f"Field '{self.field}'" if self.field else "")
        return f"{where + ': ' if where else ''}{self.message} Fix: {self.fix}"


@dataclass
class DatasetReport:
    """What intake found: format, task, column roles, statistics, problems and warnings."""

    path: str
    format: str | None = None
    task: str | None = None
    rows: int = 0
    columns: list[str] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)
    """Label counts (classification) or entity-type counts (NER)."""
    splits: dict[str, int] = field(default_factory=dict)
    lengths: dict[str, float] = field(default_factory=dict)
    """Tokens per example: mean, p95, max (``approximate`` = 1 when counted in words, not tokens)."""
    max_length: int | None = None
    truncated: int = 0
    encoding: str | None = None
    compression: str | None = None
    """``gzip``, ``bz2``, ``xz``, ``zstd`` or ``zip`` when the file was read decompressed."""
    languages: list[str] = field(default_factory=list)
    chat_style: str | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing blocks training."""
        return not self.problems and self.task is not None

    @property
    def errors(self) -> list[str]:
        """The problems as sentences."""
        return [str(p) for p in self.problems]

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``tunewise data check --json``."""
        return {"ok": self.ok, "task": self.task, "format": self.format, "rows": self.rows, "columns": self.columns,
                "roles": self.roles, "labels": self.labels, "splits": self.splits, "lengths": self.lengths,
                "max_length": self.max_length, "truncated": self.truncated, "encoding": self.encoding,
                "compression": self.compression, "chat_style": self.chat_style,
                "languages": self.languages, "problems": [p.to_dict() for p in self.problems],
                "warnings": [w.to_dict() for w in self.warnings]}

    def to_markdown(self) -> str:
        """Render the report for a chat message or the Data tab."""
        packed = f", {self.compression}-compressed" if self.compression else ""
        head = f"**{self.rows} rows** of **{self.task or 'unknown task'}** data ({self.format or '?'} file{packed})"
        lines = [head, "columns: " + ", ".join(f"`{c}`" for c in self.columns)]
        if self.roles:
            lines.append("roles: " + ", ".join(f"{r} = `{c}`" for r, c in self.roles.items()))
        if self.splits:
            lines.append("splits: " + ", ".join(f"{k} {v}" for k, v in self.splits.items()))
        if self.labels:
            top = sorted(self.labels.items(), key=lambda kv: -kv[1])
            shown = ", ".join(f"{k} {v}" for k, v in top[:12]) + (f", … ({len(top)} in all)" if len(top) > 12 else "")
            lines.append(f"{'entity types' if self.task == 'token-classification' else 'labels'}: {shown}")
        if self.lengths:
            unit = "words" if self.lengths.get("approximate") else "tokens"
            lines.append(f"length in {unit}: mean {self.lengths['mean']:.0f}, 95th percentile "
                         f"{self.lengths['p95']:.0f}, max {self.lengths['max']:.0f}; {self.truncated} rows longer than "
                         f"{self.max_length} would be truncated")
        # Markdown joins single newlines into one paragraph: break the facts with "  \n" and keep the
        # warnings and problems a list of their own.
        text = "  \n".join(lines)
        items = [f"- Warning: {w}" for w in self.warnings] + [f"- Problem: {p}" for p in self.problems]
        if items:
            text += "\n\n" + "\n".join(items)
        if self.ok:
            text += "\n\nUsable for training."
        return text
