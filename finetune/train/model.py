"""Quantized base model + LoRA adapters (QLoRA), built from a ``RunConfig``.

The frozen base is loaded in 4-bit NF4 through bitsandbytes (it works on CPU too, with
``device_map="cpu"``). Task heads that are new to the checkpoint are kept out of quantization
(``llm_int8_skip_modules``) and trained in full through ``modules_to_save``; otherwise their forward
would run on an un-initialised ``Linear4bit``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from catalog.errors import ModelError
from finetune.config.run import RunConfig

log = logging.getLogger(__name__)

#: Heads that task models add on top of a pretrained body; never quantized, always fully trained.
NEW_HEAD_MODULES = ["classifier", "pooler", "score", "qa_outputs"]
#: Never quantized: new heads, and the output projection of language models (transformers skips it by
#: default, but only when no skip list is given; quantizing a tied lm_head breaks the forward pass).
SKIP_QUANTIZATION = [*NEW_HEAD_MODULES, "lm_head"]
#: LoRA targets by architecture, used when neither the config nor the catalog names them.
DEFAULT_TARGETS = {
    "bert": ["query", "key", "value", "dense"],
    "llama": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    "t5": ["q", "k", "v", "o", "wi", "wo"],
}


def resolve_model_source(name: str) -> tuple[str, Any]:
    """Find where a model's weights are: a packaged folder, a local folder, or a Hub id.

    Args:
        name: A catalog id, a folder inside the workspace, or a Hub id.

    Returns:
        ``(path_or_hub_id, catalog_entry_or_None)``.

    Raises:
        ModelError: When a folder is given that holds no ``config.json``.
    """
    from catalog import load_catalog
    from catalog.availability import packaged_gguf, resolve_model_path

    entry = load_catalog().get(name)
    if entry is not None and entry.packaged_file and packaged_gguf(entry) is not None:
        from finetune.train.packaged import ensure_converted

        return str(ensure_converted(entry)), entry  # converted once, on first use
    if entry is not None:
        return resolve_model_path(entry), entry
    candidate = Path(name).expanduser()
    if candidate.is_absolute() or name.startswith("."):
        from finetune.workspace import confine

        folder = confine(candidate, allow_examples=False)
        if not (folder / "config.json").is_file():
            raise ModelError(f"{name} is not a model folder: it has no config.json.")
        return str(folder), None
    local = workspace_model_folder(name)
    return (str(local), None) if local is not None else (name, None)


def workspace_model_folder(name: str) -> Path | None:
    """The workspace folder ``name`` names (e.g. ``models/my-t5``) when it holds a model, else None.

    A relative name that is no such folder is a Hub id (``org/name`` looks the same).
    """
    from catalog.errors import PathError
    from finetune.workspace import confine, workspace_root

    try:
        folder = confine(name, allow_examples=False)
    except PathError:
        given = workspace_root() / name
        if given.is_symlink() or given.exists():
            raise  # a link or folder in the workspace that leads outside it: say so, don't try the Hub
        return None
    return folder if (folder / "config.json").is_file() else None


def pick_device(preference: str = "auto") -> str:
    """Return ``cuda`` when asked for (or auto and present), else ``cpu``."""
    import torch

    if preference == "cuda" and not torch.cuda.is_available():
        raise ModelError("device: cuda was requested but no CUDA GPU is visible. Use device: auto or cpu.")
    if preference in ("auto", "cuda") and torch.cuda.is_available():
        return "cuda"
    return "cpu"


def compute_dtype(cfg: RunConfig, device: str) -> Any:
    """The matmul dtype: bfloat16 on GPUs that support it, float32 elsewhere, unless the config says."""
    import torch

    if cfg.quantization.compute_dtype != "auto":
        return getattr(torch, cfg.quantization.compute_dtype)
    if device == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


def quantization_config(cfg: RunConfig, device: str, *, sharded: bool = False) -> Any:
    """Build the ``BitsAndBytesConfig`` for 4/8-bit, or None for 16/32-bit training.

    Args:
        cfg: The run config.
        device: ``cuda`` or ``cpu``.
        sharded: For FSDP-QLoRA. FSDP flattens every parameter of a wrapped block into one tensor, which
            must be floating point and of one dtype; bitsandbytes then packs the 4-bit codes into tensors of
            the compute dtype (``bnb_4bit_quant_storage``) instead of ``uint8``.
    """
    from transformers import BitsAndBytesConfig

    q = cfg.quantization
    if q.bits == 4:
        dtype = compute_dtype(cfg, device)
        return BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type=q.quant_type,
            bnb_4bit_use_double_quant=q.double_quant,
            bnb_4bit_compute_dtype=dtype,
            **({"bnb_4bit_quant_storage": dtype} if sharded else {}),
            llm_int8_skip_modules=SKIP_QUANTIZATION,
        )
    if q.bits == 8:
        return BitsAndBytesConfig(load_in_8bit=True, llm_int8_skip_modules=SKIP_QUANTIZATION)
    return None


def lora_targets(cfg: RunConfig, entry: Any, model: Any) -> list[str]:
    """LoRA target modules: the config's, else the catalog's, else by architecture."""
    if cfg.lora.target_modules:
        return list(cfg.lora.target_modules)
    if entry is not None and entry.lora_target_modules:
        return list(entry.lora_target_modules)
    model_type = getattr(model.config, "model_type", "")
    for arch, targets in DEFAULT_TARGETS.items():
        if arch in model_type:
            return targets
    raise ModelError(
        f"No LoRA target modules are known for architecture '{model_type}'. Set lora.target_modules."
    )


def keep_cpu_4bit_trainable(model: Any) -> None:
    """Stop bitsandbytes from repacking 4-bit weights for CPU inference during training.

    On CPUs with AVX512-BF16, bitsandbytes 0.50 repacks a ``Linear4bit`` weight the first time it runs
    in eval mode without gradients (the Trainer's periodic evaluation) and never unpacks it when
    training resumes, after which the backward pass fails. Training models therefore keep the plain
    layout; inference-only models still get the faster packed one.
    """
    for module in model.modules():
        if hasattr(module, "support_avx512bf16_for_cpu"):
            module.support_avx512bf16_for_cpu = False


#: How each task's model is built: transformers auto class, peft task type, head trained in full.
HEADS: dict[str, tuple[str, str, list[str]]] = {
    "seq-cls": ("AutoModelForSequenceClassification", "SEQ_CLS", ["classifier", "score"]),
    "token-cls": ("AutoModelForTokenClassification", "TOKEN_CLS", ["classifier", "score"]),
    "qa": ("AutoModelForQuestionAnswering", "QUESTION_ANS", ["qa_outputs"]),
    "seq2seq": ("AutoModelForSeq2SeqLM", "SEQ_2_SEQ_LM", []),
    "causal": ("AutoModelForCausalLM", "CAUSAL_LM", []),
}
LABELLED_KINDS = ("seq-cls", "token-cls")


def model_kind(task: str, source: str, *, revision: str | None = None, trust_remote_code: bool = False) -> str:
    """The head a task needs on this model: generative tasks use seq2seq models as they are and
    decoder-only models as chat models (the record becomes a prompt and an answer).

    Raises:
        ModelError: When the model's config cannot be read.
    """
    if task == "text-classification":
        return "seq-cls"
    if task == "token-classification":
        return "token-cls"
    if task == "chat":
        return "causal"
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(source, revision=revision, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as exc:
        raise ModelError(f"Could not read the config of '{source}': {str(exc).splitlines()[0]}") from None
    if getattr(config, "is_encoder_decoder", False):
        return "seq2seq"
    if task == "question-answering":  # extractive on an encoder, generative on a decoder-only model
        causal = any(a.endswith("ForCausalLM") for a in getattr(config, "architectures", None) or [])
        return "causal" if causal else "qa"
    return "causal"


def _load(cfg: RunConfig, source: str, kind: str, labels: list[str] | None, device: str, *,
          sharded: bool = False, device_map: str | None = None) -> tuple[Any, Any]:
    """Load model and tokenizer. ``sharded`` (FSDP): one dtype for every weight, no ``device_map``."""
    import torch
    import transformers

    auto_class = getattr(transformers, HEADS[kind][0])
    kwargs: dict[str, Any] = {"revision": cfg.model.revision, "trust_remote_code": cfg.model.trust_remote_code}
    if kind in LABELLED_KINDS and labels is not None:
        kwargs.update(num_labels=len(labels), id2label=dict(enumerate(labels)),
                      label2id={lab: i for i, lab in enumerate(labels)})
    quant = quantization_config(cfg, device, sharded=sharded)
    if sharded:
        # PEFT/bitsandbytes FSDP-QLoRA recipe: the unquantized weights in the quant storage dtype, and no
        # device_map (bitsandbytes then places the model on the current device: this rank's GPU, or the CPU)
        kwargs["dtype"] = torch.float32 if cfg.quantization.bits == 32 else compute_dtype(cfg, device)
        if quant is not None:
            kwargs["quantization_config"] = quant
    elif quant is not None:
        kwargs.update(quantization_config=quant, device_map=device_map or device)
    else:
        kwargs["dtype"] = torch.float32 if cfg.quantization.bits == 32 else compute_dtype(cfg, device)
        if device_map is not None:
            kwargs["device_map"] = device_map
    from finetune.train import quantized

    # decoder-only 4-bit bases: read the cached 4-bit copy when there is one, else quantize and write it
    cached = quantized.cache_folder(cfg, source, quant.bnb_4bit_compute_dtype) \
        if kind == "causal" and not sharded and quant is not None and cfg.quantization.bits == 4 else None
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(source, revision=cfg.model.revision,
                                                               trust_remote_code=cfg.model.trust_remote_code)
        if cached is not None and quantized.is_ready(cached):
            plain = {k: v for k, v in kwargs.items() if k not in ("quantization_config", "revision")}
            model = auto_class.from_pretrained(str(cached), **plain)
            model.name_or_path = model.config._name_or_path = source  # adapters and cards name the real base
        else:
            model = auto_class.from_pretrained(source, **kwargs)
            if cached is not None:
                quantized.save_copy(model, cached)
    except OSError as exc:
        raise ModelError(
            f"Could not load '{cfg.model.name}': {str(exc).splitlines()[0]} "
            "Offline, use a packaged model (tunewise catalog) or a folder in the workspace."
        ) from None
    except ValueError as exc:  # e.g. an architecture without this head
        raise ModelError(f"'{cfg.model.name}' cannot be loaded for {cfg.task}: {str(exc).splitlines()[0]}") from None
    if quant is None and device_map is None:
        model.to(device)
    if kind == "causal":
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        model.config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer


def load_for_training(cfg: RunConfig, labels: list[str] | None = None) -> tuple[Any, Any]:
    """Load the task's model (4-bit base + LoRA + trainable head by default) and its tokenizer.

    Args:
        cfg: The run config.
        labels: Class names or BIO tags in id order (classification and NER).

    Returns:
        ``(model, tokenizer)``; the model is a peft model unless ``lora.method`` is ``full``.

    Raises:
        ModelError: When the model cannot be found or loaded.
    """
    from peft import get_peft_model, prepare_model_for_kbit_training

    from finetune.train.distributed import fsdp_requested

    source, entry = resolve_model_source(cfg.model.name)
    device = pick_device(cfg.train.device)
    kind = model_kind(cfg.task, source, revision=cfg.model.revision, trust_remote_code=cfg.model.trust_remote_code)
    sharded = fsdp_requested()
    model, tokenizer = _load(cfg, source, kind, labels, device, sharded=sharded)
    if cfg.lora.method == "full":
        return model, tokenizer
    if cfg.quantization.bits in (4, 8):
        keep_cpu_4bit_trainable(model)
    if cfg.quantization.bits in (4, 8) and not sharded:
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=cfg.train.gradient_checkpointing)
    elif cfg.train.gradient_checkpointing:
        # sharded: no prepare_model_for_kbit_training (as TRL does for FSDP-QLoRA), whose float32 upcast of
        # norms and heads would mix dtypes inside one FSDP flat parameter
        model.gradient_checkpointing_enable()
        model.enable_input_require_grads()
    return get_peft_model(model, _lora_config(cfg, kind, entry, model)), tokenizer


def _lora_config(cfg: RunConfig, kind: str, entry: Any, model: Any) -> Any:
    from peft import LoraConfig, TaskType

    return LoraConfig(
        task_type=getattr(TaskType, HEADS[kind][1]),
        r=cfg.lora.r,
        lora_alpha=cfg.lora.alpha,
        lora_dropout=cfg.lora.dropout,
        target_modules=lora_targets(cfg, entry, model),
        modules_to_save=HEADS[kind][2] or None,  # peft trains whichever of the heads exists
    )


def load_trained_adapter(cfg: RunConfig, labels: list[str] | None, state_dict: dict[str, Any], *,
                         device_map: str | None = None) -> tuple[Any, Any]:
    """Rebuild a model trained under FSDP on a fresh, unsharded base, from its gathered full state dict.

    The gathered keys are those of the plain peft model (FSDP strips its wrappers from them), so the trained
    tensors load by name onto the same LoRA layers built on a fresh base. Saving from the fresh model also
    avoids a peft 0.21.2 bug: ``save_pretrained(state_dict=...)`` on the model still wrapped by FSDP selects the
    adapter keys by module names that keep the inner ``_fsdp_wrapped_module.`` of each wrapped block, so it
    matches none of the gathered keys and writes an empty adapter.

    Args:
        cfg: The run config.
        labels: Class names or BIO tags in id order (classification and NER).
        state_dict: ``distributed.gather_state_dict`` on rank 0.
        device_map: Where to place the base (see :func:`load_for_inference`).

    Returns:
        ``(peft model in eval mode, tokenizer)``.

    Raises:
        ModelError: When a trained tensor is missing from the state dict.
    """
    from peft import get_peft_model

    source, entry = resolve_model_source(cfg.model.name)
    device = pick_device(cfg.train.device)
    kind = model_kind(cfg.task, source, revision=cfg.model.revision, trust_remote_code=cfg.model.trust_remote_code)
    model, tokenizer = _load(cfg, source, kind, labels, device, device_map=device_map)
    model = get_peft_model(model, _lora_config(cfg, kind, entry, model))
    trained = [name for name, param in model.named_parameters() if param.requires_grad]
    missing = [name for name in trained if name not in state_dict]
    if missing:
        raise ModelError(f"The gathered FSDP state dict lacks {len(missing)} trained tensor(s), e.g. {missing[0]}.")
    model.load_state_dict({name: state_dict[name] for name in trained}, strict=False)
    model.eval()
    return model, tokenizer


def job_labels(job_dir: Path) -> list[str] | None:
    """The label names a job trained with (labels.json), or None for tasks without labels."""
    import json

    path = job_dir / "labels.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def load_for_inference(job_dir: Path, cfg: RunConfig, *, device_map: str | None = None) -> tuple[Any, Any]:
    """Load the base (quantized as in training) with the job's trained adapter attached, in eval mode.

    Base outputs come from the same weights with ``model.disable_adapter()``, so side by side costs one
    model's memory.

    Args:
        job_dir: The job folder holding ``adapter/``.
        cfg: The job's run config.
        device_map: Where to place the base; by default all of it on the training device. ``auto`` spreads
            a base that was trained sharded (FSDP) over every visible GPU and the CPU.

    Raises:
        ModelError: When the job has no saved adapter.
    """
    from peft import PeftModel

    adapter = job_dir / "adapter"
    if not (adapter / "adapter_config.json").is_file():
        raise ModelError(f"Job folder {job_dir.name} has no trained adapter yet.")
    source, _ = resolve_model_source(cfg.model.name)
    device = pick_device(cfg.train.device)
    kind = model_kind(cfg.task, source, revision=cfg.model.revision, trust_remote_code=cfg.model.trust_remote_code)
    model, tokenizer = _load(cfg, source, kind, job_labels(job_dir), device, device_map=device_map)
    model = PeftModel.from_pretrained(model, str(adapter))
    model.eval()
    if (adapter / "tokenizer_config.json").exists():
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(adapter))
        if kind == "causal" and tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer
