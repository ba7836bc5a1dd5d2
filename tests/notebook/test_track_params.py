"""Param capture from literal assignments and papermill's parameters cell, in-process."""

from __future__ import annotations

from jupyter_mltrack.notebook.params import literal_params, papermill_params


def test_literal_assignments_become_params() -> None:
    source = (
        "import os\nmax_depth = 5\nlr: float = 1e-3\nmodel = 'rf'\nlayers = [64, 32]\n"
        "cfg = {'a': (1, None)}\nflag = True\nobj = object()\nx = y = 2\na, b = 1, 2\n"
        "_private = 1\nfor i in range(3):\n    inner = 1\nmax_depth = 7\n"
    )
    assert literal_params(source) == {
        "max_depth": "7",
        "lr": "0.001",
        "model": "rf",
        "layers": "[64, 32]",
        "cfg": "{'a': (1, None)}",
        "flag": "True",
        "x": "2",
        "y": "2",
    }


def test_unparsable_source_gives_no_params() -> None:
    assert literal_params("def (") == {}


def test_papermill_parameters_cell_latest_wins() -> None:
    history = ["", "# Parameters\nalpha = 0.1\n", "x = 1", "# Parameters\nalpha = 0.2\nn = 3\n"]
    assert papermill_params(history) == {"alpha": "0.2", "n": "3"}
    assert papermill_params(["alpha = 1"]) == {}
