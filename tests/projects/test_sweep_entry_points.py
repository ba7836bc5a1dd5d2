"""Sweeps started from every kind of main module never run that module in a worker.

Each entry point writes one line to a marker file at its top level (no ``__main__`` guard) and
then sweeps; a worker that imported the caller's main module would write a second line (and,
before the fix, die trying to start a nested sweep: ``BrokenProcessPool``). Real processes,
real kernels.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_notebook
from sweep_helpers import make_project

from jupyter_mltrack.projects.sweep import SWEEP_TAG
from jupyter_mltrack.tracking.client import TrackingClient

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

SWEEP_CODE = """\
from jupyter_mltrack.projects import sweep
grid = {{"alpha": [0.1, 0.2]}}
parent, table = sweep({project!r}, grid=grid, max_parallel=2, progress=False, backend={backend!r})
print("SWEEP", parent.info.status, sorted(table["status"]))
"""


def _marker_code(marker: Path) -> str:
    return f"with open({str(marker)!r}, 'a') as _f:\n    _f.write('top level\\n')\n"


def _run(args: list[str], cwd: Path, uri: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MLTRACK_TRACKING_URI": uri, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _check(result: subprocess.CompletedProcess[str], marker: Path, uri: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "BrokenProcessPool" not in output
    assert marker.read_text().splitlines() == ["top level"], output
    parents = TrackingClient(uri).search_runs(["0"], f"tags.`{SWEEP_TAG}` = 'grid'")
    assert [p.info.status for p in parents] == ["FINISHED"]


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, str]:
    project = make_project(tmp_path / "proj")
    return project, tmp_path / "marker.txt", f"sqlite:///{tmp_path / 'mltrack.db'}"


@pytest.mark.parametrize(
    ("how", "backend"),
    [("script", "local"), ("module", "local"), ("dash-c", "local"), ("script", "dask")],
)
def test_sweep_at_the_top_level_of_a_plain_script(
    tmp_path: Path, setup: tuple[Path, Path, str], how: str, backend: str
) -> None:
    if backend == "dask":
        pytest.importorskip("distributed", reason="backend='dask' needs jupyter_mltrack[dask]")
    project, marker, uri = setup
    code = _marker_code(marker) + SWEEP_CODE.format(project=str(project), backend=backend)
    (tmp_path / "quick.py").write_text(code)
    args = {
        "script": [sys.executable, "quick.py"],
        "module": [sys.executable, "-m", "quick"],
        "dash-c": [sys.executable, "-c", code],
    }[how]
    result = _run(args, tmp_path, uri)
    _check(result, marker, uri)
    assert result.stdout.count("SWEEP FINISHED ['FINISHED', 'FINISHED']") == 1


def test_sweep_from_the_cli(tmp_path: Path, setup: tuple[Path, Path, str]) -> None:
    project, marker, uri = setup
    # The `mltrack` console script, plus a top-level marker: a worker importing the CLI's main
    # module (the console-script file) would write it again.
    console = Path(sys.executable).with_name("mltrack")
    script = tmp_path / "mltrack_cli.py"
    script.write_text(_marker_code(marker) + console.read_text().partition("\n")[2])
    args = [sys.executable, str(script), "sweep", str(project), "-P", "alpha=0.1,0.2"]
    result = _run([*args, "--parallel", "2"], tmp_path, uri)
    _check(result, marker, uri)


def test_sweep_from_a_notebook(tmp_path: Path, setup: tuple[Path, Path, str]) -> None:
    from nbclient import NotebookClient

    project, marker, uri = setup
    code = _marker_code(marker) + SWEEP_CODE.format(project=str(project), backend="local")
    nb = new_notebook(cells=[new_code_cell(code)])  # type: ignore[no-untyped-call]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    os.environ["MLTRACK_TRACKING_URI"] = uri
    try:
        NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        del os.environ["MLTRACK_TRACKING_URI"]
    text = "".join(out.get("text", "") for out in nb.cells[0].outputs)
    assert "SWEEP FINISHED" in text
    assert marker.read_text().splitlines() == ["top level"]
