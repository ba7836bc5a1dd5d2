"""What the Lab-extension browser tests see: the browser tests' seeded store, a run whose name
is an HTML injection attempt, and a small project notebook with a papermill parameters cell."""

from __future__ import annotations

from pathlib import Path

import nbformat

from jupyter_mltrack import Param, TrackingClient

XSS_NAME = "<img src=x onerror=window.__mltrackXss=1>"
PROJECT = "project.ipynb"
PROJECT_EXPERIMENT = "lab-projects"
# Long enough that the sidebar shows the run RUNNING before it finishes.
PROJECT_BODY = (
    "import time\n"
    "import jupyter_mltrack as mlt\n"
    "for step in range(steps):\n"
    "    mlt.log_metric('loss', alpha / (step + 1), step=step)\n"
    "    time.sleep(1)\n"
)


def add_xss_run(uri: str, experiment_id: str) -> str:
    """Log a finished run named like an <img onerror> payload; return its id."""
    client = TrackingClient(uri)
    run_id = client.create_run(experiment_id, run_name=XSS_NAME).info.run_id
    client.log_batch(run_id, params=[Param(key="payload", value=XSS_NAME)])
    client.set_terminated(run_id)
    return run_id


def write_project(root: Path) -> Path:
    """Write ``project.ipynb`` (parameters ``alpha`` and ``steps``) into the Lab root."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("alpha = 0.5\nsteps = 4")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(PROJECT_BODY)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = root / PROJECT
    nbformat.write(nb, path)
    return path


def write_notebook(root: Path, name: str, *sources: str) -> str:
    """Write a notebook of code cells into the Lab root; return its path relative to it."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, root / name)
    return name
