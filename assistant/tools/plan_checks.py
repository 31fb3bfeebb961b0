"""Checks a fine-tuning plan passes before it may start: the model can do the task and can be loaded
here, the plan fits this machine (adjusted where it can be), and the conversation is within its job limits."""

from __future__ import annotations

from typing import Any

from assistant.session import Services, Session
from catalog.errors import JobError, TunewiseError


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


def fit_to_machine(cfg: Any, entry: Any) -> tuple[Any, list[str]]:
    """Change batch / accumulation / checkpointing / length until the plan fits this machine.

    Returns:
        The (possibly) adjusted config and the changes in words (empty when it fit as it was).

    Raises:
        TunewiseError: When nothing makes it fit, naming the need and the machine.
    """
    from catalog.estimate import memory_budget_gb
    from catalog.hardware import detect_hardware
    from catalog.plan_fit import entry_dims, estimate_shape_memory, fit_plan, smallest_shape
    from finetune.config.defaults import estimate_shape

    hw = detect_hardware()
    shape = estimate_shape(cfg)
    fit = fit_plan(entry.params, hw, shape, **entry_dims(entry))
    if fit is None:
        least = smallest_shape(shape)
        smallest = estimate_shape_memory(entry.params, hw, least, **entry_dims(entry))
        raise TunewiseError(f"{entry.id} does not fit here even with batch 1, {least.seq_len} tokens and gradient "
                            f"checkpointing: it needs about {smallest.total_gb:.1f} GB and {hw.describe()} allows "
                            f"{memory_budget_gb(hw):.1f} GB for training. Pick a smaller model from the catalog.")
    if not fit.changes:
        return cfg, []
    data = cfg.model_dump()
    data["train"].update(batch_size=fit.batch_size, gradient_accumulation=fit.gradient_accumulation,
                         gradient_checkpointing=fit.gradient_checkpointing)
    data["data"]["max_length"] = fit.seq_len
    return type(cfg).model_validate(data), fit.changes


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
