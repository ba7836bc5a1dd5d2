"""kernels/<id>/run end to end: a kernel of the server runs a %%track cell; the route finds it.

The kernel logs to its default store (``<root_dir>/mltrack``, its working folder being the root),
the same store the extension picks when no tracking URI is configured.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from jupyter_client import BlockingKernelClient
from lab_server import LabServer


@pytest.fixture
def kernel(lab: LabServer, api: httpx.Client) -> Iterator[tuple[str, BlockingKernelClient]]:
    """A notebook kernel started through the server's own API, with a client on it."""
    with httpx.Client(base_url=lab.url, headers=api.headers, timeout=60) as server:
        # As Lab does: a session for a notebook at the root, so the kernel works in the root.
        session = {"path": "live.ipynb", "type": "notebook", "kernel": {"name": "python3"}}
        kernel_id = server.post("api/sessions", json=session).json()["kernel"]["id"]
        kc = BlockingKernelClient(connection_file=str(lab.runtime_dir / f"kernel-{kernel_id}.json"))
        kc.load_connection_file()
        # No heartbeat channel: on a busy machine a booting kernel may not have beaten yet, and
        # wait_for_ready would call it dead; kernel_info replies are the readiness signal.
        kc.start_channels(hb=False)
        try:
            kc.wait_for_ready(timeout=60)
            yield kernel_id, kc
        finally:
            kc.stop_channels()
            server.delete(f"api/kernels/{kernel_id}")


def _execute(kc: BlockingKernelClient, code: str) -> None:
    reply = kc.execute_interactive(code, timeout=120, output_hook=lambda msg: None)
    assert reply["content"]["status"] == "ok", reply["content"]


@pytest.mark.kernel
def test_the_run_a_kernel_tracks_then_its_last_run(
    api: httpx.Client, kernel: tuple[str, BlockingKernelClient]
) -> None:
    kernel_id, kc = kernel
    assert api.get(f"kernels/{kernel_id}/run").json() == {"run": None, "last_run": None}
    _execute(kc, "%load_ext jupyter_mltrack")
    cell = threading.Thread(
        target=_execute,
        args=(kc, "%%track --quiet --no-live --name in-lab\nimport time\ntime.sleep(4)"),
    )
    cell.start()
    try:
        deadline, body = time.monotonic() + 60, {"run": None}
        while body["run"] is None and time.monotonic() < deadline:
            time.sleep(0.2)
            body = api.get(f"kernels/{kernel_id}/run").json()
        assert body["run"] is not None, "the RUNNING run of the kernel was never found"
        assert body["run"]["run_name"] == "in-lab" and body["run"]["status"] == "RUNNING"
        assert body["last_run"]["run_id"] == body["run"]["run_id"]
    finally:
        cell.join(timeout=120)
    done = api.get(f"kernels/{kernel_id}/run").json()
    assert done["run"] is None
    assert done["last_run"]["run_name"] == "in-lab" and done["last_run"]["status"] == "FINISHED"
