"""Our REST client against a real ``mlflow server`` (MLflow 3.17.2 in its own virtualenv).

jupyter_mltrack logs an experiment, runs, params, metrics (NaN and infinities included), tags,
artifacts, a model and a registry version; the unmodified ``mlflow`` client reads them back.
"""

from __future__ import annotations

import json
import math
import textwrap

import mlflow_server as shared_mlflow_server
import numpy as np
import pytest

import jupyter_mltrack as mlt
from jupyter_mltrack.store.rest import RestStore

pytestmark = [pytest.mark.server, pytest.mark.slow]

mlflow_server = shared_mlflow_server.mlflow_server  # one real mlflow server for this module


def _read_back(run_mlflow, url: str, body: str) -> dict:  # type: ignore[no-untyped-def]
    """Run ``body`` with the mlflow client on ``url``; it must print one JSON line last."""
    script = f"import json, math, mlflow\nmlflow.set_tracking_uri({url!r})\n" + textwrap.dedent(
        body
    )
    result: dict = json.loads(run_mlflow(script).strip().splitlines()[-1])
    return result


def test_mlflow_reads_what_we_logged(mlflow_server, run_mlflow, tmp_path):
    mlt.set_tracking_uri(mlflow_server)
    exp_id = mlt.set_experiment("from-mltrack").experiment_id
    (tmp_path / "report.txt").write_text("all good")
    with mlt.start_run(run_name="parent") as parent:
        mlt.log_params({"lr": 0.1, "depth": 4})
        mlt.set_tag("team", "vision")
        for step in range(1500):  # more than one log-batch request
            mlt.log_metric("loss", 1 / (step + 1), step=step)
        mlt.log_metric("nan", math.nan)
        mlt.log_metric("inf", math.inf)
        mlt.log_artifact(tmp_path / "report.txt", "docs")
        mlt.log_dict({"a": 1}, "cfg/config.json")
        with mlt.start_run(run_name="child", nested=True) as child:
            mlt.log_metric("acc", 0.9)
    got = _read_back(
        run_mlflow,
        mlflow_server,
        f"""
        from mlflow import MlflowClient
        c = MlflowClient()
        exp = c.get_experiment_by_name("from-mltrack")
        run = c.get_run({parent.info.run_id!r})
        child = c.get_run({child.info.run_id!r})
        history = c.get_metric_history(run.info.run_id, "loss")
        text = mlflow.artifacts.load_text(run.info.artifact_uri + "/docs/report.txt")
        config = mlflow.artifacts.load_dict(run.info.artifact_uri + "/cfg/config.json")
        found = mlflow.search_runs([exp.experiment_id], filter_string="params.lr = '0.1'")
        print(json.dumps({{
            "exp": exp.experiment_id, "status": run.info.status, "name": run.info.run_name,
            "params": run.data.params, "team": run.data.tags.get("team"),
            "nan": str(run.data.metrics["nan"]), "inf": run.data.metrics["inf"],
            "loss_points": len(history), "last_loss": history[-1].value,
            "parent_of_child": child.data.tags.get("mlflow.parentRunId"),
            "acc": child.data.metrics["acc"],
            "text": text, "config": config, "found": list(found["run_id"]),
            "files": sorted(f.path for f in c.list_artifacts(run.info.run_id)),
        }}))
        """,
    )
    assert got["exp"] == exp_id
    assert (got["status"], got["name"]) == ("FINISHED", "parent")
    assert got["params"] == {"lr": "0.1", "depth": "4"}
    assert got["team"] == "vision"
    assert got["nan"] == "nan"
    assert got["inf"] >= 1.79e308  # MLflow's SQL store clamps infinities
    assert (got["loss_points"], got["last_loss"]) == (1500, 1 / 1500)
    assert got["parent_of_child"] == parent.info.run_id and got["acc"] == 0.9
    assert (got["text"], got["config"]) == ("all good", {"a": 1})
    assert got["found"] == [parent.info.run_id]
    assert got["files"] == ["cfg", "docs"]


def test_our_models_and_registry_over_an_mlflow_server(mlflow_server, run_mlflow):
    from sklearn.linear_model import LogisticRegression

    import jupyter_mltrack.sklearn as mls

    mlt.set_tracking_uri(mlflow_server)
    mlt.set_experiment("models-from-mltrack")
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0, 0, 1, 1])
    with mlt.start_run():
        info = mls.log_model(LogisticRegression().fit(X, y), "model", registered_model_name="clf")
    registry = mlt.RegistryClient()
    registry.set_registered_model_alias("clf", "champion", 1)
    assert isinstance(registry.store, RestStore)
    # Our client loads it back through the MLflow server's registry and artifact proxy ...
    assert list(mls.load_model("models:/clf@champion").predict(X)) == [0, 0, 1, 1]
    assert list(mls.load_model(info.model_uri).predict(X)) == [0, 0, 1, 1]
    # ... and so does MLflow.
    got = _read_back(
        run_mlflow,
        mlflow_server,
        """
        import numpy as np
        model = mlflow.pyfunc.load_model("models:/clf@champion")
        mv = mlflow.MlflowClient().get_model_version_by_alias("clf", "champion")
        print(json.dumps({"pred": model.predict(np.array([[0.0], [3.0]])).tolist(),
                          "version": mv.version, "source": mv.source}))
        """,
    )
    assert got["pred"] == [0, 1]
    assert got["version"] == "1" and got["source"] == info.model_uri


def test_we_load_models_that_mlflow_logged_and_registered(mlflow_server, run_mlflow):
    import jupyter_mltrack.pyfunc as pyfunc
    import jupyter_mltrack.sklearn as mls

    got = _read_back(
        run_mlflow,
        mlflow_server,
        """
        import numpy as np
        from sklearn.linear_model import LogisticRegression
        mlflow.set_experiment("from-mlflow")
        X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
        with mlflow.start_run() as run:
            info = mlflow.sklearn.log_model(
                LogisticRegression().fit(X, y), name="model", registered_model_name="mlflow-clf"
            )
        print(json.dumps({"model_id": info.model_id, "run_id": run.info.run_id}))
        """,
    )
    mlt.set_tracking_uri(mlflow_server)
    X = np.array([[0.0], [3.0]])
    registry = mlt.RegistryClient()
    version = registry.get_model_version("mlflow-clf", 1)
    assert version.source == f"models:/{got['model_id']}"
    assert version.run_id == got["run_id"]
    assert list(pyfunc.load_model("models:/mlflow-clf/1").predict(X)) == [0, 1]
    assert list(mls.load_model(f"models:/{got['model_id']}").predict(X)) == [0, 1]
    logged = registry.store.get_logged_model(got["model_id"])
    assert logged.source_run_id == got["run_id"] and logged.status.value == "LOGGED_MODEL_READY"


def test_mltrack_endpoints_fall_back_on_an_mlflow_server(mlflow_server):  # type: ignore[no-untyped-def]
    from jupyter_mltrack.entities import Metric

    # The server answers /api/2.0/mltrack/* with an HTML 404; the store then uses MLflow's calls.
    store = RestStore(mlflow_server)
    experiment_id = store.create_experiment("mltrack-endpoints")
    run_id = mlt.TrackingClient(store=store).create_run(experiment_id).info.run_id
    values = [math.sin(i / 30) for i in range(3000)]
    store.log_batch(
        run_id,
        metrics=[Metric(key="m", value=v, timestamp=i, step=i) for i, v in enumerate(values)],
    )
    got = store.get_metric_history_arrays(run_id, "m", max_points=100)
    assert got.total_points == 3000 and len(got) <= 100
    assert got.values.max() == max(values) and got.steps[-1] == 2999
    assert store.count_runs([experiment_id]) == 1
    assert store.lacking_endpoints == {"metrics/get-history-arrays", "runs/count"}
