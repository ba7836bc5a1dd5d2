"""Fixtures for notebook tests: execute real notebooks headless against a tmp sqlite store."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_mltrack.tracking.client import TrackingClient

RunNotebook = Callable[..., Any]


@pytest.fixture
def tracking_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh sqlite store; the kernel inherits it through MLTRACK_TRACKING_URI."""
    uri = f"sqlite:///{tmp_path / 'mltrack.db'}"
    monkeypatch.setenv("MLTRACK_TRACKING_URI", uri)
    monkeypatch.setenv("MLTRACK_HEARTBEAT_INTERVAL", "0.2")
    return uri


@pytest.fixture
def client(tracking_uri: str) -> Iterator[TrackingClient]:
    """A client of the notebook's store, in the test process."""
    yield TrackingClient(tracking_uri)


@pytest.fixture
def run_notebook(tmp_path: Path, tracking_uri: str) -> RunNotebook:
    """Return ``run(*sources, allow_errors=False, env=None) -> executed notebook``."""

    def run(
        *sources: str, allow_errors: bool = False, env: dict[str, str] | None = None
    ) -> nbformat.NotebookNode:
        nb = new_notebook(cells=[new_code_cell(src) for src in sources])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        path = tmp_path / "analysis.ipynb"
        nbformat.write(nb, path)
        saved = dict(os.environ)
        os.environ.update({"MLTRACK_NOTEBOOK_PATH": str(path), **(env or {})})
        try:
            NotebookClient(
                nb,
                kernel_name="python3",
                timeout=60,
                allow_errors=allow_errors,
                resources={"metadata": {"path": str(tmp_path)}},
            ).execute()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return nb

    return run


def cell_errors(nb: nbformat.NotebookNode) -> list[str | None]:
    """Return each cell's error name, or None for cells without an error."""
    names: list[str | None] = []
    for cell in nb.cells:
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        names.append(errors[0].ename if errors else None)
    return names


def text_of(cell: nbformat.NotebookNode) -> str:
    """Return the concatenated stream and text/plain outputs of a cell."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif "data" in out:
            parts.append(out.data.get("text/plain", ""))
    return "\n".join(parts)


__all__ = [
    "CellExecutionError",
    "cell_errors",
    "client",
    "new_code_cell",
    "run_notebook",
    "text_of",
    "tracking_uri",
]
