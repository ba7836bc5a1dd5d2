"""LightGBM autologging in a notebook: into the ``%%track`` cell's run; off with --no-autolog."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "notebook"))
from track_helpers import RunNotebook, client, run_notebook, tracking_uri

from jupyter_mltrack.tracking.client import TrackingClient

if os.environ.get("CI") != "true":
    pytest.importorskip("lightgbm")

__all__ = ["client", "run_notebook", "tracking_uri"]  # fixtures

pytestmark = pytest.mark.kernel

TRAIN = (
    "booster = lgb.train({'objective': 'binary', 'verbose': -1, 'learning_rate': 0.2},\n"
    "                    train, 4, valid_sets=[train], valid_names=['fit'])"
)


def test_autolog_logs_into_the_cell_run_unless_no_autolog(
    run_notebook: RunNotebook, client: TrackingClient
) -> None:
    run_notebook(
        "%load_ext jupyter_mltrack",
        "import lightgbm as lgb, numpy as np\n"
        "import jupyter_mltrack.lightgbm\n"
        "jupyter_mltrack.lightgbm.autolog(log_models=False)\n"
        "rng = np.random.default_rng(0)\n"
        "X = rng.normal(size=(200, 3)); y = (X[:, 0] > 0).astype(int)\n"
        "train = lgb.Dataset(X, y, free_raw_data=False)",
        "%%track --quiet --no-live --name on\n" + TRAIN,
        "%%track --quiet --no-live --no-autolog --name off\n" + TRAIN,
    )
    experiment = client.get_experiment_by_name("Default")
    assert experiment is not None
    runs = {r.info.run_name: r for r in client.search_runs([experiment.experiment_id])}
    assert set(runs) == {"on", "off"}, "autolog logs into the cell's run, no run of its own"
    on, off = runs["on"], runs["off"]
    assert on.data.params["learning_rate"] == "0.2"
    history = client.get_metric_history(on.info.run_id, "fit-binary_logloss")
    assert sorted(m.step for m in history) == [0, 1, 2, 3]
    files = {a.path for a in client.list_artifacts(on.info.run_id)}
    assert "feature_importance_gain.json" in files
    assert "learning_rate" not in off.data.params
    assert "fit-binary_logloss" not in off.data.metrics
