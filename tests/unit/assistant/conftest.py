"""Marks for inherited tests: a test class lists in ``strict_xfail`` the tests it inherits (from a library's
standard suite) that are expected to fail here, with the reason; they run as strict xfails, so one that starts
passing fails the run."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Add a strict xfail mark to each inherited test its class lists in ``strict_xfail``."""
    for item in items:
        reasons = getattr(getattr(item, "cls", None), "strict_xfail", None) or {}
        name = getattr(item, "originalname", item.name)
        if name in reasons:
            item.add_marker(pytest.mark.xfail(strict=True, reason=reasons[name]))
