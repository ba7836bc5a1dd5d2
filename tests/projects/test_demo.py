"""`make demo`'s job: examples/demo_sweep.py sweeps the example project and promotes the best."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_mltrack.projects.sweep import SWEEP_TAG
from jupyter_mltrack.registry.client import RegistryClient
from jupyter_mltrack.tracking import tags as t
from jupyter_mltrack.tracking.client import TrackingClient

pytestmark = [pytest.mark.kernel, pytest.mark.slow]
DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo_sweep.py"


def test_demo_sweeps_promotes_and_says_what_next(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLTRACK_")}
    done = subprocess.run(
        [sys.executable, str(DEMO)],
        cwd=tmp_path,  # the embedded default store goes to ./mltrack here
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "now in Production" in out
    assert "mltrack dashboard --experiment demo-sweep" in out
    assert "mltrack report models:/demo-breast-cancer/Production" in out
    assert ".venv/bin/jupyter lab" in out and "Experiments sidebar" in out

    uri = f"sqlite:///{tmp_path / 'mltrack' / 'mltrack.db'}"
    client = TrackingClient(uri)
    experiment = client.get_experiment_by_name("demo-sweep")
    assert experiment is not None
    (parent,) = client.search_runs([experiment.experiment_id], f"tags.`{SWEEP_TAG}` = 'grid'")
    trials = client.search_runs(
        [experiment.experiment_id], f"tags.`{t.PARENT_RUN_ID}` = '{parent.info.run_id}'"
    )
    assert len(trials) == 6 and {r.info.status for r in trials} == {"FINISHED"}
    best = parent.data.tags["best_run_id"]
    assert f"rerun {best}" in out
    # The summary is printed best first, and the best trial's model is the one in Production.
    table = out[out.index("best first:") :]
    assert table.index(best) < min(
        table.index(r.info.run_id) for r in trials if r.info.run_id != best
    )
    (version,) = RegistryClient(uri).get_latest_versions("demo-breast-cancer", ["Production"])
    assert version.run_id == best
