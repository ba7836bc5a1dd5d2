"""A Jupyter kernel inside a built environment: notebooks see the environment's packages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyter_mltrack.environments import EnvSpec, resolve_environment

pytestmark = [pytest.mark.slow, pytest.mark.kernel]


def test_kernel_runs_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_client.manager import start_new_kernel

    env = resolve_environment(EnvSpec(dependencies=["six==1.16.0"]), "uv")
    name = env.ensure_kernel()
    assert name == f"mltrack-env-{env.spec_hash}"
    assert env.path is not None
    spec_file = Path(env.path) / "share" / "jupyter" / "kernels" / name / "kernel.json"
    assert json.loads(spec_file.read_text())["argv"][0] == env.python
    assert env.ensure_kernel() == name  # registered once

    monkeypatch.setenv("JUPYTER_PATH", env.env["JUPYTER_PATH"])  # how a runner finds it
    km, kc = start_new_kernel(kernel_name=name, startup_timeout=120)
    try:
        outputs: list[str] = []
        reply = kc.execute_interactive(
            "import six, sys; print(six.__version__, sys.prefix)",
            timeout=60,
            output_hook=lambda msg: outputs.append(msg["content"].get("text", "")),
        )
        assert reply["content"]["status"] == "ok"
        assert "".join(outputs).strip() == f"1.16.0 {env.path}"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
