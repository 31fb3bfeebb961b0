"""The job commands of the ``tunewise`` CLI: ``jobs``, ``compare``, ``serve``, ``export`` and ``push``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from catalog.errors import TunewiseError


def add_job_parsers(sub: Any) -> None:
    """Add the ``jobs``, ``compare``, ``serve``, ``export`` and ``push`` sub-commands to the CLI's sub-parsers."""
    jobs = sub.add_parser("jobs", help="list, show, cancel, resume or retry jobs, or read their logs")
    jobs.add_argument("action", choices=["list", "show", "cancel", "resume", "retry", "logs"],
                      help="retry starts a stopped job over as a new job; resume continues it from its checkpoint")
    jobs.add_argument("job_id", nargs="?", metavar="JOB",
                      help="job id or job folder (either, as `tunewise train` printed them)")
    jobs.add_argument("--json", action="store_true", help="print JSON (list, show, cancel, resume, retry)")
    jobs.add_argument("--follow", "-f", action="store_true",
                      help="logs: keep printing the log as it grows until the job ends (exit 0 if it succeeded)")

    cmp = sub.add_parser("compare", help="base vs tuned on a job's held-out data (or on another file)")
    cmp.add_argument("job_id", help="job id or job folder")
    cmp.add_argument("--data", metavar="FILE", help="score both models on this dataset file now (any format "
                     "`tunewise data check` reads) instead of the job's held-out split")
    cmp.add_argument("--limit", type=int, default=10, help="example rows to show (default 10)")
    cmp.add_argument("--json", action="store_true", help="print one JSON object")

    srv = sub.add_parser("serve", help="an OpenAI-compatible endpoint for a job's base and tuned model")
    srv.add_argument("job", help="job id or job folder")
    srv.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    srv.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    srv.add_argument("--api-key",
                     help="require this key as 'Authorization: Bearer KEY' (advised off loopback)")
    srv.add_argument("--print-vllm", action="store_true",
                     help="print the equivalent vLLM multi-LoRA serving command instead of serving")

    exp = sub.add_parser("export", help="merge a job's adapter into its base: a standalone model folder")
    exp.add_argument("job", help="job id or job folder")
    exp.add_argument("--merge", metavar="OUT", required=True,
                     help="folder to write the merged model to (new or empty, inside the workspace)")
    exp.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32",
                     help="dtype the base is loaded, merged and saved in (default float32)")

    push = sub.add_parser("push", help="upload a job's adapter and model card to a Hugging Face model repo")
    push.add_argument("job", help="job id or job folder")
    push.add_argument("repo_id", help="namespace/name of the model repo (created if missing); the token comes from "
                      "HF_TOKEN or `hf auth login`")
    visibility = push.add_mutually_exclusive_group()
    visibility.add_argument("--private", action="store_true", help="create the repo private (the default)")
    visibility.add_argument("--public", action="store_true", help="create the repo public (default: private)")
    push.add_argument("--merged", action="store_true",
                      help="upload the merged standalone model (the adapter folded into a float32 copy of its base, "
                      "made once in the job folder's merged/) instead of the adapter")
    push.add_argument("--dataset", metavar="ID",
                      help="the Hub dataset (namespace/name) the training data came from, recorded in the card")
    push.add_argument("--dry-run", action="store_true", help="list what would be uploaded; no network")
    push.add_argument("--json", action="store_true", help="print the result as JSON")


def cmd_jobs(args: argparse.Namespace) -> int:
    """Job management: list, show, cancel, resume, retry, logs [--follow]."""
    from finetune.jobs.refs import resolve_job_id
    from finetune.jobs.runner import JobRunner

    runner = JobRunner()
    if args.action == "list":
        jobs = runner.list()
        if args.json:
            print(json.dumps([j.__dict__ for j in jobs], indent=2))
        for j in [] if args.json else jobs:
            print(f"{j.id}  {j.status:<11} {j.task:<20} {j.model}" + (f"  ({j.reason})" if j.reason else ""))
        return 0
    if not args.job_id:
        raise TunewiseError(f"'tunewise jobs {args.action}' needs a job id or job folder.")
    job_id = resolve_job_id(args.job_id, runner.store)
    if args.action == "logs":
        return _print_log(runner, job_id, follow=args.follow)
    if args.action == "cancel":
        job = runner.cancel(job_id, wait=True)
    elif args.action == "resume":
        job = runner.resume(job_id)
    elif args.action == "retry":
        job = runner.retry(job_id)
        print(f"job {job.id} retries {job.retry_of}", file=sys.stderr)
    else:
        job = runner.get(job_id)
    progress = runner.progress(job.id)
    info = {**job.__dict__, "progress": progress.percent, "step": progress.step, "total_steps": progress.total_steps,
            "eta_s": progress.eta_s, "phase": progress.phase, "loss": progress.loss, "metrics": progress.metrics,
            "log": str(job.path / "train.log"), **executor_info(job.path)}
    print(json.dumps(info, indent=2) if args.json else "\n".join(f"{k}: {v}" for k, v in info.items()))
    return 0


def executor_info(folder: Path) -> dict[str, Any]:
    """Where a job runs (``local`` or ``ray``), its launch, and on Ray the cluster and the Ray job's id."""
    from finetune.jobs.executors.base import read_record

    record = read_record(folder)
    info: dict[str, Any] = {"executor": record.kind, "launch": record.launch.get("strategy")}
    if record.kind == "ray":
        info.update(ray_address=record.address, ray_job=record.submission_id)
    return info


def _print_log(runner: Any, job_id: str, follow: bool, poll_s: float = 0.5) -> int:
    """Print a job's ``train.log``; with ``follow``, keep printing what is appended until the job ends.

    Returns:
        0, or with ``follow`` 0 when the job succeeded and 1 when it ended otherwise.
    """
    import codecs

    from finetune.jobs.store import ACTIVE

    job = runner.get(job_id)
    log_file = job.path / "train.log"
    if not follow:
        print(log_file.read_text(encoding="utf-8", errors="replace") if log_file.exists() else "(no log yet)")
        return 0
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    offset = 0
    while True:
        job = runner.get(job.id)  # the status first: once it has ended, the read below gets every last line
        if log_file.exists():
            with log_file.open("rb") as fh:
                fh.seek(offset)
                chunk = fh.read()
            offset += len(chunk)
            if chunk:
                sys.stdout.write(decoder.decode(chunk))
                sys.stdout.flush()
        if job.status not in ACTIVE:
            sys.stdout.write(decoder.decode(b"", final=True))
            print(f"job {job.id} {job.status}" + (f": {job.reason}" if job.reason else ""), file=sys.stderr)
            return 0 if job.status == "succeeded" else 1
        time.sleep(poll_s)


def cmd_compare(args: argparse.Namespace) -> int:
    """Print base vs tuned for a finished job: its held-out split, or a data file scored now."""
    from finetune.jobs.refs import resolve_job_dir
    from finetune.serve.compare import compare_job

    result = compare_job(resolve_job_dir(args.job_id), data=args.data, limit=args.limit)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
        return 0
    for line in comparison_table(result):
        print(line)
    return 0


def comparison_table(result: dict[str, Any]) -> list[str]:
    """The lines ``tunewise compare`` prints: a metric table, then example rows."""

    def num(value: float | None) -> str:
        return "—" if value is None else f"{value:.3f}"

    source = f"on {result['data']}" if result.get("data") else "on the held-out split"
    base_method = result["base_method"] or "none"
    lines = [f"{result['task']} {source}, {result['eval_rows']} rows; base: {base_method}",
             "", f"{'metric':<16} {'base':>8} {'tuned':>8} {'delta':>8}"]
    for key, tuned in result["metrics"]["tuned"].items():
        base = result["metrics"]["base"].get(key)
        delta = "" if base is None else f"{tuned - base:+.3f}"
        marker = " *" if key == result["metric"] else ""
        lines.append(f"{key:<16} {num(base):>8} {num(tuned):>8} {delta:>8}{marker}")
    if result.get("note"):
        lines += ["", result["note"]]
    if result["examples"]:
        lines += ["", "examples (disagreements first):"]
    for e in result["examples"]:
        text = " ".join(str(e["input"]).split())
        lines.append(f"- reference={_short(e['reference'])}  base={_short(e.get('base'))}  "
                     f"tuned={_short(e['tuned'])}  :: {text[:80]}")
    return lines


def _short(value: Any, width: int = 40) -> str:
    text = " ".join(str(value).split()) if not isinstance(value, list) else " ".join(map(str, value))
    return text if len(text) <= width else text[:width - 1] + "…"


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve a job's base and tuned model over an OpenAI-compatible API (or print the vLLM command)."""
    from finetune.jobs.refs import resolve_job_dir
    from finetune.serve.openai.app import model_ids, run_server, vllm_command

    job_dir = resolve_job_dir(args.job)
    if args.print_vllm:
        print(vllm_command(job_dir))
        return 0
    names = ", ".join(list(model_ids(job_dir))[:2])
    print(f"loading {job_dir.name}; then serving {names} at http://{args.host}:{args.port}/v1",
          file=sys.stderr)
    run_server(job_dir, host=args.host, port=args.port, api_key=args.api_key)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Merge a job's adapter into its base; print the output folder as the last line."""
    from finetune.export.hub import merge_adapter
    from finetune.jobs.refs import resolve_job_dir

    job_dir = resolve_job_dir(args.job)
    print(f"merging {job_dir.name} into a {args.dtype} copy of its base", file=sys.stderr)
    print(merge_adapter(job_dir, Path(args.merge), dtype=args.dtype))
    return 0


def cmd_push(args: argparse.Namespace) -> int:
    """Upload a job's adapter, card, labels and metrics to the Hub (or list them with --dry-run)."""
    from finetune.export.hub import push_job
    from finetune.jobs.refs import resolve_job_dir

    result = push_job(resolve_job_dir(args.job), args.repo_id, private=not args.public, dry_run=args.dry_run,
                      merged=args.merged, dataset_id=args.dataset)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    verb = "would upload" if args.dry_run else "uploaded"
    what = "merged model" if result.get("merged") else "adapter"
    print(f"{verb} the {what} to {result['repo_id']} ({'private' if result['private'] else 'public'}):")
    for f in result["files"]:
        print(f"  {f['path']:<32} {f['bytes']:>12,} bytes")
    if result.get("url"):
        print(result["url"])
    return 0
