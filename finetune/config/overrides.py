"""Dotted overrides of ``RunConfig`` fields: ``train.max_steps=5``, ``lora.r=8``, ``data.columns.text=body``.

``config_from(base, overrides)`` merges overrides into a config mapping (a YAML file's, a preset's) and validates
the result once: unknown field names (with the closest real field as a hint, as torchtune does) and invalid
values are reported together in one ``ConfigError``. ``parse_key_values`` reads ``KEY=VALUE`` words from the
command line, typing each value by its field.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from catalog.errors import ConfigError
from finetune.config.run import RunConfig, field_type, leaf_fields, section_model, validation_problems


def config_from(base: Mapping[str, Any], overrides: Mapping[str, Any], *, subject: str = "The run config",
                problems: Iterable[str] = ()) -> RunConfig:
    """Merge dotted overrides into a config mapping and validate the result, reporting every problem at once.

    A key naming a whole section takes a mapping that is merged into it (``train={"epochs": 1}``); a value of
    ``None`` sets the field to empty (e.g. ``train.learning_rate`` back to the task's default).

    Args:
        base: Sections as written in a YAML file or preset (not modified).
        overrides: Dotted field paths and their values.
        subject: What the error message calls the config.
        problems: Problems found earlier (e.g. a word that is not KEY=VALUE), reported with the rest.

    Returns:
        The validated config.

    Raises:
        ConfigError: Listing every unknown field (with the closest real one) and every invalid value.
    """
    lines = list(problems)
    data = _copy(base)
    for key, value in overrides.items():
        problem = _key_problem(key)
        if problem:
            lines.append(problem)
        else:
            _merge(data, key.split("."), value)
    try:
        cfg = RunConfig.model_validate(data)
    except ValidationError as exc:
        lines += validation_problems(exc)
    else:
        if not lines:
            return cfg
    raise ConfigError(f"{subject} has {len(lines)} problem(s):\n" + "\n".join(lines))


def _key_problem(key: str) -> str | None:
    """A readable problem line when a dotted key names no ``RunConfig`` field, else None.

    The hint names the closest field: ``- unknown field 'train.max_step': did you mean 'train.max_steps'?``.
    """
    model: type[BaseModel] | None = RunConfig
    walked: list[str] = []
    for part in key.split("."):
        if model is None:
            return f"- unknown field {key!r}: {'.'.join(walked)!r} is a value, not a section."
        fields = model.model_fields
        if part not in fields:
            close = closest(part, list(fields))
            if close:
                return f"- unknown field {key!r}: did you mean {'.'.join([*walked, close[0]])!r}?"
            where = f"section {'.'.join(walked)!r}" if walked else "the config"
            return f"- unknown field {key!r}: {where} has no field {part!r} (fields: {', '.join(fields)})."
        walked.append(part)
        annotation = fields[part].annotation
        if get_origin(annotation) is dict:  # a free mapping such as data.columns: any key below is fine
            return None
        model = section_model(annotation)
    return None


def _merge(data: dict[str, Any], path: list[str], value: Any) -> None:
    """Set ``value`` at ``path`` in a nested mapping, creating sections and merging mappings into sections."""
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


def parse_key_values(words: Iterable[str]) -> tuple[dict[str, Any], list[str]]:
    """Read ``KEY=VALUE`` words (``train.max_steps=5``) into overrides, typing each value by its field.

    Text fields keep the value as written; other fields read it as YAML (``5``, ``2e-4``, ``true``, ``null``,
    ``[q_proj, v_proj]``); an empty value empties an optional field.

    Returns:
        The overrides, and a problem line for every word that is not ``KEY=VALUE``.
    """
    overrides: dict[str, Any] = {}
    problems: list[str] = []
    for word in words:
        key, sep, raw = word.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(f"- {word!r} is not KEY=VALUE; write e.g. train.max_steps=5 or lora.r=8.")
            continue
        overrides[key] = _typed(key, raw.strip())
    return overrides, problems


def closest(word: str, candidates: list[str], limit: int = 2) -> list[str]:
    """The candidates closest to ``word``, also matching on a shared prefix (``chat-qwen`` -> ``chat-qwen2.5-...``)."""
    found = difflib.get_close_matches(word, candidates, n=limit, cutoff=0.5)
    if not found and len(word) >= 3:
        found = [c for c in candidates if c.startswith(word)][:limit]
    return found


def _typed(key: str, raw: str) -> Any:
    info = leaf_fields().get(key)
    if info is None:  # a section, a key inside a free mapping (data.columns.text), or a typo reported later
        return raw if "." in key and key.split(".")[0] in RunConfig.model_fields else _yaml(raw)
    kind, optional = field_type(info)
    if raw == "" and optional:
        return None
    if kind is str or (get_origin(kind) is Literal and all(isinstance(a, str) for a in get_args(kind))):
        return raw
    return _yaml(raw)


def _yaml(raw: str) -> Any:
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw  # let validation say what is wrong with it


def _copy(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _copy(v) if isinstance(v, Mapping) else v for k, v in data.items()}
