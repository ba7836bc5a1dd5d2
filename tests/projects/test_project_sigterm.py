"""SIGTERM to ``mltrack run`` (a service manager, ``docker stop``, a batch scheduler): handled as
Ctrl-C is, the kernel's process group is killed, the run ends KILLED and the exit code is 143."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_project_interrupt import make_sleeping_project, processes_with, wait_for

from jupyter_mltrack.tracking.client import TrackingClient
from jupyter_mltrack.tracking.liveness import OWNER_PID

pytestmark = [pytest.mark.kernel, pytest.mark.slow]


def test_sigterm_to_mltrack_run_kills_the_kernel_and_ends_the_run_killed(tmp_path: Path) -> None:
    project = make_sleeping_project(tmp_path / "proj")
    markers = tmp_path / "markers"
    markers.mkdir()
    uri = f"sqlite:///{tmp_path / 'mltrack.db'}"
    tag = f"MLTRACK_TEST_SIGTERM={tmp_path.name}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLTRACK_")}
    env.update({"MLTRACK_TRACKING_URI": uri, tag.split("=")[0]: tmp_path.name})
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
        kernels = [pid for pid, _ in processes_with(tag) if pid != run.pid]
        assert kernels, "no kernel process found"
        run.send_signal(signal.SIGTERM)  # to the command only, as `kill PID` does
        output, _ = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    assert run.returncode == 143, output
    assert "Terminated (SIGTERM): the run was marked KILLED" in output
    assert "Traceback" not in output, output
    (killed,) = TrackingClient(uri).search_runs(["0"])
    assert killed.info.status == "KILLED"
    assert killed.data.tags["mltrack.project.failureReason"] == "interrupted"
    # The command owned the run (its kernel only logged into it).
    assert killed.data.tags[OWNER_PID] == str(run.pid)
    wait_for(lambda: not processes_with(tag), 15, "the kernel to exit")
