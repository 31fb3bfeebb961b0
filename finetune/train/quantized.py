"""A pre-quantized 4-bit copy of each decoder-only base, written by the first job and read by every later load.

Loading a base in 4-bit reads its whole float checkpoint to quantize it, every time, and on a CPU the
checkpoint's pages stay resident after the load (see ``bench/RESULTS.md``). bitsandbytes can serialize its
4-bit weights, so the first load saves the quantized model (``save_pretrained``: packed NF4 bytes, their
quantization state, the config with its ``quantization_config``) into ``$TUNEWISE_HOME/quantized/``, and later
loads read that folder instead: a fraction of the bytes, no quantization pass. Measured on SmolLM2-135M
(2 cores): 4.1 s and 0.65 GB peak RSS against 14.3 s and 1.02 GB, identical logits.

Only decoder-only bases are cached: a classification or NER model gets a new, randomly initialised head per
job, which must not be frozen into a shared copy. The key holds everything that changes the bytes: the source
(a local folder with its weights' modification times), the revision, the quantization settings and the
bitsandbytes and transformers versions. Writing is atomic (a temporary folder renamed into place), so a job
killed mid-write leaves no half copy; a failed write only logs a warning.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from finetune.config.run import RunConfig

log = logging.getLogger(__name__)


def cache_folder(cfg: RunConfig, source: str, compute: Any) -> Path:
    """Where the 4-bit copy of ``source`` under these settings lives (it may not exist yet)."""
    import bitsandbytes
    import transformers

    from finetune.workspace import safe_name, workspace_root

    folder = Path(source)
    stamp = sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.safetensors")) if folder.is_dir() else []
    key = json.dumps([str(folder.resolve()) if folder.is_dir() else source, stamp, cfg.model.revision,
                      cfg.quantization.quant_type, cfg.quantization.double_quant, str(compute),
                      bitsandbytes.__version__, transformers.__version__])
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return workspace_root() / "quantized" / f"{safe_name(Path(source).name or source)}-{digest}"


def is_ready(folder: Path) -> bool:
    """Whether a complete copy is there (the rename is the last step of writing one)."""
    return (folder / "config.json").is_file() and any(folder.glob("*.safetensors"))


def save_copy(model: Any, folder: Path) -> None:
    """Save the freshly quantized ``model`` as the cached copy; never raises (the cache is an optimisation)."""
    if is_ready(folder):
        return
    tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(str(tmp), safe_serialization=True)
        os.replace(tmp, folder)
        log.info("saved a 4-bit copy of the base in %s: later jobs load it directly", folder)
    except OSError as exc:  # another process renamed its copy first, or the disk is full
        if not is_ready(folder):
            log.warning("could not save the 4-bit copy of the base (%s); later loads quantize again", exc)
    except Exception as exc:  # noqa: BLE001 - a serialization gap of some layer type: load as usual later
        log.warning("the 4-bit base could not be serialized (%s); later loads quantize again", exc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
