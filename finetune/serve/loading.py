"""Loading a job's model for serving: the translation languages a prompt names, CPU 4-bit guards, quiet logs."""

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
