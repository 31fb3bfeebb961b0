"""Callbacks of the Gradio page. They never raise to the browser: user errors become readable text."""

from __future__ import annotations

import json
import logging
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from assistant.agent import Assistant
from assistant.ui.compare_tab import (
    fmt_delta,
    fmt_metric,
    is_catalog_model,
    pair_outputs,
    readable_example,
    side_by_side,
)
from catalog.errors import TunewiseError
from finetune.redact import redact

log = logging.getLogger(__name__)
JOB_COLUMNS = ["id", "status", "task", "model", "progress", "loss", "created"]
STREAM_INTERVAL_S = 0.05
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


def parse_roles(text: str) -> dict[str, str]:
    """``"text=body, label=intent"`` -> ``{"text": "body", "label": "intent"}``.

    Raises:
        ConfigError: A part that is not ROLE=COLUMN.
    """
    from catalog.errors import ConfigError

    roles: dict[str, str] = {}
    for part in (p.strip() for p in (text or "").replace(";", ",").split(",")):
        if not part:
            continue
        role, sep, column = part.partition("=")
        if not sep or not role.strip() or not column.strip():
            raise ConfigError(f"'{part}' is not ROLE=COLUMN; write e.g. text=body, label=intent.")
        roles[role.strip()] = column.strip()
    return roles


UPLOAD_TYPES = [".csv", ".tsv", ".json", ".jsonl", ".parquet", ".conll", ".txt"]


def tool_step(name: str, args: dict[str, Any], call_id: str) -> dict[str, Any]:
    """A collapsible chat entry for one tool call (filled in when its result arrives)."""
    return {"role": "assistant", "content": f"```json\n{json.dumps(args, indent=1)}\n```",
            "metadata": {"title": f"Tool call: {name}", "status": "pending", "id": call_id}}


def to_chat(messages: list[BaseMessage], history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Append LangChain messages to a Gradio messages-format history (tool calls as collapsible steps)."""
    for m in messages:
        if isinstance(m, HumanMessage):
            history.append({"role": "user", "content": str(m.content)})
        elif isinstance(m, AIMessage):
            if m.content and str(m.content).strip():
                history.append({"role": "assistant", "content": str(m.content)})
            history += [tool_step(c["name"], c["args"], str(c["id"])) for c in m.tool_calls]
        elif isinstance(m, ToolMessage):
            for entry in reversed(history):
                meta = entry.get("metadata") or {}
                if meta.get("id") == m.tool_call_id:
                    result = str(m.content)
                    entry["content"] += "\n**Result**\n\n" + (result if len(result) < 3000 else result[:3000] + " …")
                    meta["status"] = "done"
                    if result.startswith("Error"):
                        meta["title"] += " — error"
                    break
    return history


class Handlers:
    """All page callbacks, bound to one ``Assistant`` (and through it the shared services)."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.services = assistant.services

    # -- chat ------------------------------------------------------------------------------------
    def chat(self, message: str, history: list[dict[str, Any]],
             session_id: str | None) -> Iterator[tuple[list, str, str]]:
        """Stream one turn: the user's message, each tool step as it happens, then the reply.

        Yields ``(history, "", session id)``: a message sent before the page's load event has given the
        browser its session id gets a session here, and the page keeps that id for the next turns.
        """
        session = self.services.session(session_id or None)
        message = (message or "").strip()
        if not message:
            yield history, "", session.id
            return
        history = list(history or []) + [{"role": "user", "content": redact(message)}]
        yield history, "", session.id
        try:
            streaming, shown = False, 0.0
            for kind, item in self.assistant.events(session, message):
                if kind == "token":
                    if not streaming:
                        history.append({"role": "assistant", "content": ""})
                        streaming = True
                    history[-1]["content"] += item
                    if time.monotonic() - shown < STREAM_INTERVAL_S:
                        continue  # coalesce tokens: the page redraws at most ~20 times a second
                elif kind == "notice":
                    history.append({"role": "assistant", "content": ("🔒 " if "secret" in item else "ℹ️ ") + item})
                else:
                    if streaming and isinstance(item, AIMessage):
                        history.pop()  # the finished message replaces its streamed draft
                        streaming = False
                    history = to_chat([item], history)
                shown = time.monotonic()
                yield history, "", session.id
            yield history, "", session.id
        except TunewiseError as exc:
            history.append({"role": "assistant", "content": f"⚠️ {exc}"})
            yield history, "", session.id
        except Exception:
            log.exception("chat turn failed")
            history.append({"role": "assistant", "content": "⚠️ Something went wrong on my side; the details are "
                            "in the server log. Please try again or rephrase."})
            yield history, "", session.id

    def suggestions(self, session_id: str | None) -> list[Any]:
        """The quick-reply buttons: labels and visibility for where this conversation is."""
        import gradio as gr

        from assistant.ui.suggestions import MAX_SUGGESTIONS, next_actions

        labels = next_actions(self.services, self.services.session(session_id or None))[:MAX_SUGGESTIONS]
        return [gr.update(value=labels[i], visible=True) if i < len(labels) else gr.update(visible=False)
                for i in range(MAX_SUGGESTIONS)]

    def restore(self, session_id: str | None) -> tuple[str, list[dict[str, Any]]]:
        """On page load: keep the browser's session id (or make one) and replay that conversation."""
        session = self.services.session(session_id or None)
        agent = self.assistant.agent_for(session)
        state = agent.get_state({"configurable": {"thread_id": session.id}})
        messages = (state.values or {}).get("messages", []) if state else []
        return session.id, to_chat(list(messages), [])

    # -- data ------------------------------------------------------------------------------------
    def upload(self, file_path: str | None, session_id: str, task: str = "auto-detect",
               roles: str = "") -> tuple[str, Any, str]:
        """Copy an upload into the session's workspace folder and validate it."""
        from finetune.workspace import safe_name, uploads_dir, workspace_root

        if not file_path:
            return "Upload a CSV, TSV, JSON, JSON lines, Parquet or CoNLL file.", None, ""
        session = self.services.session(session_id)
        src = Path(file_path)
        if src.suffix.lower() not in UPLOAD_TYPES:
            return f"Problem: `{src.name}` has an unsupported type. Use {', '.join(UPLOAD_TYPES)}.", None, ""
        problem = _upload_problem(str(file_path))
        if problem:
            return f"Problem: `{src.name}` {problem}", None, ""
        dest = uploads_dir(session.owner) / safe_name(src.name)
        try:
            shutil.copyfile(src, dest, follow_symlinks=False)
        except OSError as exc:
            log.warning("upload %s could not be copied: %s", src.name, exc)
            return f"Problem: `{src.name}` could not be saved ({exc.strerror or exc}). Upload it again.", None, ""
        rel = str(dest.relative_to(workspace_root()))
        text, preview = self._check(rel, task, roles)
        if rel not in session.datasets:
            session.datasets.append(rel)
        return text, preview, rel

    def recheck(self, rel: str, task: str, roles: str) -> tuple[str, Any]:
        """Validate the uploaded file again with the task and column roles the user chose."""
        if not rel:
            return "Upload a file first.", None
        return self._check(rel, task, roles)

    @staticmethod
    def _check(rel: str, task: str, roles: str) -> tuple[str, Any]:
        from finetune.data.facade import inspect_data, preview_records
        from finetune.workspace import confine

        try:
            columns = parse_roles(roles)
            path = confine(rel)
            report = inspect_data(path, task=None if task in ("", "auto-detect") else task, columns=columns or None)
            preview = preview_records(path)
        except TunewiseError as exc:
            return f"Problem: {exc}", None
        head = "Ready for training." if report.ok else "Fix these problems, then upload again (or re-check)."
        return f"**{head}** Saved as `{rel}`.\n\n{report.to_markdown()}", preview

    # -- catalog ---------------------------------------------------------------------------------
    def catalog(self, task: str, language: str, license_kind: str, max_params_m: float, fits_only: bool) -> Any:
        """The catalog table, filtered and ranked for this machine."""
        from assistant.ui.catalog_tab import catalog_table

        return catalog_table(task, language, license_kind, max_params_m, fits_only)

    # -- jobs ------------------------------------------------------------------------------------
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

    # -- compare ---------------------------------------------------------------------------------
    def compare_choices(self, session_id: str) -> Any:
        """Succeeded jobs of this session, newest first."""
        import gradio as gr

        session = self.services.session(session_id)
        jobs = [j.id for j in self.services.runner.list(owner=self.services.owner_filter(session))
                if j.status == "succeeded"]
        value = session.last_job_id if session.last_job_id in jobs else (jobs[0] if jobs else None)
        return gr.update(choices=jobs, value=value)

    def compare(self, job_id: str | None, session_id: str) -> tuple[str, Any]:
        """Held-out metrics and examples, base vs tuned."""
        import pandas as pd

        from finetune.serve.pair import compare_job

        if not job_id:
            return "No finished job yet: fine-tune a model first.", None
        session = self.services.session(session_id)
        try:
            job = self.services.runner.get(job_id, self.services.owner_filter(session))
            result = compare_job(job.path, limit=30)
        except TunewiseError as exc:
            return f"⚠️ {exc}", None
        method = result["base_method"] or "none (an untrained head is no baseline for this task)"
        lines = [f"### {job.model} on `{job.data}` ({result['task']})", f"Base: {method}. "
                 f"Held-out rows: {result['eval_rows']}.", "", "| metric | base | tuned | change |", "|---|---|---|---|"]
        for key, tuned in result["metrics"]["tuned"].items():
            base = result["metrics"]["base"].get(key)
            lines.append(f"| {key} | {fmt_metric(key, base)} | {fmt_metric(key, tuned)} | "
                         f"{fmt_delta(key, base, tuned)} |")
        if not is_catalog_model(job.model):
            from assistant.tools.actions import TINY_NOTE

            lines.append(f"\n> ⚠️ {TINY_NOTE}")
        columns = ["reference", "base", "tuned", "tuned_score", "input"]
        rows = [readable_example(result["task"], e) for e in result["examples"]]
        examples = pd.DataFrame(rows).reindex(columns=columns)
        return "\n".join(lines), examples

    def try_input(self, job_id: str | None, text: str, session_id: str) -> Iterator[tuple[str, str]]:
        """Run one new input through base and tuned; generated text streams in as it is made."""
        if not job_id or not (text or "").strip():
            yield "Pick a finished job and type an input.", ""
            return
        session = self.services.session(session_id)
        try:
            job = self.services.runner.get(job_id, self.services.owner_filter(session))
            yield from side_by_side(job.path, text)
        except TunewiseError as exc:
            yield f"⚠️ {exc}", ""

    def ab_show(self, job_id: str | None, text: str, session_id: str) -> tuple[str, str, str, str]:
        """Run an input through both models and show the answers as A and B in random order."""
        from finetune.serve.ab import VoteStore

        if not job_id or not (text or "").strip():
            return "", "", "", "Pick a finished job and type an input."
        session = self.services.session(session_id)
        try:
            job = self.services.runner.get(job_id, self.services.owner_filter(session))
            base, tuned = pair_outputs(job.path, text)
            store = VoteStore()
            trial = store.new_trial(job.id, session.owner, text.strip()[:4000], base, tuned)
            tally = store.tally(job.id).describe()
        except TunewiseError as exc:
            return "", "", "", f"Problem: {exc}"
        return f"**A:** {trial.left}", f"**B:** {trial.right}", trial.id, f"Vote to reveal. {tally}"

    def ab_vote(self, trial_id: str, vote: str, job_id: str | None, session_id: str) -> tuple[str, str]:
        """Record a vote, reveal which side was tuned, and show the tally."""
        from finetune.serve.ab import VoteStore

        if not trial_id:
            return "Show two answers first, then vote.", ""
        session = self.services.session(session_id)
        store = VoteStore()
        try:
            result = store.vote(trial_id, vote, session.owner)
        except TunewiseError as exc:
            return f"Problem: {exc}", ""
        tuned_letter = "A" if result["tuned_side"] == "left" else "B"
        verdict = {"tuned": "you preferred the **tuned** model", "base": "you preferred the **base** model",
                   "tie": "you called it a tie", "both_bad": "you found both answers bad"}[result["winner"]]
        tally = store.tally(job_id).describe() if job_id else ""
        return f"{tuned_letter} was the tuned model: {verdict}. {tally}", ""


def _upload_problem(file_path: str) -> str | None:
    """Why an uploaded path must not be copied, or None when it is a plain file Gradio received.

    Gradio hands the handler a file in its upload folder. Anything else (a path outside that folder and the
    workspace, a symlink, a folder, a device or pipe, a NUL byte) did not come from an upload: copying it
    would read a file of the server's into the workspace (or block on a pipe).
    """
    import os

    from gradio.utils import get_upload_folder

    from finetune.workspace import workspace_root

    if "\x00" in file_path:
        return "has a NUL character in its name; upload a plain file."
    src = Path(file_path)
    if src.is_symlink():
        return "is a symbolic link, not an uploaded file; upload the file itself."
    if not src.is_file():
        return "is not a regular file (missing, a folder or a device); upload the file itself."
    real = src.resolve()
    roots = [Path(get_upload_folder()).resolve(), workspace_root()]
    if not any(real.is_relative_to(root) for root in roots):
        return "is outside the upload folder and the workspace; upload the file through the page."
    if not os.access(real, os.R_OK):
        return "cannot be read; upload it again."
    return None
