"""Fixtures of the CLI tests: a SQLite store in tmp_path and a runner bound to it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from jupyter_mltrack.cli.main import main


@pytest.fixture
def uri(tmp_path: Path) -> str:
    """The tracking URI of a fresh SQLite store."""
    return f"sqlite:///{tmp_path}/t.db"


@pytest.fixture
def cli(uri: str) -> Callable[..., Result]:
    """Run ``mltrack --tracking-uri <uri> ARGS...`` in-process and return the result."""

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, ["--tracking-uri", uri, *args], catch_exceptions=False)

    return run
