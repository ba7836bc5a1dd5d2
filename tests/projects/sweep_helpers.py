"""A tiny sweepable project: one notebook with a parameters cell, a metric and a failure switch."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

PARAMETERS = "alpha = 0.5\nl1_ratio = 0.5\nfail = False\nnap = 0.0"
BODY = """\
import time
import jupyter_mltrack as mlt
time.sleep(nap)
if fail or alpha < 0:
    raise ValueError("boom")
mlt.log_metric("score", -((alpha - 0.3) ** 2) - l1_ratio)
mlt.flush()
"""


def make_project(folder: Path, name: str = "main") -> Path:
    """Write ``folder/<name>.ipynb`` (parameters alpha, l1_ratio, fail, nap) and return folder."""
    folder.mkdir(parents=True, exist_ok=True)
    cell = new_code_cell(PARAMETERS)
    cell.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[cell, new_code_cell(BODY)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(nb, folder / f"{name}.ipynb")
    return folder
