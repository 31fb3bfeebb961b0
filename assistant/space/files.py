"""What goes into a Space folder: the README front matter, requirements.txt and the hardware profiles.

Everything version-like is read where the build runs: ``sdk_version`` is the installed Gradio (checked
against ``pyproject.toml``), each requirement is pinned to the installed version (else pyproject's
range), and ``python_version`` is the interpreter's. The templates live in ``spaces/`` at the repo root.
"""

from __future__ import annotations

import difflib
import re
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from catalog.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = ROOT / "spaces"
#: PyTorch's CPU wheels: a CPU Space need not download the CUDA libraries of the default wheel.
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
DEFAULT_HARDWARE = "cpu-basic"
DEFAULT_TITLE = "tunewise"
#: Hugging Face's limit for ``short_description``; the title is held to the same length.
MAX_TITLE = 60

#: (GPU name, GPU memory GiB per GPU, RAM GiB, vCPUs) of each Space hardware, from the Hub's pricing page.
#: ZeroGPU is listed as a CPU: its GPU is lent per request, so training runs on the CPU (see assistant.space.runtime).
HARDWARE_PROFILES: dict[str, tuple[str | None, float | None, float, int]] = {
    "cpu-basic": (None, None, 16, 2), "cpu-upgrade": (None, None, 32, 8), "zero-a10g": (None, None, 16, 4),
    "t4-small": ("NVIDIA T4", 16, 15, 4), "t4-medium": ("NVIDIA T4", 16, 30, 8),
    "l4x1": ("NVIDIA L4", 24, 30, 8), "l4x4": ("NVIDIA L4", 24, 186, 48),
    "l40sx1": ("NVIDIA L40S", 48, 62, 8), "l40sx4": ("NVIDIA L40S", 48, 382, 48),
    "l40sx8": ("NVIDIA L40S", 48, 1534, 192),
    "a10g-small": ("NVIDIA A10G", 24, 15, 4), "a10g-large": ("NVIDIA A10G", 24, 46, 12),
    "a10g-largex2": ("NVIDIA A10G", 24, 92, 24), "a10g-largex4": ("NVIDIA A10G", 24, 184, 48),
    "a100-large": ("NVIDIA A100", 80, 142, 12), "a100x4": ("NVIDIA A100", 80, 568, 48),
    "a100x8": ("NVIDIA A100", 80, 1136, 96),
}


def space_hardware_names() -> list[str]:
    """The hardware names the Hub accepts, from ``huggingface_hub.SpaceHardware``."""
    from huggingface_hub import SpaceHardware

    return [h.value for h in SpaceHardware]


def check_hardware(name: str) -> str:
    """Validate a Space hardware name.

    Raises:
        ConfigError: Naming the closest valid names and the full list.
    """
    names = space_hardware_names()
    text = (name or "").strip().lower()
    if text in names:
        return text
    close = [n for n in names if text and n.startswith(text)][:3] or difflib.get_close_matches(text, names, n=2)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    raise ConfigError(f"'{name}' is not a Space hardware.{hint} Use one of: {', '.join(names)}.")


def check_title(title: str) -> str:
    """Validate a Space title: one line of 1 to 60 characters.

    Raises:
        ConfigError: With the fix.
    """
    text = (title or "").strip()
    if not text or len(text) > MAX_TITLE or any(c in text for c in "\r\n\t") or not text.isprintable():
        raise ConfigError(f"The title {title!r} is not usable: give one line of 1 to {MAX_TITLE} printable "
                          "characters, e.g. --title \"Support ticket tuner\".")
    return text


def hardware_profile(name: str) -> Any:
    """The ``catalog.hardware.Hardware`` a Space hardware stands for (one GPU of a multi-GPU machine)."""
    from catalog.hardware import Hardware

    gpu, gpu_gb, ram, cpus = HARDWARE_PROFILES.get(name) or ((None, None, 16, 2) if name.startswith(("cpu", "zero"))
                                                             else ("GPU", 24, 30, 8))
    return Hardware(device="cuda" if gpu else "cpu", gpu_name=gpu, gpu_memory_gb=gpu_gb, ram_gb=ram, cpu_count=cpus)


def space_models(hardware: str) -> list[str]:
    """Catalog models this hardware can fine-tune (QLoRA fits; on a CPU, CPU-trainable), in catalog order."""
    from catalog import load_catalog
    from catalog.estimate import fits
    from catalog.plan_fit import estimate_for_entry

    hw = hardware_profile(hardware)
    return [entry.id for entry in load_catalog().models
            if fits(estimate_for_entry(entry, hw), hw) and (hw.device == "cuda" or entry.cpu_trainable)]


def _pyproject() -> dict[str, Any]:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _dist_key(name: str) -> str:
    """A distribution name without extras, normalised (``Rouge_Score[x]`` -> ``rouge-score``)."""
    return re.sub(r"[-_.]+", "-", re.split(r"[\[<>=!~; ]", name, maxsplit=1)[0]).lower()


def _installed(name: str) -> str | None:
    try:
        return version(_dist_key(name)).split("+")[0]  # "2.13.0+cpu" -> "2.13.0": the wheel tag is ours to pick
    except PackageNotFoundError:
        return None


def gradio_version() -> str:
    """The installed Gradio version, checked against the range in ``pyproject.toml``.

    Raises:
        ConfigError: Gradio is not installed, or its version is outside the project's range.
    """
    from packaging.requirements import Requirement

    installed = _installed("gradio")
    if installed is None:
        raise ConfigError("Gradio is not installed here, so the Space's sdk_version cannot be set: run "
                          "`pip install -e .` first.")
    for dep in _pyproject()["dependencies"]:
        req = Requirement(dep)
        if req.name.lower() == "gradio" and not req.specifier.contains(installed, prereleases=True):
            raise ConfigError(f"Gradio {installed} is installed but pyproject.toml asks for {dep}: install a "
                              "matching Gradio (`pip install -e .`) before building the Space.")
    return installed


def requirements_text(hardware: str) -> str:
    """``requirements.txt`` of the Space: the template's packages pinned to what is installed here.

    Args:
        hardware: The Space hardware; on CPU hardware torch comes from PyTorch's CPU index.
    """
    from packaging.requirements import Requirement

    ranges = {_dist_key(dep): str(Requirement(dep).specifier) for dep in _pyproject()["dependencies"]}
    cpu = hardware_profile(hardware).device == "cpu" and not hardware.startswith("zero")
    lines = [f"# Written by `tunewise space build` for {hardware} hardware, Python "
             f"{sys.version_info.major}.{sys.version_info.minor}: the versions this project runs with here."]
    if cpu:
        lines.append(f"--extra-index-url {TORCH_CPU_INDEX}")
    for raw in (TEMPLATE_DIR / "requirements.txt").read_text(encoding="utf-8").splitlines():
        name = raw.split("#", 1)[0].strip()
        if not name:
            continue
        pinned = _installed(name)
        if pinned is None:
            lines.append(name + ranges.get(_dist_key(name), ""))
        elif _dist_key(name) == "torch" and cpu:
            lines.append(f"{name}=={pinned}+cpu")
        else:
            lines.append(f"{name}=={pinned}")
    return "\n".join(lines) + "\n"


def readme_text(hardware: str, title: str) -> str:
    """The Space's README: the template's front matter completed for this build, then its text.

    Raises:
        ConfigError: When the template's front matter is broken.
    """
    from huggingface_hub import SpaceCard

    card = SpaceCard((TEMPLATE_DIR / "README.md").read_text(encoding="utf-8"), ignore_metadata_errors=False)
    data: Any = card.data  # a SpaceCardData; Space-only keys (suggested_hardware, ...) are free-form
    data.title = title
    data.sdk = "gradio"
    data.sdk_version = gradio_version()
    data.python_version = f"{sys.version_info.major}.{sys.version_info.minor}"
    data.app_file = "app.py"
    data.license = data.license or str(_pyproject().get("license", "apache-2.0")).lower()
    data.suggested_hardware = hardware
    data.models = space_models(hardware)
    if not data.get("short_description") or len(data.short_description) > MAX_TITLE:
        raise ConfigError(f"spaces/README.md needs a short_description of at most {MAX_TITLE} characters.")
    return f"---\n{data.to_yaml()}\n---\n{card.text}"
