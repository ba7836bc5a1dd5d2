"""Fixtures for evaluate tests: a fresh SQLite tracking store per test, fluent state reset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import jupyter_mltrack as mlt
from jupyter_mltrack.tracking import fluent


@pytest.fixture(autouse=True)
def tracking_uri(tmp_path: Path) -> Iterator[str]:
    uri = f"sqlite:///{tmp_path}/t.db"
    mlt.set_tracking_uri(uri)
    yield uri
    fluent._reset()
