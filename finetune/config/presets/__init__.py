"""Presets: ready-made run configs, one YAML file per task and model family under ``finetune/config/presets/``.

A preset is an ordinary ``RunConfig`` YAML that writes out only the task, the model and the fields that
differ from ``RunConfig``'s defaults, each with a comment saying why; its header comment gives the command
that runs it (``tunewise train finetune/config/presets/<name>.yaml --data FILE``). QLoRA is not a separate code
path: a ``*-qlora`` preset is its ``*-lora`` counterpart plus quantization fields.

``load_preset(name, **overrides)`` merges dotted overrides such as ``{"data.path": "x.csv",
"train.max_steps": 5}`` into the preset and validates the result once, completely.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, get_origin

import yaml
from pydantic import BaseModel

from catalog.errors import ConfigError
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
    close = _closest(stem, names)
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
        ConfigError: For an unknown preset (naming the closest), an unknown override field (naming the
            closest field), or invalid values (every problem at once).
    """
    data = read_preset(name)
    problems = [problem for key in overrides if (problem := _check_key(key))]
    if problems:
        raise ConfigError(f"The overrides for preset {name!r} have {len(problems)} problem(s):\n" + "\n".join(problems))
    for key, value in overrides.items():
        _merge(data, key.split("."), value)
    try:
        return RunConfig.from_dict(data)
    except ConfigError as exc:
        raise ConfigError(f"Preset {name!r}: {exc}") from None


def _merge(data: dict[str, Any], path: list[str], value: Any) -> None:
    head, rest = path[0], path[1:]
    if not rest:
        if isinstance(value, dict) and isinstance(data.get(head), dict):
            for key, sub in value.items():
                _merge(data[head], [key], sub)
        else:
            data[head] = value
        return
    child = data.get(head)
    if not isinstance(child, dict):
        child = data[head] = {}
    _merge(child, rest, value)


def _check_key(key: str) -> str | None:
    """A readable problem when a dotted key names no ``RunConfig`` field, else None."""
    model: type[BaseModel] | None = RunConfig
    walked: list[str] = []
    for part in key.split("."):
        if model is None:
            return f"- {key}: {'.'.join(walked)} is a value, not a section."
        fields = model.model_fields
        if part not in fields:
            where = ".".join(walked) or "the config"
            close = _closest(part, list(fields))
            hint = f"; did you mean {'.'.join([*walked, close[0]])!r}?" if close else ""
            return f"- {key}: {where} has no field {part!r}{hint}"
        walked.append(part)
        annotation = fields[part].annotation
        if get_origin(annotation) is dict:  # a free mapping such as data.columns: any key below is fine
            return None
        model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    return None


def _closest(word: str, candidates: list[str], limit: int = 2) -> list[str]:
    """The candidates closest to ``word``, also matching on a shared prefix (``chat-qwen`` -> ``chat-qwen2.5-...``)."""
    found = difflib.get_close_matches(word, candidates, n=limit, cutoff=0.5)
    if not found and len(word) >= 3:
        found = [c for c in candidates if c.startswith(word)][:limit]
    return found
