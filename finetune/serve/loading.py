"""Loading a job's model for serving: the precision it is served in, the translation languages a prompt names,
CPU 4-bit guards, quiet logs."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from catalog.errors import TunewiseError
from finetune.config.run import RunConfig

log = logging.getLogger(__name__)


def fill_languages(cfg: RunConfig) -> None:
    """Translation prompts name the languages; recover them from the job's data when the config lacks them."""
    if cfg.task != "translation" or (cfg.data.source_lang and cfg.data.target_lang):
        return
    from finetune.data.intake import load_data
    from finetune.workspace import job_input

    try:
        loaded = load_data(job_input(cfg.data.path), task="translation")
    except TunewiseError as exc:
        log.warning("translation languages unknown (%s); prompts name no language", exc)
        return
    cfg.data.source_lang = cfg.data.source_lang or loaded.source_lang
    cfg.data.target_lang = cfg.data.target_lang or loaded.target_lang


#: Share of the machine's free memory a float32 base may take before serving falls back to the 4-bit copy.
FLOAT_SERVING_SHARE = 0.25


def serving_config(cfg: RunConfig, device: str, *, free_bytes: float | None = None) -> tuple[RunConfig, str | None]:
    """The config to serve a job with, and a note when it differs from training.

    On a CPU, bitsandbytes dequantizes every 4-bit weight at every decoding step, which makes generation
    2-3x slower than a plain float32 ``generate``. Where a float32 copy of the base fits in a quarter of the
    free memory, the pair serves the float32 base with the adapter unmerged (base = adapter disabled, as
    before). The adapter was trained on the 4-bit copy, so tuned outputs can differ slightly from the ones the
    job measured; the note says so. A GPU, or a base too large, keeps the training precision.
    """
    if device != "cpu" or cfg.quantization.bits == 32:
        return cfg, None
    float_bytes = _float32_bytes(cfg)
    if float_bytes is None:
        return cfg, None
    if free_bytes is None:
        import psutil

        free_bytes = float(psutil.virtual_memory().available)
    if float_bytes > FLOAT_SERVING_SHARE * free_bytes:
        return cfg, None
    served = cfg.model_copy(update={"quantization": cfg.quantization.model_copy(update={"bits": 32})}, deep=True)
    return served, (f"served from the float32 base with the adapter unmerged (faster on a CPU); the job trained "
                    f"and measured it on the {cfg.quantization.bits}-bit copy, so answers may differ slightly "
                    f"from its held-out examples")


def _float32_bytes(cfg: RunConfig) -> float | None:
    """Bytes of the base's weights in float32: from the catalog's parameter count, else from a local folder's
    safetensors files (counted as 16-bit, so doubled); None when neither is known."""
    from pathlib import Path

    from catalog import load_catalog

    entry = load_catalog().get(cfg.model.name)
    if entry is not None:
        return entry.params * 4.0
    folder = Path(cfg.model.name).expanduser()
    files = list(folder.glob("*.safetensors")) if folder.is_dir() else []
    return sum(f.stat().st_size for f in files) * 2.0 if files else None


def guard_cpu_packing(model: Any) -> None:
    """Keep bitsandbytes from repacking 4-bit weights for CPU inference where the layer's shape does not
    allow it (out features not a multiple of 32, in features not a multiple of the quantization block):
    the repacking would fail on the first forward. Layers that fit keep the faster packed kernel."""
    for module in model.modules():
        if getattr(module, "support_avx512bf16_for_cpu", False):
            state = getattr(module.weight, "quant_state", None)
            block = getattr(state, "blocksize", 64) or 64
            if module.out_features % 32 or module.in_features % block:
                module.support_avx512bf16_for_cpu = False


@contextlib.contextmanager
def quiet_loading() -> Iterator[None]:
    """Keep transformers' load report, progress bars and deprecation notes out of a served model's logs.

    Loading a task model reports its new head as "MISSING ... newly initialized": true for the bare base,
    but the job's adapter supplies the trained head right after, so the note would only mislead.
    """
    import warnings

    from transformers.utils import logging as hf_logging

    level, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()
