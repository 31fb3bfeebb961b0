"""What the agent's tools do. Each function takes the shared services, the session and validated
arguments, calls plain ``catalog`` / ``finetune`` functions and returns ``(text, artifact)``."""

from __future__ import annotations

import json
import logging
from typing import Any

from assistant.session import Services, Session
from assistant.tools.estimates import estimate_for
from assistant.tools.plan_checks import check_available, check_model_for, check_session_limits, fit_to_machine
from assistant.tools.schemas import (
    AssessTaskArgs,
    CompareArgs,
    EstimateArgs,
    InspectDatasetArgs,
    JobArgs,
    Result,
    SearchCatalogArgs,
    StartFinetuneArgs,
    plan_config,
)
from catalog.errors import DataError, JobError, ModelError

EVIDENCE_ROWS = 300  # held-out rows scored for advice: enough for +-6 points at 95 %, a few seconds on a CPU
MIN_PROBE_ROWS = 40  # below this a 10 % slice has too few examples per label to mean anything

HEAD_TASKS = ("text-classification", "token-classification", "question-answering")

TINY_NOTE = ("This job used a model outside the catalog (such as a tiny test model): its outputs show the "
             "plumbing, not real quality.")

log = logging.getLogger(__name__)

SMALL_MODEL_PARAMS = 500_000_000
"""Generative models under this size get a plain note on what to expect from them."""


def model_note(model: str) -> str | None:
    """What a person should know about a job's model before judging its outputs (None: nothing special)."""
    from catalog import load_catalog

    entry = load_catalog().get(model)
    if entry is None:
        return TINY_NOTE
    if entry.model_type_class == "causal" and entry.params < SMALL_MODEL_PARAMS:
        return (f"{entry.name} is a small model ({entry.params / 1e6:.0f}M parameters): fine-tuning teaches it a "
                "format or a house style, not knowledge or reasoning, so expect rough text from both sides.")
    return None


def assess_task(services: Services, session: Session, **kwargs: Any) -> Result:
    """Advise fine-tune vs prompt vs RAG; with a dataset, measure the base model on it first."""
    from assistant.advisor.advise import advise
    from catalog.hardware import detect_hardware

    args = AssessTaskArgs(**kwargs)
    profile = evidence = None
    if args.dataset:
        profile, evidence = dataset_evidence(args.dataset)
    advice = advise(args.description, dataset_profile=profile, hardware=detect_hardware(), evidence=evidence,
                    profile=args.profile.model_copy(update={"certainty": {}}) if args.profile else None)
    session.last_task = advice.task
    artifact = advice.model_dump(mode="json")
    return advice.to_markdown(), artifact


def dataset_evidence(path: str) -> tuple[Any, Any]:
    """Profile a dataset of any task; for classification also score the zero-shot base on its held-out
    rows and run a learning-curve probe (10/25/50 % of the training rows, extrapolated to all of them).

    Generative tasks get a profile only: measuring a base model by prompting needs a real generative
    model, and none ships offline (the packaged model is an encoder).
    """
    from assistant.advisor.inputs import DatasetProfile, Evidence
    from catalog import load_catalog
    from catalog.availability import resolve_model_path
    from finetune.data.classification_split import split_classification
    from finetune.data.intake import inspect_and_load
    from finetune.tasks.metrics import classification_metrics, learning_curve_probe, zero_shot_predict
    from finetune.workspace import confine

    report, loaded = inspect_and_load(confine(path))  # one pass: the report, and the records when usable
    if loaded is None:
        raise DataError(f"{path} has problems to fix before I can measure anything:\n"
                        + "\n".join(f"- {p}" for p in report.problems[:10]))
    if report.task != "text-classification":
        profile = DatasetProfile(rows=report.rows, task=report.task, avg_tokens=report.lengths.get("mean"))
        return profile, prompted_evidence(loaded)
    data = split_classification(loaded)
    profile = DatasetProfile(rows=report.rows, task="text-classification", labels=report.labels,
                             avg_tokens=report.lengths.get("mean"))
    encoder = resolve_model_path(next(m for m in load_catalog().models
                                      if m.packaged and m.model_type_class == "encoder"))
    texts, refs = data.eval_texts[:EVIDENCE_ROWS], data.eval_labels[:EVIDENCE_ROWS]
    preds = zero_shot_predict(encoder, texts, data.labels)
    score = classification_metrics(refs, [p for p, _ in preds])["accuracy"]
    probe_scores = projected = None
    if len(data.train_texts) >= MIN_PROBE_ROWS:
        curve = learning_curve_probe(encoder, data.train_texts, data.train_labels, texts, refs)
        probe_scores = {f"{p['fraction']:g}": p["accuracy"] for p in curve["points"]}
        projected = curve["projected_accuracy"]
    return profile, Evidence(metric="accuracy", base_score=round(score, 4), probe_scores=probe_scores,
                             projected_score=projected, held_out_rows=len(texts))


def prompted_evidence(loaded: Any) -> Any:
    """For a generative task, the prompted base's score on a held-out slice of the data (None otherwise, or
    when no generative model loads here: the advice then rests on the description and the row count)."""
    from assistant.advisor.inputs import Evidence
    from finetune.serve.prompted import PROMPTED_TASKS, prompted_base_score

    if loaded.task not in PROMPTED_TASKS:
        return None
    try:
        measured = prompted_base_score(loaded.records, loaded.task, source_lang=loaded.source_lang,
                                       target_lang=loaded.target_lang)
    except ModelError as exc:
        log.info("No prompted base for %s: %s", loaded.task, exc)
        return None
    return Evidence(metric=measured["metric"], base_score=round(measured["score"], 4),
                    held_out_rows=measured["rows"])


def search_catalog(services: Services, session: Session, **kwargs: Any) -> Result:
    """Rank catalog models for a task on this machine's hardware."""
    from catalog.hardware import detect_hardware
    from catalog.search import search_models
    from finetune.config.defaults import default_estimate_shape

    args = SearchCatalogArgs(**kwargs)
    task = args.task or session.last_task
    hits = search_models(task=task, language=args.language, license=None if args.license == "any" else "permissive",
                         max_params=int(args.max_params_millions * 1e6) if args.max_params_millions else None,
                         hardware=detect_hardware(), limit=args.limit,
                         shape_for=lambda entry: default_estimate_shape(task, entry))
    rows = [{"id": h.entry.id, "params_m": round(h.entry.params / 1e6, 1), "license": h.entry.license,
             "fits": h.fits, "available": h.available, "reason": h.reason} for h in hits]
    if not rows:
        return "No catalog model matches those filters; relax the licence or size limit.", {"models": []}
    lines = [f"- **{r['id']}** ({r['params_m']}M params, {r['license']}, {r['available']}"
             f"{'' if r['fits'] else ', does not fit here'}): {r['reason']}" for r in rows]
    return f"Models for {task or 'any task'}:\n" + "\n".join(lines), {"task": task, "models": rows}


def inspect_dataset(services: Services, session: Session, **kwargs: Any) -> Result:
    """Validate a dataset of any task: format, task, column roles, labels, lengths and every problem."""
    from finetune.data.intake import inspect_data
    from finetune.workspace import confine

    args = InspectDatasetArgs(**kwargs)
    report = inspect_data(confine(args.path), task=args.task, columns=args.columns or None)
    if args.path not in session.datasets:
        session.datasets.append(args.path)
    if report.task:
        session.last_task = session.last_task or report.task
    artifact = {"path": args.path, **report.to_dict()}
    head = f"`{args.path}` is ready for training." if report.ok else f"`{args.path}` has problems to fix first."
    return head + "\n" + report.to_markdown(), artifact


def estimate_resources(services: Services, session: Session, **kwargs: Any) -> Result:
    """Estimate memory and time for training a model here: the default run of the conversation's task (else
    the model's primary task), with the tokens, batch and method the call gives."""
    return estimate_for(EstimateArgs(**kwargs), task=session.last_task)


def start_finetune(services: Services, session: Session, **kwargs: Any) -> Result:
    """Start the plan the user confirmed; otherwise record it and ask for confirmation.

    The plan starts from the preset of its task and model family when there is one (else ``RunConfig``'s
    defaults), with the arguments given on top, adjusted to fit this machine.
    """
    from finetune.data.intake import inspect_data
    from finetune.workspace import confine

    args = StartFinetuneArgs(**kwargs)
    cfg, preset = plan_config(args)
    entry = check_model_for(cfg.model.name, cfg.task)
    report = inspect_data(confine(cfg.data.path), task=cfg.task, columns=cfg.data.columns or None,
                          max_length=cfg.data.max_length)
    if not report.ok:
        raise DataError("The dataset has problems to fix first: " + "; ".join(report.errors[:10]))
    held = report.splits.get("test", 0) + report.splits.get("validation", 0)
    held = held or round(report.rows * cfg.data.eval_fraction)
    train_rows = report.rows - held
    fitted = fit_to_machine(cfg, args)
    cfg, adjusted = fitted.config, fitted.changes
    est = {"memory_gb": fitted.memory_gb, "time": fitted.time_with_scoring}
    check_available(entry, cfg.task)
    plan = {"model": cfg.model.name, "dataset": cfg.data.path, "task": cfg.task, "epochs": cfg.train.epochs,
            "learning_rate": cfg.train.learning_rate, "batch_size": cfg.train.batch_size,
            "max_length": cfg.data.max_length, "quantization": f"{cfg.quantization.bits}-bit {cfg.quantization.quant_type}",
            "lora_r": cfg.lora.r, "train_rows": train_rows, "eval_rows": held,
            "memory_gb": est["memory_gb"], "time": est["time"], "adjusted_to_fit": adjusted, "preset": preset}
    launch, plan["launch"] = plan_launch_line(services, cfg)
    if session.confirmed_plan is not None:
        check_session_limits(services, session)
    if session.take_confirmed(cfg):
        job = services.runner.submit(cfg, owner=session.owner, launch=launch)
        session.last_job_id = job.id
        session.job_ids.append(job.id)
        return (f"Started fine-tuning job `{job.id}` ({job.status}). Ask me for its status any time, or watch "
                "the Jobs tab.", {"status": "started", "job_id": job.id, "plan": plan})
    session.propose(cfg)
    text = ("Plan ready (not started yet — it needs the user's confirmation):\n"
            f"- model: {plan['model']} with {'QLoRA' if cfg.quantization.bits == 4 else 'LoRA'} "
            f"({plan['quantization']} base, LoRA r={plan['lora_r']}"
            f"{', new head trained' if cfg.task in HEAD_TASKS else ''}) for {cfg.task}\n"
            f"- data: {plan['dataset']} — {plan['train_rows']} training rows, {plan['eval_rows']} held out\n"
            f"- {plan['epochs']:g} epoch{'' if plan['epochs'] == 1 else 's'}, learning rate {plan['learning_rate']:g}, batch {plan['batch_size']}, "
            f"max {plan['max_length']} tokens\n"
            f"- estimated peak memory {plan['memory_gb']} GB, time {plan['time']}\n"
            f"- launch: {plan['launch']}")
    if preset:
        text += f"\n- starts from the preset {preset} (see `tunewise presets show {preset}`)"
    if adjusted:
        text += "\n- adjusted so it fits this machine: " + "; ".join(adjusted)
    return text, {"status": "needs_confirmation", "plan": plan}


def plan_launch_line(services: Services, cfg: Any) -> tuple[Any, str]:
    """Which launch the plan gets and why, in words: here one process, DDP or FSDP-QLoRA over this machine's GPUs;
    on a Ray cluster (``TUNEWISE_RAY_ADDRESS``) the node decides the same way from its own GPUs, or, over several
    nodes (``TUNEWISE_RAY_NODES``), Ray Train workers train with DDP.

    Returns:
        The launch to submit with (None on a cluster) and the plan's line.
    """
    from finetune.jobs.executors.launch import plan_launch

    executor = services.runner.executor
    nodes = int(getattr(executor, "nodes", 1))
    if executor.remote and nodes > 1:
        device = "one CPU each" if cfg.train.device == "cpu" else "one per GPU"
        return None, (f"on {executor.where}, over {nodes} nodes: Ray Train workers ({device}) each train a full copy "
                      "on their share of every batch (DDP); rank 0 sends the events, checkpoints and results back")
    if executor.remote:
        return None, (f"on {executor.where}: the node it lands on trains it as one process, or with one process "
                      "per GPU (DDP when the model fits one GPU, FSDP-QLoRA when it does not)")
    launch = plan_launch(cfg)
    return launch, f"{launch.describe()} — {launch.reason}"


def _job_id(session: Session, job_id: str | None) -> str:
    job_id = (job_id or session.last_job_id or "").strip()
    if not job_id:
        raise JobError("There is no job in this conversation yet. Start one first, or give a job id.")
    return job_id


def job_status(services: Services, session: Session, **kwargs: Any) -> Result:
    """Progress of a job."""
    args = JobArgs(**kwargs)
    job_id = _job_id(session, args.job_id)
    p = services.runner.progress(job_id, owner=services.owner_filter(session))
    artifact = {"job_id": job_id, "status": p.status, "phase": p.phase, "step": p.step, "total_steps": p.total_steps,
                "percent": p.percent, "eta_s": p.eta_s, "loss": p.loss, "eval": p.eval_metrics,
                "metrics": p.metrics, "reason": p.reason}
    text = f"Job `{job_id}` is **{p.status}**"
    if p.status == "running":
        text += f" ({p.phase}): step {p.step}/{p.total_steps or '?'} ({p.percent:.0f}%)"
        if p.loss is not None:
            text += f", loss {p.loss:.3f}"
        if p.eta_s is not None:
            text += f", about {p.eta_s:.0f} s left"
    elif p.status == "succeeded" and p.metrics:
        text += "; " + metric_line(p.metrics)
    elif p.reason:
        text += f": {p.reason}"
    return text + ".", artifact


def metric_line(metrics: dict[str, Any]) -> str:
    """One line for people: held-out metric of tuned vs base and the change in points."""
    key = metrics.get("metric", "accuracy")
    tuned = metrics.get("tuned", {}).get(key)
    base = metrics.get("base", {}).get(key)
    hundred = key in ("bleu", "chrf")  # sacrebleu's 0-100 scale

    def show(value: float) -> str:
        return f"{value:.1f}" if hundred else f"{value:.1%}"

    line = f"held-out {key}: tuned {show(tuned)}" if tuned is not None else "no held-out score"
    if base is not None and tuned is not None:
        change = (tuned - base) if hundred else (tuned - base) * 100
        line += f" vs base {show(base)} ({change:+.1f} points)"
    interval = (metrics.get("intervals") or {}).get(key)
    if interval:
        from finetune.tasks.intervals import from_dict, verdict

        line += ". " + verdict(from_dict(interval)).rstrip(".")
    return line


def cancel_job(services: Services, session: Session, **kwargs: Any) -> Result:
    """Cancel a job."""
    job_id = _job_id(session, JobArgs(**kwargs).job_id)
    job = services.runner.cancel(job_id, owner=services.owner_filter(session))
    return f"Job `{job.id}` is {job.status}; cancelling keeps its last checkpoint.", {"job_id": job.id,
                                                                                      "status": job.status}


def evaluate(services: Services, session: Session, **kwargs: Any) -> Result:
    """Held-out metrics of a finished job."""
    from finetune.serve.compare import compare_job

    job_id = _job_id(session, JobArgs(**kwargs).job_id)
    job = services.runner.get(job_id, owner=services.owner_filter(session))
    result = compare_job(job.path, limit=0)
    return f"Job `{job_id}` — " + metric_line({"metric": result["metric"], **result["metrics"]}), result


def compare(services: Services, session: Session, **kwargs: Any) -> Result:
    """Base vs tuned: held-out metrics and examples, plus a new input through both models."""
    from finetune.serve.compare import compare_job
    from finetune.serve.pair import classifier_pair

    args = CompareArgs(**kwargs)
    job_id = _job_id(session, args.job_id)
    job = services.runner.get(job_id, owner=services.owner_filter(session))
    result = compare_job(job.path, limit=args.limit)
    result["job_id"] = job_id
    lines = [f"**Base vs tuned on {result['eval_rows']} held-out rows** ({result['base_method'] or 'base model'}):",
             "| metric | base | tuned | change |", "|---|---|---|---|"]
    for key, tuned in result["metrics"]["tuned"].items():
        base = result["metrics"]["base"].get(key)
        hundred = key in ("bleu", "chrf")
        show = (lambda v: "—" if v is None else f"{v:.1f}") if hundred else _pct
        change = "" if base is None else (f"{tuned - base:+.1f}" if hundred else f"{(tuned - base) * 100:+.1f} pts")
        lines.append(f"| {key} | {show(base)} | {show(tuned)} | {change} |")
    if result["examples"]:
        lines += ["", "| input | reference | base | tuned |", "|---|---|---|---|"]
        lines += [f"| {_cell(e['input'])} | {_cell(str(e['reference']), 60)} | {_cell(str(e.get('base', '—')), 60)} "
                  f"| {_cell(str(e['tuned']), 60)} |" for e in result["examples"]]
    interval = (result.get("intervals") or {}).get(result["metric"])
    if interval:
        from finetune.tasks.intervals import from_dict, verdict

        lines += ["", f"**{verdict(from_dict(interval))}**"]
    note = model_note(job.model)
    if note:
        lines.append(f"\n> ⚠️ {note}")
        result["note"] = note
    if args.text:
        pred = classifier_pair(job.path).predict([args.text])[0]
        result["new_input"] = pred
        confidence = f" ({pred['tuned_score']:.0%} confident)" if pred.get("tuned_score") is not None else ""
        lines += ["", f"Your input → base: **{pred['base']}**, tuned: **{pred['tuned']}**{confidence}."]
    return "\n".join(lines), json.loads(json.dumps(result, default=str))


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _cell(text: str, width: int = 90) -> str:
    text = " ".join(str(text).split()).replace("|", "/")
    return text if len(text) <= width else text[: width - 1] + "…"
