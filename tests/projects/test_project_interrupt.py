"""Ctrl-C during `mltrack sweep`: children and parent KILLED, no kernel or worker left running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_mltrack.projects.sweep import SWEEP_TAG, TRIAL_TAG
from jupyter_mltrack.tracking import tags as t
from jupyter_mltrack.tracking.client import TrackingClient

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

BODY = """\
import pathlib, time
pathlib.Path(marker_dir, f"{trial}.started").touch()
time.sleep(120)
"""


def make_sleeping_project(folder: Path) -> Path:
    """A notebook that announces it started (a marker file), then sleeps for two minutes."""
    folder.mkdir()
    params = new_code_cell("trial = 0\nmarker_dir = '.'")
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[params, new_code_cell(BODY)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(nb, folder / "main.ipynb")
    return folder


def processes_with(marker: str) -> list[tuple[int, str]]:
    """Return (pid, command line) of live processes whose environment contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if state != "Z" and marker.encode() in environ.split(b"\0"):
            found.append((int(entry.name), cmdline))
    return found


def wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.mark.parametrize("whole_group", [True, False], ids=["terminal-ctrl-c", "sigint-to-sweep"])
def test_ctrl_c_kills_children_parent_and_kernels(tmp_path: Path, whole_group: bool) -> None:
    project = make_sleeping_project(tmp_path / "proj")
    markers = tmp_path / "markers"
    markers.mkdir()
    uri = f"sqlite:///{tmp_path / 'mltrack.db'}"
    # A variable only this sweep's processes carry: it finds the workers and kernels.
    tag = f"MLTRACK_TEST_SWEEP={tmp_path.name}"
    env = {**os.environ, "MLTRACK_TRACKING_URI": uri, tag.split("=")[0]: tmp_path.name}
    command = [sys.executable, "-m", "jupyter_mltrack.cli.main", "sweep", str(project)]
    command += ["-P", "trial=0,1,2,3", "-P", f"marker_dir={markers}", "--parallel", "2"]
    sweep = subprocess.Popen(
        [*command, "--experiment", "ctrl-c"],
        env=env,
        start_new_session=True,  # its own process group, as a terminal's foreground job
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: len(list(markers.iterdir())) == 2, 180, "two trials to start")
        assert len(processes_with(tag)) >= 5  # the sweep, 2 workers, 2 running kernels
        interrupted = time.monotonic()
        if whole_group:
            os.killpg(sweep.pid, signal.SIGINT)
        else:
            os.kill(sweep.pid, signal.SIGINT)
        output, _ = sweep.communicate(timeout=60)
        stopped_in = time.monotonic() - interrupted
    finally:
        if sweep.poll() is None:
            os.killpg(sweep.pid, signal.SIGKILL)
    assert sweep.returncode == 130, output
    assert "interrupted" in output and "marked KILLED" in output
    assert "Traceback" not in output, output
    assert stopped_in < 30

    client = TrackingClient(uri)
    experiment = client.get_experiment_by_name("ctrl-c")
    assert experiment is not None
    (parent,) = client.search_runs([experiment.experiment_id], f"tags.`{SWEEP_TAG}` = 'grid'")
    assert parent.info.status == "KILLED"
    assert parent.data.tags["mltrack.sweep.interrupted"] == "true"
    children = client.search_runs(
        [experiment.experiment_id], f"tags.`{t.PARENT_RUN_ID}` = '{parent.info.run_id}'"
    )
    started = {int(p.stem) for p in markers.iterdir()}
    assert {int(c.data.tags[TRIAL_TAG]) for c in children} >= started
    assert {c.info.status for c in children} == {"KILLED"}
    # Kernels die with their worker (killed process group); allow the OS a moment to reap.
    wait_for(lambda: not processes_with(tag), 15, "the sweep's processes to exit")


def test_ctrl_c_during_mltrack_run_kills_the_run_and_its_kernel(tmp_path: Path) -> None:
    project = make_sleeping_project(tmp_path / "proj")
    markers = tmp_path / "markers"
    markers.mkdir()
    uri = f"sqlite:///{tmp_path / 'mltrack.db'}"
    tag = f"MLTRACK_TEST_RUN={tmp_path.name}"
    env = {**os.environ, "MLTRACK_TRACKING_URI": uri, tag.split("=")[0]: tmp_path.name}
    command = [sys.executable, "-m", "jupyter_mltrack.cli.main", "run", str(project)]
    run = subprocess.Popen(
        [*command, "-P", f"marker_dir={markers}"],
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: any(markers.iterdir()), 120, "the notebook to start")
        os.killpg(run.pid, signal.SIGINT)
        output, _ = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    assert run.returncode != 0, output
    (killed,) = TrackingClient(uri).search_runs(["0"])
    assert killed.info.status == "KILLED"
    assert killed.data.tags["mltrack.project.failureReason"] == "interrupted"
    wait_for(lambda: not processes_with(tag), 15, "the kernel to exit")
