"""The chat's suggested next actions: up to four one-click replies that fit where the conversation is."""

from __future__ import annotations

from assistant.session import Services, Session
from catalog.errors import TunewiseError

MAX_SUGGESTIONS = 4
START = ["Use the example data", "What can you do?", "Which models fit my hardware?"]


def next_actions(services: Services, session: Session) -> list[str]:
    """What the user most likely wants to say next, judged from the session's plan and jobs."""
    if session.pending_plan is not None:
        return ["Yes, start the fine-tuning", "Make it 2 epochs", "How much memory will it need?", "No, not yet"]
    if session.last_job_id:
        try:
            status = services.runner.get(session.last_job_id).status
        except TunewiseError:
            status = ""
        if status in ("queued", "running"):
            return ["Status", "Cancel the job"]
        if status == "succeeded":
            return ["Compare", "Status", "Which models?"]
        if status in ("failed", "cancelled"):
            return ["Status", "Use the example data"]
    if session.last_task:
        return ["Use the example data", "Which models?", "How much memory will it need?"]
    return START
