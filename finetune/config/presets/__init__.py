"""Presets: ready-made run configs, one YAML file per task and model family under ``finetune/config/presets/``.

A preset is an ordinary ``RunConfig`` YAML that writes out only the task, the model and the fields that
differ from ``RunConfig``'s defaults, each with a comment saying why; its header comment gives the command
that runs it (``tunewise train finetune/config/presets/<name>.yaml --data FILE``). QLoRA is not a separate code
path: a ``*-qlora`` preset is its ``*-lora`` counterpart plus quantization fields.

``load_preset(name, **overrides)`` merges dotted overrides such as ``{"data.path": "x.csv",
"train.max_steps": 5}`` into the preset and validates the result once, completely. ``preset_for(task, model)``
finds the preset a run starts from (same model, else the same model family), which is how the agent's plans and
the default estimate use presets; ``tunewise presets list|show NAME`` prints them.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import yaml

from catalog.errors import ConfigError
from finetune.config.overrides import closest, config_from
from finetune.config.run import RunConfig

PRESETS_DIR = Path(__file__).resolve().parent
"""Where the preset files live (shipped as package data)."""


def list_presets() -> list[str]:
    """Names of every preset (file names without ``.yaml``), sorted."""
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def preset_path(name: str) -> Path:
    """The file of a preset.

    Args:
        name: A preset name such as ``chat-qwen2.5-0.5b-qlora`` (``.yaml`` may be included).

    Raises:
        ConfigError: When there is no such preset; the message names the closest ones.
    """
    stem = name.strip().removesuffix(".yaml")
    names = list_presets()
    if stem in names:
        return PRESETS_DIR / f"{stem}.yaml"
    close = closest(stem, names)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise ConfigError(f"There is no preset {name!r}.{hint} Presets: {', '.join(names)}.")


def read_preset(name: str) -> dict[str, Any]:
    """The preset's YAML as written (only the fields it sets), before defaults are filled in.

    Raises:
        ConfigError: When there is no such preset or its file is not a YAML mapping.
    """
    path = preset_path(name)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"Preset {path.name} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"Preset {path.name} must hold a mapping of sections (task, model, data, ...).")
    return data


def load_preset(name: str, **overrides: Any) -> RunConfig:
    """Load a preset, apply overrides and validate the result.

    Overrides use dotted keys (``load_preset("chat-qwen2.5-0.5b-qlora", **{"data.path": "chats.jsonl",
    "train.max_steps": 5})``); a key naming a whole section takes a mapping that is merged into it
    (``train={"epochs": 1}``). A value of ``None`` sets the field to empty (e.g. ``train.learning_rate``
    back to the task's default).

    Args:
        name: The preset name (see :func:`list_presets`).
        **overrides: Dotted field paths and their values.

    Returns:
        The validated ``RunConfig``.

    Raises:
        ConfigError: For an unknown preset (naming the closest), or listing every unknown override field
            (naming the closest field) and every invalid value at once.
    """
    return config_from(read_preset(name), overrides, subject=f"Preset {name!r} with its overrides")


def preset_title(name: str) -> str:
    """The first line of a preset's header comment: what it trains, on which model and hardware.

    Raises:
        ConfigError: When there is no such preset.
    """
    first = preset_path(name).read_text(encoding="utf-8").splitlines()[0]
    return first.lstrip("#").strip()


def preset_for(task: str, model_id: str) -> str | None:
    """The preset a run of ``task`` on ``model_id`` starts from, or None when there is none.

    A preset made for that exact model wins; otherwise one made for another size of the same family (see
    :func:`model_family`). Among several, the QLoRA one (the agent's method) comes first, then by name.

    Args:
        task: A task id such as ``chat``.
        model_id: A catalog id, Hub id or model folder.
    """
    candidates = [(name, model) for name, preset_task, model in _index() if preset_task == task]
    for same in (lambda m: m == model_id, lambda m: model_family(m) == model_family(model_id)):
        found = sorted((not name.endswith("-qlora"), name) for name, model in candidates if same(model))
        if found:
            return found[0][1]
    return None


def model_family(model_id: str) -> str:
    """A model id without its size: ``Qwen/Qwen2.5-7B-Instruct`` and ``Qwen/Qwen2.5-0.5B-Instruct`` are one family.

    Sizes are parameter counts (``0.5B``, ``135M``) and the usual size words (``small``, ``base``, ``large``);
    everything else (organisation, version, language pair, variant) must match.

    Args:
        model_id: A Hub id or model folder.
    """
    parts = [p for p in re.split(r"[-_]", model_id.lower()) if not _SIZE.fullmatch(p)]
    return "-".join(parts)


_SIZE = re.compile(r"\d+(\.\d+)?[mbk]|x*small|tiny|mini|base|medium|x*large|x+l")


@functools.lru_cache(maxsize=1)
def _index() -> tuple[tuple[str, str, str], ...]:
    """``(name, task, model)`` of every preset, read once."""
    out = []
    for name in list_presets():
        data = read_preset(name)
        model = data.get("model")
        out.append((name, str(data.get("task", "")), str(model.get("name", "")) if isinstance(model, dict) else ""))
    return tuple(out)
