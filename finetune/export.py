"""Take a finished job out of tunewise: a model card, a merged standalone model, a push to the Hub.

    write_model_card(job_dir)                 -> job_dir/README.md, a Hugging Face model card
    merge_adapter(job_dir, out_dir)           -> a transformers model folder with the adapter folded in
    push_job(job_dir, "user/name")            -> adapter, card, labels and metrics in a Hub model repo

Merging loads the base in full precision, never quantized: adding the LoRA delta to 4-bit weights would
round much of it away. The merged model therefore differs from the training-time (4-bit) model by the
quantization error of the base, as any QLoRA merge does.

The card and the uploaded files never carry absolute paths: a local base model folder is shown relative
to the workspace, and the adapter's ``base_model_name_or_path`` is rewritten to the Hub id on upload.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from finetune.config import RunConfig
from finetune.errors import ConfigError, JobError, ModelError, PathError, TunewiseError
from finetune.workspace import EXAMPLES_DIR, confine, workspace_root

log = logging.getLogger(__name__)

MERGE_DTYPES = ("float32", "bfloat16")
#: Files of a job folder uploaded next to the adapter's own files.
JOB_FILES = ("README.md", "labels.json", "metrics.json")
#: Files in ``adapter/`` that stay local: peft writes its own stub card there (with local paths).
ADAPTER_SKIP = {"README.md"}
CARD_PREVIEW_LINES = 15
_PIPELINE_TAGS = {"seq-cls": "text-classification", "token-cls": "token-classification",
                  "qa": "question-answering", "causal": "text-generation"}
_AUTO_PEFT = {"seq-cls": "AutoPeftModelForSequenceClassification", "token-cls": "AutoPeftModelForTokenClassification",
              "qa": "AutoPeftModelForQuestionAnswering", "seq2seq": "AutoPeftModelForSeq2SeqLM",
              "causal": "AutoPeftModelForCausalLM"}
_DATA_BUILDERS = {".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "json", ".parquet": "parquet"}
NOT_CATALOG_NOTE = ("The base was a model outside the tunewise catalog (such as a tiny test model): the numbers "
                    "above show that the pipeline works, not the quality a real model would reach.")


class HubError(TunewiseError):
    """The Hugging Face Hub cannot be reached, refuses the token, or rejects the upload."""


@dataclass
class JobInfo:
    """What the card, the merge and the push need to know about a job folder."""

    dir: Path
    cfg: RunConfig
    kind: str
    base: str
    """Hub id of the base, or for a local folder its path relative to the workspace (``./models/x``)."""
    in_catalog: bool
    local_base: bool
    license: str | None
    metrics: dict[str, Any] | None
    sizes: dict[str, int]
    labels: list[str] | None

    @property
    def adapter(self) -> Path:
        """The folder holding the trained adapter (or, for ``lora.method: full``, the whole model)."""
        return self.dir / "adapter"

    @property
    def is_lora(self) -> bool:
        """True when the job saved a peft adapter rather than a fully fine-tuned model."""
        return (self.adapter / "adapter_config.json").is_file()


def shown_path(text: str) -> str:
    """A path fit for a card: relative paths as written, workspace paths relative to it, else the name."""
    path = Path(text).expanduser()
    if not path.is_absolute():
        return text
    for root, prefix in ((workspace_root(), "./"), (EXAMPLES_DIR, "examples/")):
        try:
            return prefix + path.resolve().relative_to(root).as_posix()
        except ValueError:
            continue
    return path.name


def read_job(job_dir: Path) -> JobInfo:
    """Read a finished job folder.

    Raises:
        JobError: When the folder is not a job folder or holds no trained adapter yet.
    """
    from catalog import load_catalog
    from finetune.model import HEADS, job_labels, model_kind, resolve_model_source

    job_dir = Path(job_dir).resolve()
    if not (job_dir / "config.yaml").is_file():
        raise JobError(f"{job_dir.name} is not a job folder: it has no config.yaml.")
    cfg = RunConfig.from_yaml(job_dir / "config.yaml")
    adapter = job_dir / "adapter"
    if not ((adapter / "adapter_config.json").is_file() or (adapter / "config.json").is_file()):
        raise JobError(f"Job {job_dir.name} has no trained adapter yet; wait until the job has succeeded.")
    entry = load_catalog().get(cfg.model.name)
    name = cfg.model.name
    local = entry is None and (Path(name).expanduser().is_absolute() or name.startswith("."))
    base = entry.id if entry is not None else (shown_path(name) if local else name)
    if local and not base.startswith((".", "/")):
        base = "./" + base  # the form RunConfig reads as a folder, not as a Hub id
    by_task_type = {head[1]: kind for kind, head in HEADS.items()}
    task_type = _read_json(adapter / "adapter_config.json", {}).get("task_type")
    kind = by_task_type.get(task_type) or model_kind(cfg.task, resolve_model_source(name)[0],
                                                     revision=cfg.model.revision,
                                                     trust_remote_code=cfg.model.trust_remote_code)
    splits = _read_json(job_dir / "splits.json", {})
    return JobInfo(dir=job_dir, cfg=cfg, kind=kind, base=base, in_catalog=entry is not None, local_base=local,
                   license=entry.license if entry is not None else None,
                   metrics=_read_json(job_dir / "metrics.json", None), sizes=splits.get("sizes", {}),
                   labels=job_labels(job_dir))


def _read_json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def resolve_job_dir(ref: str) -> Path:
    """A job folder from a job id or a folder path (confined to the workspace).

    Raises:
        PathError: When a path points outside the workspace.
        JobError: When neither a job folder nor a known job id matches.
    """
    text = ref.strip()
    is_path = "/" in text or "\\" in text or text.startswith(".")
    try:
        folder: Path | None = confine(text, allow_examples=False)
    except PathError:
        if is_path:
            raise
        folder = None
    if folder is not None and (folder / "config.yaml").is_file():
        return folder
    if is_path:
        raise JobError(f"{text} is not a job folder: it has no config.yaml.")
    from finetune.runner import JobRunner

    return JobRunner().get(text).path


# -- model card ---------------------------------------------------------------------------------------
def pipeline_tag(job: JobInfo) -> str:
    """The Hub pipeline tag of the tuned model."""
    if job.kind == "seq2seq":
        return job.cfg.task if job.cfg.task in ("summarization", "translation") else "text2text-generation"
    return _PIPELINE_TAGS[job.kind]


def write_model_card(job_dir: Path, *, repo_id: str | None = None) -> Path:
    """Write ``job_dir/README.md``: a Hugging Face model card for the job's adapter.

    Args:
        job_dir: A finished job folder.
        repo_id: The Hub repo the adapter goes to, used in the loading code (default: the local folder).

    Returns:
        The path of the card.

    Raises:
        JobError: When the folder is not a finished job.
    """
    job = read_job(job_dir)
    path = job.dir / "README.md"
    tmp = path.with_name("README.md.tmp")
    tmp.write_text(render_card(job, repo_id=repo_id), encoding="utf-8")
    tmp.replace(path)
    return path


def render_card(job: JobInfo, *, repo_id: str | None = None, merged_dir: str | None = None) -> str:
    """The card's text: YAML front matter, then what it is, data, config, results, use, limits, reproduce.

    Args:
        job: The job.
        repo_id: Where the adapter is published, if known.
        merged_dir: For the card of a merged model: the merged folder as shown to the user.
    """
    merged = merged_dir is not None
    sections = [_intro(job, merged), _data_section(job), _config_section(job), _results_section(job),
                _usage_section(job, repo_id, merged_dir), _limits_section(job, merged), _reproduce_section(job)]
    return "---\n" + _front_matter(job, repo_id, merged) + "---\n\n" + "\n\n".join(sections) + "\n"


def _front_matter(job: JobInfo, repo_id: str | None, merged: bool) -> str:
    from huggingface_hub import EvalResult, ModelCardData

    cfg = job.cfg
    tags = ["tunewise", cfg.task]
    if job.is_lora:
        tags[1:1] = ["lora", "qlora"] if cfg.quantization.bits == 4 else ["lora"]
    if merged:
        tags.append("merged")
    tag = pipeline_tag(job)
    results = []
    if job.metrics and job.metrics.get("tuned"):
        data_file = Path(cfg.data.path).name
        for key, value in job.metrics["tuned"].items():
            results.append(EvalResult(task_type=tag, task_name=cfg.task,
                                      dataset_type=_DATA_BUILDERS.get(Path(data_file).suffix.lower(), "custom"),
                                      dataset_name=data_file, dataset_split="held-out", metric_type=key,
                                      metric_value=round(float(value), 4), metric_name=key))
    data = ModelCardData(
        base_model=None if job.local_base else job.base,
        library_name="peft" if job.is_lora and not merged else "transformers",
        license=job.license, pipeline_tag=tag, tags=tags,
        model_name=(repo_id.split("/")[-1] if repo_id else job.dir.name) if results else None,
        eval_results=results or None,
    )
    return data.to_yaml() + "\n"


def _intro(job: JobInfo, merged: bool) -> str:
    cfg = job.cfg
    method = {4: "QLoRA (LoRA on a 4-bit NF4 base)", 8: "LoRA on an 8-bit base"}.get(cfg.quantization.bits,
                                                                                   "LoRA on a full-precision base")
    what = "full fine-tuning" if not job.is_lora else method
    form = ("a standalone model: the adapter was merged into the base weights" if merged
            else "a LoRA adapter (load it on top of the base model)" if job.is_lora else "a fully fine-tuned model")
    base_line = (f"`{job.base}`" + (f" (licence `{job.license}`)" if job.license else "")
                 + ("" if job.in_catalog else " — a model outside the tunewise catalog"))
    return "\n".join([
        f"# {job.dir.name}: {cfg.task} fine-tune of {job.base}", "",
        f"This is {form}, trained with tunewise by {what}.", "",
        f"- **Base model:** {base_line}",
        f"- **Task:** {cfg.task} (pipeline `{pipeline_tag(job)}`)",
        *([f"- **Labels ({len(job.labels)}):** " + ", ".join(f"`{lab}`" for lab in job.labels)] if job.labels else []),
    ])


def _data_section(job: JobInfo) -> str:
    sizes = job.sizes
    held = sizes.get("validation", 0) + sizes.get("test", 0)
    rows = (f"{sizes.get('train', 0)} training rows and {held} held-out rows (split seed {job.cfg.data.seed})"
            if sizes else "row counts were not recorded (no splits.json)")
    evaluated = f"; {job.metrics['eval_rows']} held-out rows were scored" if job.metrics else ""
    return f"## Data\n\n`{shown_path(job.cfg.data.path)}`: {rows}{evaluated}."


def _config_section(job: JobInfo) -> str:
    c = job.cfg
    q = c.quantization
    quant = (f"{q.bits}-bit {q.quant_type}" + (", double quantization" if q.double_quant else "")
             if q.bits == 4 else f"{q.bits}-bit")
    targets = ", ".join(c.lora.target_modules) if c.lora.target_modules else "the catalog's choice for the architecture"
    length = (f"{c.train.max_steps} steps" if c.train.max_steps > 0 else f"{c.train.epochs:g} epochs")
    rows = [("quantization of the base", quant), ("compute dtype", q.compute_dtype), ("method", c.lora.method),
            ("LoRA rank r / alpha / dropout", f"{c.lora.r} / {c.lora.alpha} / {c.lora.dropout}"),
            ("LoRA target modules", targets), ("length", length), ("learning rate", f"{c.train.learning_rate:g}"),
            ("batch size × accumulation", f"{c.train.batch_size} × {c.train.gradient_accumulation}"),
            ("scheduler / warmup", f"{c.train.scheduler} / {c.train.warmup_ratio:g}"),
            ("max length (tokens)", str(c.data.max_length)), ("seed", str(c.train.seed))]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    return f"## Training configuration\n\n| setting | value |\n|---|---|\n{table}"


def _results_section(job: JobInfo) -> str:
    m = job.metrics
    if not m or not m.get("tuned"):
        return "## Results\n\nNo held-out evaluation was recorded for this job."
    base = m.get("base") or {}
    lines = ["## Results", "", f"Held-out rows: {m['eval_rows']}; primary metric: `{m['metric']}`.", "",
             "| metric | base | tuned | change |", "|---|---|---|---|"]
    for key, tuned in m["tuned"].items():
        b = base.get(key)
        change = "" if b is None else f"{tuned - b:+.4f}"
        lines.append(f"| {key} | {'—' if b is None else f'{b:.4f}'} | {tuned:.4f} | {change} |")
    if base:
        lines += ["", f"The base was scored as {m.get('base_method') or 'the untuned base model'}."]
    elif job.cfg.eval.baseline == "none":
        lines += ["", "There is no baseline: base scoring was switched off (`eval.baseline: none`)."]
    else:
        lines += ["", "There is no baseline for this task: an untrained task head would score at chance."]
    return "\n".join(lines)


def _usage_section(job: JobInfo, repo_id: str | None, merged_dir: str | None) -> str:
    auto = _auto_class(job)
    if merged_dir is not None or not job.is_lora:
        where = repo_id or merged_dir or shown_path(str(job.adapter))
        code = (f"from transformers import {auto}, AutoTokenizer\n\n"
                f"model = {auto}.from_pretrained(\"{where}\")\n"
                f"tokenizer = AutoTokenizer.from_pretrained(\"{where}\")")
        return f"## How to use\n\nA plain transformers model; peft is not needed.\n\n```python\n{code}\n```"
    where = repo_id or shown_path(str(job.adapter))
    labels_line, label_args = "", ""
    if job.labels:
        labels_line = f"labels = {json.dumps(job.labels, ensure_ascii=False)}\n"
        label_args = (", num_labels=len(labels),\n    id2label=dict(enumerate(labels)), "
                      "label2id={lab: i for i, lab in enumerate(labels)}")
    comment = "  # a local folder, relative to the tunewise workspace" if job.local_base else ""
    code = (f"from peft import PeftModel\nfrom transformers import {auto}, AutoTokenizer\n\n{labels_line}"
            f"base = {auto}.from_pretrained(\"{job.base}\"{label_args}){comment}\n"
            f"model = PeftModel.from_pretrained(base, \"{where}\").eval()\n"
            f"tokenizer = AutoTokenizer.from_pretrained(\"{where}\")")
    lines = ["## How to use", "", "```python", code, "```"]
    if not job.labels:
        lines += ["", f"Or in one line: `peft.{_AUTO_PEFT[job.kind]}.from_pretrained(\"{where}\")`."]
    if job.cfg.quantization.bits in (4, 8):
        lines += ["", f"The adapter was trained on a {job.cfg.quantization.bits}-bit base. Loading the base in full "
                  "precision as above is the usual way to serve it; its outputs differ from the training-time "
                  "model by the quantization error only."]
    lines += ["", "A standalone model without peft: `tunewise export <job> --merge <folder>` loads the base in full "
              f"precision, merges the adapter and writes a folder that loads with `{auto}.from_pretrained(folder)`."]
    return "\n".join(lines)


def _auto_class(job: JobInfo) -> str:
    from finetune.model import HEADS

    return HEADS[job.kind][0]


def _limits_section(job: JobInfo, merged: bool) -> str:
    lines = ["## Limitations", ""]
    rows = (job.metrics or {}).get("eval_rows")
    if rows:
        margin = 1.96 * math.sqrt(0.25 / rows) * 100
        lines.append(f"- The scores come from {rows} held-out rows: for a proportion such as accuracy the 95 % "
                     f"margin is up to ±{margin:.0f} points, so small differences are noise.")
    else:
        lines.append("- There is no held-out score: judge the model on your own examples before relying on it.")
    if not job.in_catalog:
        lines.append(f"- {NOT_CATALOG_NOTE}")
    if merged and job.cfg.quantization.bits in (4, 8):
        lines.append("- The adapter was trained on a quantized base and merged into full-precision weights.")
    lines.append("- The model learned from the data above only; check it on inputs unlike the training rows.")
    return "\n".join(lines)


def _reproduce_section(job: JobInfo) -> str:
    config = shown_path(str(job.dir / "config.yaml")).removeprefix("./")
    dump = job.cfg.model_dump(mode="json")
    dump["model"]["name"] = job.base
    dump["data"]["path"] = shown_path(job.cfg.data.path)
    dump["output"]["dir"] = None
    full = yaml.safe_dump(dump, sort_keys=False, allow_unicode=True).rstrip()
    return "\n".join([
        "## Reproduce", "", "From the tunewise workspace that ran the job:", "", "```bash",
        'cd "${TUNEWISE_HOME:-$HOME/.tunewise}"', f"tunewise train {config}", "```", "",
        "<details><summary>The resolved run config</summary>", "", "```yaml", full, "```", "", "</details>"])


# -- merge --------------------------------------------------------------------------------------------
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

    from finetune.model import LABELLED_KINDS, resolve_model_source

    cfg = job.cfg
    auto_class = getattr(transformers, _auto_class(job))
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
def check_repo_id(repo_id: str) -> str:
    """Validate a Hub model repo id (``namespace/name``) by the Hub's own rules.

    Raises:
        ConfigError: With the rule the id breaks.
    """
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    text = repo_id.strip()
    if text.count("/") != 1 or not all(text.split("/")):
        raise ConfigError(f"'{repo_id}' is not a Hub repo id: write it as namespace/name, e.g. your-user/my-adapter.")
    try:
        validate_repo_id(text)
    except HFValidationError:
        raise ConfigError(f"'{repo_id}' is not a valid Hub repo id: use letters, digits, '-', '_' and '.', at "
                          "most 96 characters, no '--' or '..', not starting or ending with '-' or '.'.") from None
    return text


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
             dry_run: bool = False) -> dict[str, Any]:
    """Upload a job's adapter, model card, labels and metrics to a Hub model repo.

    Args:
        job_dir: A finished job folder.
        repo_id: ``namespace/name`` of the model repo (created if missing).
        token: A Hub token with write access; default ``HF_TOKEN`` or the saved ``hf auth login`` token.
        private: Create the repo private (an existing repo keeps its visibility).
        dry_run: List what would be uploaded and touch no network.

    The job's ``README.md`` is written when missing. An unedited generated card is uploaded re-rendered
    so that its loading code names ``repo_id``; an edited card is uploaded as it is.

    Returns:
        ``{"repo_id", "private", "dry_run", "files": [{"path", "bytes"}], "card": first lines}`` plus
        ``"url"`` and ``"commit"`` after a real upload.

    Raises:
        ConfigError: For an invalid repo id.
        JobError: When the job has no trained adapter.
        HubError: Without a token, offline, or when the Hub refuses the upload.
    """
    repo_id = check_repo_id(repo_id)
    job = read_job(job_dir)
    card_path = job.dir / "README.md"
    if not card_path.is_file():
        write_model_card(job.dir, repo_id=repo_id)
    card = card_path.read_text(encoding="utf-8")
    if card == render_card(job):  # the generated local card, unedited: point its loading code at the repo
        card = render_card(job, repo_id=repo_id)
    plan = [(name, card.encode("utf-8") if name == "README.md" else src) for name, src in upload_plan(job)]
    result: dict[str, Any] = {
        "repo_id": repo_id, "private": private, "dry_run": dry_run,
        "card": "\n".join(card.splitlines()[:CARD_PREVIEW_LINES]),
        "files": [{"path": name, "bytes": len(src) if isinstance(src, bytes) else src.stat().st_size}
                  for name, src in plan]}
    if dry_run:
        return result
    token = _resolve_token(token)
    _require_hub()
    log.info("Uploading %d files of job %s to %s", len(plan), job.dir.name, repo_id)
    staging = job.dir / f".push-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        _stage(plan, staging)
        result.update(_upload(staging, repo_id, token, private, job.dir.name))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return result


def _resolve_token(token: str | None) -> str:
    from huggingface_hub import get_token

    found = token or os.environ.get("HF_TOKEN") or get_token()
    if not found:
        raise HubError("No Hugging Face token: run `hf auth login` (or set HF_TOKEN) with a token that has write "
                       "access (https://huggingface.co/settings/tokens), or use --dry-run to see what would be sent.")
    return found


def _require_hub() -> None:
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


def _upload(folder: Path, repo_id: str, token: str, private: bool, job_name: str) -> dict[str, Any]:
    import httpx
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    api = HfApi(token=token)
    try:
        url = api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        commit = api.upload_folder(repo_id=repo_id, folder_path=str(folder), repo_type="model",
                                   commit_message=f"Upload tunewise job {job_name}")
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
