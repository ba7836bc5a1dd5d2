"""%%track against a live kernel: interrupt -> KILLED, kernel death -> KILLED on next load,
papermill parameters captured."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import papermill
import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager
from nbformat.v4 import new_code_cell, new_notebook
from track_helpers import RunNotebook, client, run_notebook, text_of, tracking_uri

from jupyter_mltrack.entities import Run, RunStatus
from jupyter_mltrack.tracking.client import TrackingClient

__all__ = ["client", "run_notebook", "tracking_uri"]  # fixtures

pytestmark = pytest.mark.kernel

SLEEPY = "%%track --quiet --name sleepy\nimport time\nfor _ in range(600):\n    time.sleep(0.1)"


@pytest.fixture
def kernel(
    tracking_uri: str, tmp_path: Path
) -> Iterator[tuple[KernelManager, BlockingKernelClient]]:
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(tmp_path))
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=30)
    try:
        yield km, kc
    finally:
        kc.stop_channels()
        if km.is_alive():
            km.shutdown_kernel(now=True)


def _only_run(client: TrackingClient, status: RunStatus, timeout: float = 20) -> Run:
    deadline = time.monotonic() + timeout
    while True:
        runs = list(client.search_runs(["0"]))
        if runs and runs[0].info.status is status:
            return runs[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no {status.value} run: {[r.info.status for r in runs]}")
        time.sleep(0.1)


def _execute(kc: BlockingKernelClient, code: str) -> dict:
    reply: dict = kc.execute_interactive(code, timeout=30, output_hook=lambda msg: None)
    return reply["content"]


def test_interrupt_marks_killed_and_next_cell_is_clean(kernel, client: TrackingClient) -> None:
    km, kc = kernel
    assert _execute(kc, "%load_ext jupyter_mltrack")["status"] == "ok"
    kc.execute(SLEEPY)
    _only_run(client, RunStatus.RUNNING)
    km.interrupt_kernel()
    run = _only_run(client, RunStatus.KILLED)
    assert run.info.run_name == "sleepy"
    kc.get_shell_msg(timeout=30)  # the interrupted cell's reply
    code = "import jupyter_mltrack as mlt\nassert mlt.active_run() is None"
    # After an error reply ipykernel aborts requests that arrive while it is still "stopping on
    # error"; on a loaded machine that window can catch the next request, which then never ran.
    status = "aborted"
    for _ in range(20):
        status = _execute(kc, code)["status"]
        if status != "aborted":
            break
        time.sleep(0.2)
    assert status == "ok"


def test_dead_kernel_run_is_killed_on_next_load(
    kernel, client: TrackingClient, run_notebook: RunNotebook
) -> None:
    km, kc = kernel
    assert _execute(kc, "%load_ext jupyter_mltrack")["status"] == "ok"
    kc.execute(SLEEPY)
    running = _only_run(client, RunStatus.RUNNING)
    # SIGKILL only: shutdown_kernel(now=True) interrupts first, and a kernel quick enough to
    # handle that interrupt ends its run KILLED itself, which is not the case tested here.
    process = km.provisioner.process  # type: ignore[union-attr]
    process.kill()
    process.wait(timeout=30)
    time.sleep(1.0)  # > 3 heartbeat intervals of 0.2 s
    assert client.get_run(running.info.run_id).info.status is RunStatus.RUNNING
    run_notebook("%load_ext jupyter_mltrack")
    run = client.get_run(running.info.run_id)
    assert run.info.status is RunStatus.KILLED
    assert "kernel" in run.data.tags["mltrack.killedReason"]


def test_papermill_parameters_are_params(tmp_path: Path, client: TrackingClient) -> None:
    params_cell = new_code_cell("alpha = 0.1\nn_estimators = 10")
    params_cell.metadata["tags"] = ["parameters"]
    nb = new_notebook(
        cells=[
            new_code_cell("%load_ext jupyter_mltrack"),
            params_cell,
            new_code_cell("%%track --name pm\nscore = alpha * n_estimators\nmodel = 'rf'\nscore"),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    src, out = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    nbformat.write(nb, src)
    papermill.execute_notebook(
        str(src), str(out), parameters={"alpha": 0.5}, kernel_name="python3", progress_bar=False
    )
    executed = nbformat.read(out, as_version=4)
    assert "5.0" in text_of(executed.cells[-1])
    (run,) = client.search_runs(["0"])
    # The injected values; the defaults cell carries no marker the kernel can see.
    assert run.data.params == {"alpha": "0.5", "model": "rf"}
    assert run.info.status is RunStatus.FINISHED
