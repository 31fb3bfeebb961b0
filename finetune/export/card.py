"""The model card of a finished job: a Hugging Face README with front matter, results and how to reproduce.

    write_model_card(job_dir)                 -> job_dir/README.md

The card never carries absolute paths: a local base model folder is shown relative to the workspace.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from catalog.errors import JobError
from finetune.config.run import RunConfig
from finetune.workspace import EXAMPLES_DIR, workspace_root

log = logging.getLogger(__name__)

CARD_PREVIEW_LINES = 15
_PIPELINE_TAGS = {"seq-cls": "text-classification", "token-cls": "token-classification",
                  "qa": "question-answering", "causal": "text-generation"}
_AUTO_PEFT = {"seq-cls": "AutoPeftModelForSequenceClassification", "token-cls": "AutoPeftModelForTokenClassification",
              "qa": "AutoPeftModelForQuestionAnswering", "seq2seq": "AutoPeftModelForSeq2SeqLM",
              "causal": "AutoPeftModelForCausalLM"}
_DATA_BUILDERS = {".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "json", ".parquet": "parquet"}
NOT_CATALOG_NOTE = ("The base was a model outside the tunewise catalog (such as a tiny test model): the numbers "
                    "above show that the pipeline works, not the quality a real model would reach.")


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
    from finetune.train.model import HEADS, job_labels, model_kind, resolve_model_source

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


def render_card(job: JobInfo, *, repo_id: str | None = None, merged_dir: str | None = None,
                dataset_id: str | None = None) -> str:
    """The card's text: YAML front matter, then what it is, data, config, results, use, limits, reproduce.

    Args:
        job: The job.
        repo_id: Where the adapter is published, if known.
        merged_dir: For the card of a merged model: the merged folder as shown to the user.
        dataset_id: The Hub dataset the training file came from, if any: it becomes the card's ``datasets``
            and the dataset of its ``model-index`` results (a local file is named in the text only).
    """
    merged = merged_dir is not None
    sections = [_intro(job, merged), _data_section(job, dataset_id), _config_section(job), _results_section(job),
                _usage_section(job, repo_id, merged_dir), _limits_section(job, merged), _reproduce_section(job)]
    return ("---\n" + card_data(job, repo_id=repo_id, merged=merged, dataset_id=dataset_id).to_yaml() + "\n---\n\n"
            + "\n\n".join(sections) + "\n")


def card_data(job: JobInfo, *, repo_id: str | None = None, merged: bool = False,
              dataset_id: str | None = None) -> Any:
    """The card's metadata as a ``huggingface_hub.ModelCardData`` (held-out metrics as ``model-index``).

    Args:
        job: The job.
        repo_id: Where the model is published, if known (names the ``model-index`` entry).
        merged: Metadata of the merged standalone model rather than of the adapter.
        dataset_id: The Hub dataset the training file came from, if any.
    """
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
                                      dataset_type=dataset_id or _DATA_BUILDERS.get(Path(data_file).suffix.lower(),
                                                                                    "custom"),
                                      dataset_name=dataset_id or data_file, dataset_split="held-out",
                                      metric_type=key, metric_value=round(float(value), 4), metric_name=key))
    adapter = job.is_lora and not merged
    relation = None if job.local_base else "adapter" if adapter else "finetune"
    extra: dict[str, Any] = {"base_model_relation": relation} if relation else {}
    return ModelCardData(
        base_model=None if job.local_base else job.base,
        datasets=[dataset_id] if dataset_id else None,
        library_name="peft" if adapter else "transformers",
        license=job.license, pipeline_tag=tag, tags=tags,
        model_name=(repo_id.split("/")[-1] if repo_id else job.dir.name) if results else None,
        eval_results=results or None,
        **extra,
    )


def card_problems(text: str, *, adapter: bool | None = None) -> list[str]:
    """Check a model card's metadata offline, the way the Hub reads it; every problem at once.

    The front matter must parse (``huggingface_hub.ModelCard``), name a ``pipeline_tag`` and a
    ``library_name`` (``peft`` for an adapter), and its ``model-index`` must parse back into results.

    Args:
        text: The card (README.md) text.
        adapter: Whether the card describes a peft adapter (None: do not check the library).

    Returns:
        Problems as sentences; empty when the card is fine.
    """
    from huggingface_hub import ModelCard
    from huggingface_hub.repocard_data import model_index_to_eval_results

    try:
        card = ModelCard(text, ignore_metadata_errors=False)
    except (ValueError, yaml.YAMLError) as exc:
        return [f"The front matter does not parse: {str(exc).splitlines()[0]}"]
    meta = card.data.to_dict()
    problems = [f"`{key}` is missing." for key in ("pipeline_tag", "library_name") if not meta.get(key)]
    wanted = None if adapter is None else "peft" if adapter else "transformers"
    if wanted and meta.get("library_name") != wanted:
        what = "an adapter" if adapter else "a standalone model"
        problems.append(f"`library_name` is {meta.get('library_name')!r}; {what} needs {wanted!r}.")
    if "model-index" in meta:
        try:
            _, results = model_index_to_eval_results(meta["model-index"])
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"`model-index` does not parse: {exc}")
        else:
            if not results:
                problems.append("`model-index` holds no results.")
    return problems


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


def _data_section(job: JobInfo, dataset_id: str | None = None) -> str:
    sizes = job.sizes
    held = sizes.get("validation", 0) + sizes.get("test", 0)
    rows = (f"{sizes.get('train', 0)} training rows and {held} held-out rows (split seed {job.cfg.data.seed})"
            if sizes else "row counts were not recorded (no splits.json)")
    evaluated = f"; {job.metrics['eval_rows']} held-out rows were scored" if job.metrics else ""
    source = f" (from the Hub dataset [`{dataset_id}`](https://huggingface.co/datasets/{dataset_id}))" if dataset_id else ""
    return f"## Data\n\n`{shown_path(job.cfg.data.path)}`{source}: {rows}{evaluated}."


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
        interval = (m.get("intervals") or {}).get(m["metric"])
        if interval:
            from finetune.tasks.intervals import from_dict, verdict

            lines += ["", verdict(from_dict(interval)) + " (paired bootstrap over the held-out rows, "
                      f"{interval['resamples']} resamples)"]
    elif job.cfg.eval.baseline == "none":
        lines += ["", "There is no baseline: base scoring was switched off (`eval.baseline: none`)."]
    else:
        lines += ["", "There is no baseline for this task: an untrained task head would score at chance."]
    from catalog import load_catalog

    entry = load_catalog().get(job.cfg.model.name)
    if entry is not None and entry.model_type_class == "causal" and entry.params < 500_000_000:
        lines += ["", f"**{entry.name} is a small model** ({entry.params / 1e6:.0f}M parameters): fine-tuning teaches "
                  "it a format or a house style, not knowledge or reasoning; judge its outputs with that in mind."]
    return "\n".join(lines)


def _usage_section(job: JobInfo, repo_id: str | None, merged_dir: str | None) -> str:
    auto = auto_class_name(job)
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


def auto_class_name(job: JobInfo) -> str:
    from finetune.train.model import HEADS

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
