"""The whole protocol workload, steps a-g, with the unmodified MLflow 3.17 client against a real
uvicorn ``mltrack server``; then our own client logs and loads models on the same server.

Steps a-e (experiments, runs, artifacts, search, client run operations) are checked in depth by
``test_mlflow_client_tracking.py``; here they run once more in the same session as the model
steps, which depend on them: f (``mlflow.sklearn.log_model`` as an MLflow 3 logged model, loaded
back from ``models:/<id>`` and ``runs:/<run>/model``) and g (registry: ``register_model``,
aliases, stages, tags, searches, ``models:/m1@champion``). The MLflow script prints one JSON
object; the assertions here compare it with what the script wrote, and with the server's own
store and artifact folder.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.server, pytest.mark.slow]

WORKLOAD = r"""
import json, os, tempfile, time
import numpy as np
import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from sklearn.linear_model import LogisticRegression

out = {}
client = MlflowClient()

# a. experiments
mlflow.set_experiment("e1")
exp = mlflow.get_experiment_by_name("e1")
out["a"] = {
    "id": exp.experiment_id,
    "location": exp.artifact_location,
    "names": sorted(e.name for e in mlflow.search_experiments()),
    "missing": mlflow.get_experiment_by_name("nope") is None,
}

# b. a run with params, metrics, tags and a nested run
with mlflow.start_run(run_name="r1") as r1:
    mlflow.log_param("p1", 1)
    mlflow.log_params({"p2": "x", "p3": 0.5})
    mlflow.log_metric("m", 1.5, step=0)
    mlflow.log_metric("m", 2.5, step=1)
    mlflow.log_metrics({"m2": 3.0, "nan": float("nan"), "inf": float("inf")}, step=2)
    mlflow.set_tags({"t1": "v1", "t2": 2})
    with mlflow.start_run(run_name="child", nested=True) as child:
        mlflow.log_metric("m", 0.5)
r1_id = r1.info.run_id
got = client.get_run(r1_id)
out["b"] = {
    "params": got.data.params,
    "metrics": {k: repr(v) for k, v in got.data.metrics.items()},
    "tags": {k: got.data.tags[k] for k in ("t1", "t2", "mlflow.runName")},
    "parent": client.get_run(child.info.run_id).data.tags.get("mlflow.parentRunId"),
    "status": got.info.status,
}

# c. artifacts up and down
with mlflow.start_run(run_id=r1_id):
    mlflow.log_text("hello", "notes/hello.txt")
    mlflow.log_dict({"k": [1, 2]}, "cfg/d.json")
    tree = tempfile.mkdtemp()
    os.makedirs(os.path.join(tree, "sub"))
    with open(os.path.join(tree, "sub", "b.csv"), "w") as f:
        f.write("x,y\n1,2\n")
    mlflow.log_artifacts(tree, "dir")
dst = mlflow.artifacts.download_artifacts(
    run_id=r1_id, artifact_path="dir", dst_path=tempfile.mkdtemp()
)
out["c"] = {
    "root": [[f.path, f.is_dir] for f in client.list_artifacts(r1_id)],
    "dir": [[f.path, f.is_dir] for f in client.list_artifacts(r1_id, "dir")],
    "text": mlflow.artifacts.load_text(f"runs:/{r1_id}/notes/hello.txt"),
    "dict": mlflow.artifacts.load_dict(f"runs:/{r1_id}/cfg/d.json"),
    "csv": open(os.path.join(dst, "sub", "b.csv")).read(),
}

# d. search_runs with filter, order and pages
frame = mlflow.search_runs(
    experiment_names=["e1"], filter_string="metrics.m > 0", order_by=["metrics.m DESC"]
)
names, token = [], None
while True:
    page = client.search_runs(
        [exp.experiment_id], max_results=1, page_token=token,
        order_by=["attributes.start_time ASC"],
    )
    names += [r.info.run_name for r in page]
    token = page.token
    if not token:
        break
out["d"] = {"frame": list(frame["tags.mlflow.runName"]), "paged": names}

# e. client run operations
run = client.create_run(exp.experiment_id, run_name="c1", tags={"ct": "1"})
rid = run.info.run_id
now = int(time.time() * 1000)
client.log_batch(
    rid,
    metrics=[Metric("bm", 0.1, now, 0), Metric("bm", 0.2, now, 1)],
    params=[Param("bp", "v")],
    tags=[RunTag("bt", "w")],
)
client.set_terminated(rid)
client.delete_run(rid)
deleted = client.get_run(rid).info.lifecycle_stage
client.restore_run(rid)
client.update_run(rid, status="KILLED", name="c1-renamed")
info = client.get_run(rid).info
out["e"] = {
    "history": [[m.value, m.step] for m in client.get_metric_history(rid, "bm")],
    "deleted": deleted,
    "final": [info.status, info.run_name, info.lifecycle_stage],
}

# f. an MLflow 3 logged model, loaded back two ways
X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 2.0]])
y = np.array([0, 0, 0, 1, 1, 1])
estimator = LogisticRegression().fit(X, y)
expected = estimator.predict(X).tolist()
with mlflow.start_run(run_name="model_run") as model_run:
    model_info = mlflow.sklearn.log_model(estimator, name="model", input_example=X[:2])
model_id, model_run_id = model_info.model_id, model_run.info.run_id
outputs = client.get_run(model_run_id).outputs.model_outputs
found = client.search_logged_models([exp.experiment_id], filter_string="name = 'model'")
predict = lambda uri: mlflow.pyfunc.load_model(uri).predict(X).tolist()
logged = client.get_logged_model(model_id)
out["f"] = {
    "model_id": model_id,
    "model_uri": model_info.model_uri,
    "run_id": model_run.info.run_id,
    "status": str(logged.status),
    "source_run_id": logged.source_run_id,
    "artifact_location": logged.artifact_location,
    "run_outputs": [[o.model_id, o.step] for o in outputs],
    "predict_models_uri": predict(f"models:/{model_id}"),
    "predict_runs_uri": predict(f"runs:/{model_run_id}/model"),
    "predict_sklearn": mlflow.sklearn.load_model(f"models:/{model_id}").predict(X).tolist(),
    "expected": expected,
    "searched": [m.model_id for m in found],
}

# g. the registry
mv = mlflow.register_model(f"models:/{model_id}", "m1")
client.set_registered_model_alias("m1", "champion", mv.version)
by_alias = client.get_model_version_by_alias("m1", "champion")
staged = client.transition_model_version_stage("m1", mv.version, "Staging")
client.set_model_version_tag("m1", mv.version, "validated", "yes")
updated = client.update_model_version("m1", mv.version, description="first version")
client.set_registered_model_tag("m1", "owner", "me")
client.update_registered_model("m1", description="desc")
rm = client.get_registered_model("m1")
version_back = client.get_model_version("m1", mv.version)
from_run = mlflow.register_model(f"runs:/{model_run_id}/model", "m2")
versions_tag = client.get_logged_model(model_id).tags["mlflow.modelVersions"]
out["g"] = {
    "version": [mv.name, str(mv.version), str(mv.status), mv.run_id, mv.source],
    "alias": [str(by_alias.version), list(by_alias.aliases)],
    "stage": staged.current_stage,
    "updated": [updated.description, updated.tags],
    "registered": {
        "description": rm.description,
        "tags": rm.tags,
        "aliases": rm.aliases,
        "latest": [[str(v.version), v.current_stage] for v in rm.latest_versions],
    },
    "search_models": [m.name for m in client.search_registered_models()],
    "search_versions": [
        [v.name, str(v.version)] for v in client.search_model_versions("name='m1'")
    ],
    "latest": [[str(v.version), v.current_stage] for v in client.get_latest_versions("m1")],
    "get_version": [version_back.description, version_back.tags],
    "download_uri": client.get_model_version_download_uri("m1", mv.version),
    "model_versions_tag": json.loads(versions_tag),
    "predict_champion": predict("models:/m1@champion"),
    "predict_version": predict("models:/m1/1"),
    "predict_stage": predict("models:/m1/Staging"),
    "from_run": [from_run.name, str(from_run.version), from_run.run_id],
    "predict_from_run": predict("models:/m2/1"),
}
print(json.dumps(out))
"""


def run_mlflow_script(mlflow_python: Path, script: str, url: str, cwd: Path) -> dict[str, Any]:
    """Run ``script`` with MLflow's interpreter against ``url``; return the JSON it printed last."""
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": url,
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",  # a 5xx must fail now, not after minutes
        "PYTHONWARNINGS": "ignore",
    }
    done = subprocess.run(
        [str(mlflow_python), "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"MLflow script failed:\n{done.stderr[-8000:]}"
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_mlflow_client_steps_a_to_g(
    mlflow_python, live_server, server_store, artifacts_dir, tmp_path
):  # type: ignore[no-untyped-def]
    out = run_mlflow_script(mlflow_python, WORKLOAD, live_server.url, tmp_path)
    exp_id = out["a"]["id"]

    # a-e, in brief (test_mlflow_client_tracking.py checks them in depth)
    assert out["a"] == {
        "id": exp_id,
        "location": f"mlflow-artifacts:/{exp_id}",
        "names": ["Default", "e1"],
        "missing": True,
    }
    assert out["b"]["params"] == {"p1": "1", "p2": "x", "p3": "0.5"}
    assert out["b"]["metrics"] == {"m": "2.5", "m2": "3.0", "nan": "nan", "inf": "inf"}
    assert out["b"]["tags"] == {"t1": "v1", "t2": "2", "mlflow.runName": "r1"}
    assert out["b"]["status"] == "FINISHED"
    assert out["c"]["root"] == [["cfg", True], ["dir", True], ["notes", True]]
    assert out["c"]["dir"] == [["dir/sub", True]]
    assert out["c"] | {"root": None, "dir": None} == {
        "root": None,
        "dir": None,
        "text": "hello",
        "dict": {"k": [1, 2]},
        "csv": "x,y\n1,2\n",
    }
    assert out["d"] == {"frame": ["r1", "child"], "paged": ["r1", "child"]}
    assert out["e"] == {
        "history": [[0.1, 0], [0.2, 1]],
        "deleted": "deleted",
        "final": ["KILLED", "c1-renamed", "active"],
    }

    # f. the logged model: created, linked to its run, uploaded, finalized, loaded back
    f = out["f"]
    model_id = f["model_id"]
    assert f["model_uri"] == f"models:/{model_id}"
    assert f["status"] == "READY"
    assert f["source_run_id"] == f["run_id"]
    assert f["artifact_location"] == f"mlflow-artifacts:/{exp_id}/models/{model_id}/artifacts"
    assert f["run_outputs"] == [[model_id, 0]]
    assert f["predict_models_uri"] == f["expected"]
    assert f["predict_runs_uri"] == f["expected"]
    assert f["predict_sklearn"] == f["expected"]
    assert f["searched"] == [model_id]
    model_dir = artifacts_dir / exp_id / "models" / model_id / "artifacts"
    assert {"MLmodel", "model.skops", "requirements.txt"} <= {p.name for p in model_dir.iterdir()}
    assert server_store.get_logged_model(model_id).status.value == "LOGGED_MODEL_READY"

    # g. the registry
    g = out["g"]
    assert g["version"] == ["m1", "1", "READY", f["run_id"], f"models:/{model_id}"]
    assert g["alias"] == ["1", ["champion"]]
    assert g["stage"] == "Staging"
    assert g["updated"] == ["first version", {"validated": "yes"}]
    assert g["registered"] == {
        "description": "desc",
        "tags": {"owner": "me"},
        "aliases": {"champion": "1"},
        "latest": [["1", "Staging"]],
    }
    assert g["search_models"] == ["m1", "m2"]
    assert g["search_versions"] == [["m1", "1"]]
    assert g["latest"] == [["1", "Staging"]]
    assert g["get_version"] == ["first version", {"validated": "yes"}]
    assert g["download_uri"] == f["artifact_location"]
    # The server records each version on its logged model; the client appends its own entry.
    assert {"name": "m1", "version": 1} in g["model_versions_tag"]
    assert {"name": "m2", "version": 1} in g["model_versions_tag"]
    for key in ("predict_champion", "predict_version", "predict_stage", "predict_from_run"):
        assert g[key] == f["expected"], key
    assert g["from_run"] == ["m2", "1", f["run_id"]]
    # The server's own registry holds what the client wrote.
    assert server_store.get_model_version_by_alias("m1", "champion").version == 1
    assert server_store.get_model_version("m1", 1).current_stage.value == "Staging"


MLFLOW_LOADS_OURS = r"""
import json, os, sys
import numpy as np
import mlflow
X = np.array(json.loads(os.environ["X"]))
out = {
    "runs_uri": mlflow.pyfunc.load_model(os.environ["RUNS_URI"]).predict(X).tolist(),
    "models_uri": mlflow.pyfunc.load_model("models:/ours@champion").predict(X).tolist(),
}
print(json.dumps(out))
"""


def test_our_model_logging_and_uris_on_the_same_server(
    mlflow_python, live_server, server_store, artifacts_dir, tmp_path, monkeypatch
):  # type: ignore[no-untyped-def]
    """Our client (RestStore over http://) logs, registers and loads models on the server; the
    MLflow client loads them too. Needs ``jupyter_mltrack.store.rest`` (the REST store)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    import jupyter_mltrack as mlt
    import jupyter_mltrack.sklearn
    from jupyter_mltrack import pyfunc
    from jupyter_mltrack.registry.client import RegistryClient

    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 2.0]])
    estimator = LogisticRegression().fit(X, np.array([0, 0, 0, 1, 1, 1]))
    expected = estimator.predict(X).tolist()

    mlt.set_tracking_uri(live_server.url)
    mlt.set_experiment("ours")
    with mlt.start_run(run_name="our-model-run") as run:
        info = jupyter_mltrack.sklearn.log_model(
            estimator, "model", input_example=X[:2], registered_model_name="ours"
        )
    run_id = run.info.run_id
    assert info.model_uri == f"runs:/{run_id}/model"
    assert info.registered_model_version == "1"

    # runs:/ and models:/ URIs resolve through the server.
    assert pyfunc.load_model(info.model_uri).predict(X).tolist() == expected
    assert pyfunc.load_model("models:/ours/1").predict(X).tolist() == expected
    registry = RegistryClient(live_server.url)
    registry.set_registered_model_alias("ours", "champion", 1)
    assert pyfunc.load_model("models:/ours@champion").predict(X).tolist() == expected

    # The files are where the server keeps run artifacts; the registry has the version.
    exp_id = server_store.get_run(run_id).info.experiment_id
    model_dir = artifacts_dir / exp_id / run_id / "artifacts" / "model"
    assert (model_dir / "MLmodel").is_file()
    assert server_store.get_model_version("ours", 1).run_id == run_id

    # The unmodified MLflow client loads our model from both URIs.
    monkeypatch.setenv("X", json.dumps(X.tolist()))
    monkeypatch.setenv("RUNS_URI", info.model_uri)
    out = run_mlflow_script(mlflow_python, MLFLOW_LOADS_OURS, live_server.url, tmp_path)
    assert out == {"runs_uri": expected, "models_uri": expected}
