"""The Jobs tab's callbacks: the job table, the selected job's progress, loss and held-out curves and log
tail, and cancel / resume / retry. They never raise to the browser: user errors become readable text."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from catalog.errors import TunewiseError

if TYPE_CHECKING:
    from assistant.agent import Assistant

JOB_COLUMNS = ["id", "status", "task", "model", "progress", "loss", "created"]
#: Terminal colour codes libraries write into the training log (shown as junk in the page's log box).
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: Held-out curves that are not task metrics (or are on another scale than the task's own).
NOT_CURVES = {"epoch", "loss", "perplexity"}


def eval_curve_rows(evals: list[tuple[int, dict[str, float]]]) -> list[dict[str, Any]]:
    """The held-out metric curve's points: the task's metrics (accuracy and macro-F1, entity F1, EM/F1,
    ROUGE, BLEU/chrF); held-out loss only for a task that has no other (chat)."""
    keys = {k for _, metrics in evals for k in metrics}
    shown = keys - NOT_CURVES or keys & {"loss"}
    return [{"step": step, "metric": k, "value": v} for step, metrics in evals for k, v in metrics.items()
            if k in shown]


class JobsHandlers:
    """The Jobs tab's callbacks, bound to one ``Assistant`` (and through it the shared services)."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.services = assistant.services

    def jobs(self, session_id: str, selected: str | None) -> tuple[Any, Any, str, Any, Any, str]:
        """Refresh the job table and the selected job's progress, loss curve, eval curve and log tail."""
        import gradio as gr
        import pandas as pd

        session = self.services.session(session_id)
        owner = self.services.owner_filter(session)
        runner = self.services.runner
        rows = []
        for job in runner.list(owner=owner)[:50]:
            p = runner.progress(job.id)
            rows.append({"id": job.id, "status": job.status, "task": job.task, "model": job.model.split("/")[-1],
                         "progress": f"{p.percent:.0f}%", "loss": "" if p.loss is None else f"{p.loss:.3f}",
                         "created": pd.Timestamp(job.created, unit="s").strftime("%Y-%m-%d %H:%M")})
        ids = [r["id"] for r in rows]
        if selected not in ids:
            selected = session.last_job_id if session.last_job_id in ids else (ids[0] if ids else None)
        detail, losses, evals, logs = "No jobs yet. Start one from the chat.", None, None, ""
        if selected:
            detail, losses, evals, logs = self._job_detail(selected)
        table = pd.DataFrame(rows, columns=JOB_COLUMNS)
        return table, gr.update(choices=ids, value=selected), detail, losses, evals, logs

    def _job_detail(self, job_id: str) -> tuple[str, Any, Any, str]:
        import pandas as pd

        runner = self.services.runner
        job = runner.get(job_id)
        p = runner.progress(job_id)
        lines = [f"**{job.id}** — **{p.status}** ({p.phase}) · step {p.step}/{p.total_steps or '?'} · {p.percent:.0f}%"]
        if p.eta_s is not None and p.status == "running":
            lines.append(f"about {p.eta_s:.0f} s left")
        if p.metrics:
            from assistant.tools.actions import metric_line

            lines.append(metric_line(p.metrics))
        if p.reason:
            lines.append(f"reason: {p.reason}")
        losses = pd.DataFrame(p.losses, columns=["step", "loss"]) if p.losses else None
        eval_rows = eval_curve_rows(p.evals)
        evals = pd.DataFrame(eval_rows) if eval_rows else None
        log_file = job.path / "train.log"
        tail = ""
        if log_file.exists():
            with log_file.open("rb") as fh:
                fh.seek(max(0, log_file.stat().st_size - 4000))
                tail = ANSI_ESCAPE.sub("", fh.read().decode("utf-8", errors="replace"))
        return "\n\n".join(lines), losses, evals, tail

    def job_action(self, action: str, job_id: str | None, session_id: str) -> str:
        """Cancel, resume or retry the selected job."""
        if not job_id:
            return "Select a job first."
        session = self.services.session(session_id)
        owner = self.services.owner_filter(session)
        runner = self.services.runner
        try:
            if action == "retry":
                job = runner.retry(job_id, owner)
                return f"Started job {job.id} with the same settings as {job_id} ({job.status})."
            job = (runner.cancel if action == "cancel" else runner.resume)(job_id, owner)
        except TunewiseError as exc:
            return f"Problem: {exc}"
        return f"Job {job.id} is now {job.status}."
