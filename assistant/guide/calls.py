"""Explicit tool calls typed by the user: ``job_status()``, ``compare(job_id="abc")``, ``magic(3)``.

The offline guide understands plain requests through patterns; a message that names one of the bound
tools in call syntax is taken literally instead. Positional arguments fill the tool's parameters in the
order its schema lists them (required ones first). Values are Python/JSON literals only — nothing is
evaluated — and the tool still validates every argument.
"""

from __future__ import annotations

import ast
import re
from typing import Any

_CALL = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\s*\(")


def explicit_call(text: str, tools: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]] | None:
    """The first ``name(args)`` in ``text`` whose name is a bound tool, as ``(name, args)``; else None.

    Args:
        text: The user's message.
        tools: Bound tools: name -> JSON schema of its parameters.
    """
    for match in _CALL.finditer(text):
        name = match.group(1)
        if name not in tools:
            continue
        inner = _balanced(text, match.end())
        if inner is None:
            continue
        parsed = _arguments(inner, tools[name])
        if parsed is not None:
            return name, parsed
    return None


def _balanced(text: str, start: int) -> str | None:
    """The text between the ``(`` that ends before ``start`` and its matching ``)``."""
    depth, quote = 1, ""
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if ch == quote and text[i - 1] != "\\":
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return text[start:i]
    return None


def _arguments(inner: str, schema: dict[str, Any]) -> dict[str, Any] | None:
    try:
        node = ast.parse(f"f({inner})", mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Call):
        return None
    try:
        positional = [_literal(a) for a in node.args]
        named = {k.arg: _literal(k.value) for k in node.keywords if k.arg}
    except ValueError:
        return None
    props = list((schema.get("properties") or {}).keys())
    required = [p for p in schema.get("required") or [] if p in props]
    order = required + [p for p in props if p not in required]
    if len(positional) > len(order):
        return None
    args = dict(zip(order, positional, strict=False))
    args.update(named)
    return args


def _literal(node: ast.AST) -> Any:
    """A literal value; bare names (``true``, ``null``, ``abc``) read as JSON words or strings."""
    if isinstance(node, ast.Name):
        return {"true": True, "false": False, "null": None, "none": None}.get(node.id.lower(), node.id)
    return ast.literal_eval(node)
