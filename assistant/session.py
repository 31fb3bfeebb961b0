"""Per-conversation state: who owns the jobs, the plan awaiting confirmation, the last job."""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass, field

from catalog.env import env_int
from finetune.config.run import RunConfig
from finetune.jobs.runner import JobRunner

_AFFIRM = re.compile(
    r"\b(yes|yep|yeah|yup|sure|ok(ay)?|confirm(ed)?|go( ahead)?|start( it| training| the fine-?tuning)?|"
    r"do it|launch|proceed|sounds good|let'?s go|please do|approved?)\b",
    re.IGNORECASE,
)
_NEGATE = re.compile(r"\b(no|not|don'?t|do not|wait|hold on|stop|cancel|change|instead|but)\b", re.IGNORECASE)


def is_confirmation(text: str) -> bool:
    """True when a message plainly approves a proposed plan ("yes", "go ahead", "start it")."""
    return bool(_AFFIRM.search(text)) and not _NEGATE.search(text) and len(text) < 200


@dataclass
class Session:
    """One chat session. ``owner`` scopes uploads and jobs (``local`` in single-user mode)."""

    id: str = field(default_factory=lambda: secrets.token_hex(8))
    owner: str = "local"
    pending_plan: RunConfig | None = None
    confirmed_plan: RunConfig | None = None
    last_job_id: str | None = None
    datasets: list[str] = field(default_factory=list)
    last_task: str | None = None
    job_ids: list[str] = field(default_factory=list)

    def propose(self, cfg: RunConfig) -> None:
        """Record a plan that needs the user's confirmation before it may start."""
        self.pending_plan = cfg
        self.confirmed_plan = None

    def confirm(self) -> bool:
        """The user approved the pending plan. Returns False when there was none."""
        if self.pending_plan is None:
            return False
        self.confirmed_plan, self.pending_plan = self.pending_plan, None
        return True

    def take_confirmed(self, cfg: RunConfig) -> bool:
        """Consume the confirmation if ``cfg`` is the plan the user approved (ignoring output paths)."""
        if self.confirmed_plan is None:
            return False
        same = _plan_key(self.confirmed_plan) == _plan_key(cfg)
        if same:
            self.confirmed_plan = None
        return same


def _plan_key(cfg: RunConfig) -> dict:
    data = cfg.model_dump(mode="json")
    data.pop("output", None)
    return data


def session_job_limits() -> tuple[int, int]:
    """``(active, total)`` job limits per conversation: ``TUNEWISE_SESSION_ACTIVE_JOBS`` /
    ``TUNEWISE_SESSION_MAX_JOBS`` (defaults in :mod:`catalog.env`).

    Raises:
        ConfigError: When a variable is set to something other than a positive whole number.
    """
    return env_int("TUNEWISE_SESSION_ACTIVE_JOBS"), env_int("TUNEWISE_SESSION_MAX_JOBS")


class Services:
    """Process-wide services shared by all sessions: the job runner and the session table."""

    def __init__(self, runner: JobRunner | None = None, single_user: bool = True) -> None:
        self.runner = runner or JobRunner()
        self.single_user = single_user
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def session(self, session_id: str | None = None) -> Session:
        """Return the session with this id, creating it on first use."""
        with self._lock:
            if session_id and session_id in self._sessions:
                return self._sessions[session_id]
            session = Session(id=session_id) if session_id else Session()
            session.owner = "local" if self.single_user else session.id
            self._sessions[session.id] = session
            return session

    def owner_filter(self, session: Session) -> str | None:
        """The owner whose jobs a session may see: None (all) in single-user mode."""
        return None if self.single_user else session.owner
