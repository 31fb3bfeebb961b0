"""Take a finished job out of tunewise: a model card, a merged standalone model, a push to the Hub.

    write_model_card(job_dir)                 -> job_dir/README.md, a Hugging Face model card
    merge_adapter(job_dir, out_dir)           -> a transformers model folder with the adapter folded in
    push_job(job_dir, "user/name")            -> adapter, card, labels and metrics in a Hub model repo
    push_job(job_dir, "user/name", merged=True) -> the merged standalone model (made once in job_dir/merged)

Merging loads the base in full precision, never quantized: adding the LoRA delta to 4-bit weights would
round much of it away. The merged model therefore differs from the training-time (4-bit) model by the
quantization error of the base, as any QLoRA merge does.

The card and the uploaded files never carry absolute paths: a local base model folder is shown relative
to the workspace, and the adapter's ``base_model_name_or_path`` is rewritten to the Hub id on upload.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from catalog.errors import ConfigError, ModelError, PathError, TunewiseError
from finetune.export.card import (
    CARD_PREVIEW_LINES,
    JobInfo,
    auto_class_name,
    card_problems,
    read_job,
    render_card,
    shown_path,
    write_model_card,
)
from finetune.workspace import confine

__all__ = ["HubError", "check_repo_id", "merge_adapter", "push_job", "require_hub", "resolve_token",
           "upload_folder_to_hub", "upload_plan"]

log = logging.getLogger(__name__)

MERGE_DTYPES = ("float32", "bfloat16")
#: Files of a job folder uploaded next to the adapter's own files.
JOB_FILES = ("README.md", "labels.json", "metrics.json")
#: Files in ``adapter/`` that stay local: peft writes its own stub card there (with local paths).
ADAPTER_SKIP = {"README.md"}
#: Sub-folder of a job where ``push --merged`` keeps the merged model it made, for the next push.
MERGED_DIR = "merged"


class HubError(TunewiseError):
    """The Hugging Face Hub cannot be reached, refuses the token, or rejects the upload."""


def merge_adapter(job_dir: Path, out_dir: Path, *, dtype: str = "float32") -> Path:
    """Fold a job's LoRA adapter into its full-precision base and save a standalone model folder.

    Args:
        job_dir: A finished job folder.
        out_dir: Where to write (inside the workspace; new or empty).
        dtype: ``float32`` or ``bfloat16``: the dtype the base is loaded, merged and saved in.

    Returns:
        The folder written: model, tokenizer, labels.json (if any) and a model card.

    Raises:
        ConfigError: For an unknown dtype.
        PathError: When ``out_dir`` is outside the workspace or already holds files.
        JobError: When the job has no trained adapter.
        ModelError: When the base model cannot be loaded.
    """
    if dtype not in MERGE_DTYPES:
        raise ConfigError(f"dtype '{dtype}' is not supported for a merge; use one of: {', '.join(MERGE_DTYPES)}.")
    job = read_job(job_dir)
    out = confine(out_dir, must_exist=False, allow_examples=False)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise PathError(f"{out.name} already exists and is not an empty folder; give a new folder for the merge.")
    model, tokenizer = _load_merged(job, dtype)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        model.save_pretrained(str(tmp))
        tokenizer.save_pretrained(str(tmp))
        if job.labels is not None:
            shutil.copy2(job.dir / "labels.json", tmp / "labels.json")
        if job.metrics is not None:
            shutil.copy2(job.dir / "metrics.json", tmp / "metrics.json")
        (tmp / "README.md").write_text(render_card(job, merged_dir=shown_path(str(out))), encoding="utf-8")
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("Merged %s into %s", job.dir.name, out)
    return out


def _load_merged(job: JobInfo, dtype: str) -> tuple[Any, Any]:
    """The base in ``dtype`` (never quantized) with the adapter merged in, and the job's tokenizer."""
    import torch
    import transformers

    from finetune.train.model import LABELLED_KINDS, resolve_model_source

    cfg = job.cfg
    auto_class = getattr(transformers, auto_class_name(job))
    kwargs: dict[str, Any] = {"revision": cfg.model.revision, "trust_remote_code": cfg.model.trust_remote_code,
                              "dtype": getattr(torch, dtype)}
    if job.kind in LABELLED_KINDS and job.labels is not None:
        # The head is replaced by the trained one; a checkpoint head of another size must not block loading.
        kwargs.update(num_labels=len(job.labels), id2label=dict(enumerate(job.labels)),
                      label2id={lab: i for i, lab in enumerate(job.labels)}, ignore_mismatched_sizes=True)
    source = str(job.adapter) if not job.is_lora else resolve_model_source(cfg.model.name)[0]
    try:
        model = auto_class.from_pretrained(source, **kwargs)
        if job.is_lora:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, str(job.adapter)).merge_and_unload()
        tok_source = job.adapter if (job.adapter / "tokenizer_config.json").is_file() else source
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(tok_source), revision=None if
                                                               tok_source == job.adapter else cfg.model.revision)
    except OSError as exc:
        raise ModelError(f"Could not load the base '{job.base}' for the merge: {str(exc).splitlines()[0]}") from None
    except ValueError as exc:
        raise ModelError(f"Could not merge job {job.dir.name}: {str(exc).splitlines()[0]}") from None
    if job.kind == "causal" and tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if job.kind == "causal":
        model.config.pad_token_id = tokenizer.pad_token_id
    model.eval()
    return model, tokenizer


# -- push ---------------------------------------------------------------------------------------------
def check_repo_id(repo_id: str, *, kind: str = "model") -> str:
    """Validate a Hub repo id (``namespace/name``) by the Hub's own rules.

    Args:
        repo_id: The id as given.
        kind: ``model``, ``space`` or ``dataset``: only changes the example in the message.

    Raises:
        ConfigError: With the rule the id breaks.
    """
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    example = {"space": "your-user/tunewise", "dataset": "your-user/my-data"}.get(kind, "your-user/my-adapter")
    text = repo_id.strip()
    if text.count("/") != 1 or not all(text.split("/")):
        raise ConfigError(f"'{repo_id}' is not a Hub {kind} repo id: write it as namespace/name, e.g. {example}.")
    try:
        validate_repo_id(text)
    except HFValidationError:
        raise ConfigError(f"'{repo_id}' is not a valid Hub {kind} repo id: use letters, digits, '-', '_' and '.', "
                          "at most 96 characters, no '--' or '..', not starting or ending with '-' or '.'.") from None
    return text


def merged_plan(job: JobInfo, merged: Path) -> list[tuple[str, Path | bytes]]:
    """``(path in repo, source)`` of a merged model folder's files (its own card is re-rendered on push)."""
    return [(path.name, path) for path in sorted(merged.iterdir()) if path.is_file()]


def upload_plan(job: JobInfo) -> list[tuple[str, Path | bytes]]:
    """``(path in repo, source)`` of every uploaded file; sources given as bytes are rewritten copies."""
    plan: list[tuple[str, Path | bytes]] = []
    for path in sorted(job.adapter.iterdir()):
        if not path.is_file() or path.name in ADAPTER_SKIP:
            continue
        if path.name == "adapter_config.json" and not job.local_base:
            config = json.loads(path.read_text(encoding="utf-8"))
            config["base_model_name_or_path"] = job.base  # a Hub id, not this machine's folder
            plan.append((path.name, (json.dumps(config, indent=2, sort_keys=True) + "\n").encode("utf-8")))
        else:
            plan.append((path.name, path))
    plan += [(name, job.dir / name) for name in JOB_FILES if (job.dir / name).is_file()]
    return plan


def push_job(job_dir: Path, repo_id: str, *, token: str | None = None, private: bool = True,
             dry_run: bool = False, merged: bool = False, dataset_id: str | None = None) -> dict[str, Any]:
    """Upload a job's adapter (or merged model), model card, labels and metrics to a Hub model repo.

    Args:
        job_dir: A finished job folder.
        repo_id: ``namespace/name`` of the model repo (created if missing).
        token: A Hub token with write access; default ``HF_TOKEN`` or the saved ``hf auth login`` token.
        private: Create the repo private (an existing repo keeps its visibility).
        dry_run: List what would be uploaded and touch no network.
        merged: Upload the standalone model made by :func:`merge_adapter` instead of the adapter. It is
            merged once into ``job_dir/merged`` (in float32; a dry run merges too, to list real sizes)
            and reused by later pushes. A fully fine-tuned job is uploaded as it is either way.
        dataset_id: The Hub dataset (``namespace/name``) the training file came from, recorded in the card.

    The job's ``README.md`` is written when missing. An unedited generated card is uploaded re-rendered
    so that its loading code names ``repo_id``; an edited card is uploaded as it is. The uploaded card's
    metadata is checked offline first (:func:`card_problems`).

    Returns:
        ``{"repo_id", "private", "dry_run", "merged", "files": [{"path", "bytes"}], "card": first lines}`` plus
        ``"url"`` and ``"commit"`` after a real upload.

    Raises:
        ConfigError: For an invalid repo or dataset id, or a card whose metadata the Hub would not read.
        JobError: When the job has no trained adapter.
        ModelError: When ``merged`` and the base cannot be loaded for the merge.
        HubError: Without a token, offline, or when the Hub refuses the upload.
    """
    repo_id = check_repo_id(repo_id)
    if dataset_id is not None:
        dataset_id = check_repo_id(dataset_id, kind="dataset")
    job = read_job(job_dir)
    merged = merged and job.is_lora
    if merged:
        folder = job.dir / MERGED_DIR
        if not (folder / "config.json").is_file():
            shutil.rmtree(folder, ignore_errors=True)  # a half-written leftover
            merge_adapter(job.dir, folder)
        card = render_card(job, repo_id=repo_id, merged_dir=shown_path(str(folder)), dataset_id=dataset_id)
        plan = [(name, card.encode("utf-8") if name == "README.md" else src)
                for name, src in merged_plan(job, folder)]
    else:
        card_path = job.dir / "README.md"
        if not card_path.is_file():
            write_model_card(job.dir, repo_id=repo_id)
        card = card_path.read_text(encoding="utf-8")
        if card == render_card(job):  # the generated local card, unedited: point its loading code at the repo
            card = render_card(job, repo_id=repo_id, dataset_id=dataset_id)
        plan = [(name, card.encode("utf-8") if name == "README.md" else src) for name, src in upload_plan(job)]
    problems = card_problems(card, adapter=job.is_lora and not merged)
    if problems:
        raise ConfigError(f"The model card of job {job.dir.name} would not validate on the Hub: "
                          + " ".join(problems) + " Fix README.md in the job folder (or delete it to regenerate it).")
    result: dict[str, Any] = {
        "repo_id": repo_id, "private": private, "dry_run": dry_run, "merged": merged,
        "card": "\n".join(card.splitlines()[:CARD_PREVIEW_LINES]),
        "files": [{"path": name, "bytes": len(src) if isinstance(src, bytes) else src.stat().st_size}
                  for name, src in plan]}
    if dry_run:
        return result
    token = resolve_token(token)
    require_hub()
    log.info("Uploading %d files of job %s to %s", len(plan), job.dir.name, repo_id)
    staging = job.dir / f".push-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        _stage(plan, staging)
        result.update(upload_folder_to_hub(staging, repo_id, token=token, private=private, repo_type="model",
                                           message=f"Upload tunewise job {job.dir.name}"
                                           + (" (merged)" if merged else "")))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return result


def resolve_token(token: str | None = None) -> str:
    """The Hub token to use: ``token``, else ``HF_TOKEN``, else the saved ``hf auth login`` token.

    Raises:
        HubError: When there is none, with how to log in.
    """
    from huggingface_hub import get_token

    found = token or os.environ.get("HF_TOKEN") or get_token()
    if not found:
        raise HubError("No Hugging Face token: run `hf auth login` (or set HF_TOKEN) with a token that has write "
                       "access (https://huggingface.co/settings/tokens), or use --dry-run to see what would be sent.")
    return found


def require_hub() -> None:
    """Fail fast, with the fix, when offline mode is on or the Hub cannot be reached.

    Raises:
        HubError: Offline mode is on or huggingface.co is unreachable.
    """
    from catalog.availability import hub_reachable, offline_mode

    if offline_mode():
        raise HubError("Offline mode is on (TUNEWISE_OFFLINE or HF_HUB_OFFLINE), so nothing can be pushed to the "
                       "Hugging Face Hub. Push from a machine with internet access; --dry-run works offline.")
    if not os.environ.get("HF_ENDPOINT") and not hub_reachable():
        raise HubError("The Hugging Face Hub (huggingface.co) cannot be reached from this machine. Push from a "
                       "machine with internet access; --dry-run works offline.")


def _stage(plan: list[tuple[str, Path | bytes]], staging: Path) -> None:
    staging.mkdir(parents=True)
    for name, src in plan:
        target = staging / name
        if isinstance(src, bytes):
            target.write_bytes(src)
            continue
        try:
            os.link(src, target)  # same file system: no copy of the weights
        except OSError:
            shutil.copy2(src, target)


def upload_folder_to_hub(folder: Path, repo_id: str, *, token: str, private: bool, repo_type: str = "model",
                         message: str, space_sdk: str | None = None) -> dict[str, Any]:
    """Create the repo if missing and upload every file of ``folder`` in one commit.

    Args:
        folder: The folder to upload, exactly as it is.
        repo_id: ``namespace/name``.
        token: A token with write access (never logged; masked in error messages).
        private: Visibility of a new repo.
        repo_type: ``model`` or ``space``.
        message: The commit message.
        space_sdk: For a new Space: its SDK (``gradio``).

    Returns:
        ``{"url", "commit"}``.

    Raises:
        HubError: Offline, refused token, no write access, or the Hub cannot be reached.
    """
    import httpx
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    api = HfApi(token=token)
    create: dict[str, Any] = {"repo_type": repo_type, "private": private, "exist_ok": True}
    if space_sdk:
        create["space_sdk"] = space_sdk
    try:
        url = api.create_repo(repo_id, **create)
        commit = api.upload_folder(repo_id=repo_id, folder_path=str(folder), repo_type=repo_type,
                                   commit_message=message)
    except OfflineModeIsEnabled:
        raise HubError("Offline mode is on (HF_HUB_OFFLINE), so nothing can be pushed to the Hub.") from None
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else None
        reason = {401: "the token was refused; log in again with `hf auth login`",
                  403: f"the token may not write to '{repo_id.split('/')[0]}'; use a token with write access"}.get(
            status or 0, str(exc).splitlines()[0].replace(token, "***"))
        raise HubError(f"The Hub rejected the push to {repo_id}: {reason}.") from None
    except (OSError, httpx.TransportError) as exc:  # refused, DNS, timeouts
        raise HubError(f"Could not reach the Hugging Face Hub ({type(exc).__name__}). Check the connection and "
                       "retry; nothing was changed locally.") from None
    return {"url": str(url), "commit": getattr(commit, "commit_url", str(commit))}
