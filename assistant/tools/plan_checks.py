"""Checks a fine-tuning plan passes before it may start: the model can do the task and can be loaded
here, the plan fits its data and this machine (the pre-flight fit every job gets, adjusted where it can be), and the
conversation is within its job limits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from assistant.session import Services, Session
from catalog.errors import JobError, TunewiseError
from finetune.config.run import RunConfig

if TYPE_CHECKING:
    from finetune.train.preflight import Preflight


def check_session_limits(services: Services, session: Session) -> None:
    """Refuse a new job when this conversation has too many running or has started its quota.

    Raises:
        JobError: Naming the limit, the jobs in the way and what to do.
    """
    from assistant.session import session_job_limits

    active_limit, total_limit = session_job_limits()
    if len(session.job_ids) >= total_limit:
        session.pending_plan, session.confirmed_plan = session.confirmed_plan, None
        raise JobError(f"This conversation has already started {len(session.job_ids)} jobs, its limit "
                       f"(TUNEWISE_SESSION_MAX_JOBS={total_limit}). Start a new conversation to train more.")
    active = []
    for job_id in session.job_ids:
        try:
            job = services.runner.get(job_id)
        except TunewiseError:
            continue
        if job.status in ("queued", "running"):
            active.append(job.id)
    if len(active) >= active_limit:
        session.pending_plan, session.confirmed_plan = session.confirmed_plan, None  # "yes" again later
        raise JobError(f"This conversation already has {len(active)} job(s) queued or running "
                       f"({', '.join(active)}), its limit (TUNEWISE_SESSION_ACTIVE_JOBS={active_limit}). Wait for "
                       "one to finish or cancel one (say **cancel**), then confirm again.")


def fit_to_machine(cfg: RunConfig, given: BaseModel) -> Preflight:
    """The pre-flight fit every job gets (``finetune.train.preflight``), for a plan the agent proposes.

    The length comes from the data, the batch, accumulation and checkpointing from this machine's memory, and on a
    CPU the steps from the time budget; the arguments the call gave are kept wherever they fit.

    Args:
        cfg: The plan (its data path already confined to the workspace).
        given: The ``start_finetune`` arguments, to tell the ones the call set from the defaults.

    Returns:
        The fitted plan, what changed in words, and its memory and time estimates.

    Raises:
        TunewiseError: When nothing makes it fit, naming the need and the machine; ModelError for a model that is
            neither in the catalog nor a model folder; DataError for unusable data.
    """
    from assistant.tools.schemas import START_FINETUNE_FIELDS
    from catalog import get_model, load_catalog
    from finetune.train.model import resolve_model_source
    from finetune.train.preflight import preflight

    name = cfg.model.name
    if load_catalog().get(name) is None and resolve_model_source(name)[0] == name:
        get_model(name)  # neither a catalog model nor a model folder: raises, naming the closest catalog ids
    explicit = {START_FINETUNE_FIELDS[field] for field in given.model_dump(exclude_none=True)}
    return preflight(cfg, explicit=explicit)


def check_model_for(model: str, task: str) -> Any:
    """Refuse a plan whose catalog model cannot do the task; return the catalog entry (None for a folder).

    Raises:
        TunewiseError: Naming the model's tasks and what to do instead.
    """
    from catalog import load_catalog
    from finetune.train.model import resolve_model_source

    entry = load_catalog().get(model)
    if entry is None:
        resolve_model_source(model)  # a model folder in the workspace: it must exist and hold config.json
        return None
    if task not in entry.tasks:
        raise TunewiseError(f"{entry.id} is not a {task} model (its tasks: {', '.join(entry.tasks)}). "
                            "Ask me which models fit the task.")
    return entry


def check_available(entry: Any, task: str) -> None:
    """Refuse a catalog model that cannot be loaded here (not packaged or cached, and no hub).

    Raises:
        TunewiseError: Saying why, and naming a model for the same task that can be loaded, or how to
            provide one.
    """
    from catalog import load_catalog
    from catalog.availability import availability

    if entry is None or availability(entry) != "unavailable":
        return
    usable = [e.id for e in load_catalog().for_task(task) if availability(e) != "unavailable"]
    if usable:
        instead = f"Pick one that is: {', '.join(usable[:3])} (say **use model {usable[0]}**)."
    else:
        instead = (f"No {task} model can be loaded here: none is packaged or cached. Put a model folder "
                   "(with its config.json) in the workspace, e.g. `models/my-model`, and say **use model "
                   f"models/my-model**; or connect to the Hub once (`hf download {entry.id}`) and try again.")
    raise TunewiseError(f"{entry.id} cannot be loaded here: it is not packaged or in the local cache, and the "
                        f"model hub is unreachable. {instead}")
