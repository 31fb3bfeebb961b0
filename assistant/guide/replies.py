"""The offline guide's replies after a tool has answered: explain the result, then the next step."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from assistant.guide.state import Memory, Tools, call, example_for

TRAINABLE_TASKS = ("text-classification", "token-classification", "question-answering", "summarization",
                   "translation", "chat")


def pick_model(memory: Memory) -> str:
    """The model to propose: the advisor's first pick that can be loaded here, else the catalog's."""
    from catalog import load_catalog
    from catalog.availability import availability
    from catalog.hardware import detect_hardware
    from catalog.search import search_models

    if memory.model:
        return memory.model
    catalog = load_catalog()
    task = (memory.dataset or {}).get("task") or (memory.advice or {}).get("task") or "text-classification"
    for pick in (memory.advice or {}).get("models", []):
        entry = catalog.get(pick["id"])
        if entry is not None and task in entry.tasks and availability(entry) != "unavailable":
            return entry.id
    hits = search_models(task=task, hardware=detect_hardware(), available_only=True, limit=1)
    return hits[0].entry.id if hits else catalog.for_task(task)[0].id


def after_tool(name: str, args: dict[str, Any], result: dict[str, Any], content: str, memory: Memory,
               tools: Tools) -> AIMessage:
    """Reply after the tool ``name`` returned ``result`` (its artifact) and ``content`` (its text)."""
    if "error" in result:
        return AIMessage(content=f"I couldn't do that: {result['error']}\n\n{_error_hint(name)}")
    handler = _HANDLERS.get(name)
    return handler(args, result, content, memory, tools) if handler else AIMessage(content=content)


def _error_hint(name: str) -> str:
    return {
        "inspect_dataset": "Fix the file and upload it again, or say **use the example data** to try the bundled one.",
        "start_finetune": "Tell me what to change, or pick another model (say **which models**).",
        "compare": "Ask for the **status** first: comparison needs a finished job.",
    }.get(name, "Tell me how you'd like to go on.")


def _after_advice(args: dict, result: dict, content: str, memory: Memory, tools: Tools) -> AIMessage:
    task, decision = result.get("task"), result.get("decision")
    if task is None:
        return AIMessage(content=content + "\n\nTell me a bit more and I'll give a firmer answer.")
    if decision != "fine-tune":
        return AIMessage(content=content + "\n\nIf you'd still like to test fine-tuning, upload labelled examples "
                         "in the **Data** tab and I'll measure the base model on them first.")
    if task not in TRAINABLE_TASKS:
        return AIMessage(content=content + f"\n\nTraining for *{task.replace('-', ' ')}* is not supported; the models "
                         "above are where I'd start.")
    if memory.dataset and memory.dataset.get("ok"):
        return _propose(memory, tools, "Your dataset is ready, so here is a plan.")
    path, about = example_for(task)
    return AIMessage(content=content + "\n\n**Next:** upload your labelled data in the **Data** tab, or say **use "
                     f"the example data** to try it on the bundled `{path}` ({about}).")


def _propose(memory: Memory, tools: Tools, preface: str) -> AIMessage:
    assert memory.dataset is not None
    args = {"model_id": pick_model(memory), "dataset": memory.dataset["path"],
            "task": memory.dataset.get("task", "text-classification")}
    return call("start_finetune", args, preface, tools)


def _after_dataset(args: dict, result: dict, content: str, memory: Memory, tools: Tools) -> AIMessage:
    if not result.get("ok"):
        return AIMessage(content=content + "\n\nFix those rows and upload the file again; I'll re-check it.")
    return _propose(memory, tools, content + "\n\nThe data looks good. Here is the plan I propose:")


def _after_start(args: dict, result: dict, content: str, memory: Memory, tools: Tools) -> AIMessage:
    if result.get("status") == "needs_confirmation":
        return AIMessage(content=content + "\n\n**Shall I start?** Reply **yes** to launch it, or tell me what to "
                         "change (for example *\"use 6 epochs\"* or *\"batch size 32\"*).")
    return AIMessage(content=content + "\n\nTraining runs in its own process, so you can keep chatting. Say "
                     "**status** for progress (the **Jobs** tab shows the live loss curve), and **compare** "
                     "when it has finished.")


def _after_status(args: dict, result: dict, content: str, memory: Memory, tools: Tools) -> AIMessage:
    status = result.get("status")
    if status == "succeeded":
        return AIMessage(content=content + "\n\nSay **compare** to see base and tuned side by side.")
    if status in ("queued", "running"):
        return AIMessage(content=content + "\n\nAsk again in a little while, or watch the **Jobs** tab.")
    return AIMessage(content=content + "\n\nYou can resume it from its last checkpoint in the **Jobs** tab.")


def _after_compare(args: dict, result: dict, content: str, memory: Memory, tools: Tools) -> AIMessage:
    base, tuned, metric = result.get("base"), result.get("tuned"), result.get("metric", "accuracy")
    if base is None or tuned is None:
        return AIMessage(content=content)
    hundred = metric in ("bleu", "chrf")  # sacrebleu's 0-100 scale
    delta = (tuned - base) if hundred else (tuned - base) * 100
    b, t = (f"{base:.1f}", f"{tuned:.1f}") if hundred else (f"{base:.1%}", f"{tuned:.1%}")
    if delta >= 2:
        verdict = f"**Fine-tuning helped:** held-out {metric} rose from {b} to {t} ({delta:+.1f} points)."
    elif delta > -2:
        verdict = (f"**Fine-tuning made little difference** ({b} → {t}): the base model is already about as "
                   "good, so prompting or zero-shot may be enough.")
    else:
        verdict = f"**The tuned model is worse** ({b} → {t}); check the labels and try more data or epochs."
    return AIMessage(content=verdict + "\n\n" + content + "\n\nType an input in quotes (e.g. *compare \"my parcel "
                     "never arrived\"*) to run it through both models, or use the **Compare** tab.")


def _plain(args: dict, result: dict, content: str, memory: Memory, tools: Tools) -> AIMessage:
    return AIMessage(content=content)


_HANDLERS = {
    "assess_task": _after_advice,
    "inspect_dataset": _after_dataset,
    "start_finetune": _after_start,
    "job_status": _after_status,
    "compare": _after_compare,
    "search_catalog": _plain,
    "estimate_resources": _plain,
    "cancel_job": _plain,
    "evaluate": _plain,
}
