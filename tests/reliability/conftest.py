"""Fault-injection and hostile-input suite: every test here carries the ``reliability`` marker."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "reliability/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.reliability)
