"""XGBoost autologging inside %%track cells of a real notebook: the cell's run, or nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "notebook"))  # the kernel fixtures
from track_helpers import RunNotebook, client, run_notebook, tracking_uri
from xgb_helpers import xgboost  # noqa: F401  (skips without xgboost outside CI)

from jupyter_mltrack.tracking.client import TrackingClient

__all__ = ["client", "run_notebook", "tracking_uri"]  # fixtures

pytestmark = pytest.mark.kernel

TRAIN = (
    "X, y = load_iris(return_X_y=True, as_frame=True)\n"
    "xgboost.XGBClassifier(n_estimators=3, max_depth=2, n_jobs=1).fit(\n"
    "    X, y, eval_set=[(X, y)], verbose=False)\n"
    "booster = xgboost.train({'max_depth': 3}, xgboost.DMatrix(X, y), 2)"
)


def test_autolog_logs_into_the_cell_run_unless_no_autolog(
    run_notebook: RunNotebook, client: TrackingClient
) -> None:
    run_notebook(
        "%load_ext jupyter_mltrack",
        "import xgboost\nfrom sklearn.datasets import load_iris\n"
        "import jupyter_mltrack.xgboost\njupyter_mltrack.xgboost.autolog()",
        "%%track --quiet --no-live --name on\n" + TRAIN,
        "%%track --quiet --no-live --no-autolog --name off\n" + TRAIN,
    )
    experiment = client.get_experiment_by_name("Default")
    assert experiment is not None
    runs = {r.info.run_name: r for r in client.search_runs([experiment.experiment_id])}
    assert set(runs) == {"on", "off"}, "autolog logs into the cell's run, no run of its own"
    on, off = runs["on"], runs["off"]
    # The fit logged max_depth=2 first; the later train's max_depth=3 keeps the run's value.
    assert on.data.params["max_depth"] == "2" and on.data.params["num_boost_round"] == "3"
    history = client.get_metric_history(on.info.run_id, "validation_0-mlogloss")
    assert [m.step for m in history] == [0, 1, 2]
    files = {f.path for f in client.list_artifacts(on.info.run_id)}
    assert {"model", "feature_importance_weight.json", "feature_importance_weight.png"} <= files
    assert "max_depth" not in off.data.params and "validation_0-mlogloss" not in off.data.metrics
    assert "model" not in {f.path for f in client.list_artifacts(off.info.run_id)}
