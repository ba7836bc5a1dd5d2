"""The unmodified ``mlflow`` client (MLflow 3.17.2, in its own virtualenv) through every item of
the drop-in issue, against ``mltrack server``.

One MLflow script runs every call and prints what it saw (results, or ``[error_code, message]``
for refused calls); the tests below check each item on that record. One server per module.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from serverproc import mltrack_server

pytestmark = [pytest.mark.server, pytest.mark.slow]

SCRIPT = r"""
import json, os, tempfile, time
import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

c = MlflowClient()
out = {}

def err(fn):
    try:
        fn()
    except MlflowException as exc:  # a RestException's message starts with "CODE: "
        return [exc.error_code, exc.message.removeprefix(exc.error_code + ": ")]
    return None

exp = c.create_experiment("compat")
out["exp"] = exp
# item 2: experiment tags can be deleted
c.set_experiment_tag(exp, "k", "v")
c.set_experiment_tag(exp, "keep", "1")
c.delete_experiment_tag(exp, "k")
out["exp_tags"] = c.get_experiment(exp).tags

# item 7: latest metrics with timestamp and step; no mltrack.runName tag
run = c.create_run(exp, run_name="r")
rid = run.info.run_id
out["rid"] = rid
c.log_metric(rid, "m", 1.0, timestamp=111, step=3)
c.log_metric(rid, "m", 2.0, timestamp=222, step=7)
metrics = lambda r: sorted([m.key, m.value, m.timestamp, m.step] for m in r.data._metric_objs)
out["latest_get"] = metrics(c.get_run(rid))
out["latest_search"] = metrics(c.search_runs([exp])[0])
out["tags"] = sorted(c.get_run(rid).data.tags)  # before log-model adds its history tag

# item 3: log-batch refuses a metric without timestamp (the client cannot build one: raw call)
import requests
answer = requests.post(
    mlflow.get_tracking_uri() + "/api/2.0/mlflow/runs/log-batch",
    json={"run_id": rid, "metrics": [{"key": "x", "value": 1.0, "step": 0}]},
)
body = answer.json()
out["batch_no_timestamp"] = [answer.status_code, body["error_code"], body["message"]]

# runs/log-model: MLflow's log_model records the model in the run's history tag
from mlflow.models import Model
c._record_logged_model(rid, Model(artifact_path="m", run_id=rid, flavors={"python_function": {}}))
history = json.loads(c.get_run(rid).data.tags["mlflow.log-model.history"])
out["log_model_history"] = [[m["artifact_path"], sorted(m["flavors"])] for m in history]

# items 2, 4, 5: artifacts listed and downloaded, path "." included
with mlflow.start_run(run_id=rid):
    mlflow.log_text("hi", "d/a.txt")
    mlflow.log_text("top", "b.txt")
out["listing"] = sorted(f.path for f in c.list_artifacts(rid))
dst = tempfile.mkdtemp()
dst = mlflow.artifacts.download_artifacts(run_id=rid, artifact_path=".", dst_path=dst)
out["downloaded"] = sorted(
    os.path.relpath(os.path.join(d, n), dst) for d, _, names in os.walk(dst) for n in names
)

# item 2, 9: logged models: params, delete, unknown source run accepted
lm = c.create_logged_model(exp, name="lm", source_run_id="0123456789abcdef0123456789abcdef")
c.log_model_params(lm.model_id, {"alpha": "0.5"})
out["lm_params"] = c.get_logged_model(lm.model_id).params
out["lm_source"] = lm.source_run_id
out["lm_datasets"] = len(c.search_logged_models([exp], datasets=[{"dataset_name": "nope"}]))
out["lm_all"] = len(c.search_logged_models([exp]))
c.delete_logged_model(lm.model_id)
out["lm_deleted"] = err(lambda: c.get_logged_model(lm.model_id))

# item 9: metrics logged with a model_id show on the model; search honours datasets
a = c.create_logged_model(exp, name="a")
b = c.create_logged_model(exp, name="b")
c.create_logged_model(exp, name="unscored")
mlflow.log_metric("acc", 0.25, step=1, run_id=rid, model_id=a.model_id, synchronous=True)
c.log_metric(rid, "acc", 0.9, step=2, model_id=a.model_id, dataset_name="eval", dataset_digest="e1")
c.log_metric(rid, "acc", 0.5, step=3, model_id=b.model_id, dataset_name="eval", dataset_digest="e1")
c.log_metric(rid, "acc", 0.1, step=4, model_id=a.model_id, dataset_name="test", dataset_digest="t1")
out["lm_metrics"] = [
    [m.key, m.value, m.step, m.dataset_name, m.dataset_digest, m.run_id == rid]
    + [m.model_id == a.model_id]
    for m in sorted(mlflow.get_logged_model(a.model_id).metrics, key=lambda m: m.step)
]
names = {a.model_id: "a", b.model_id: "b"}
search = lambda **kw: [
    names.get(m.model_id, "unscored")
    for m in mlflow.search_logged_models(experiment_ids=[exp], output_format="list", **kw)
]
out["lm_on_eval"] = sorted(search(datasets=[{"dataset_name": "eval"}]))
out["lm_on_test"] = search(datasets=[{"dataset_name": "test", "dataset_digest": "t1"}])
out["lm_on_nothing"] = search(datasets=[{"dataset_name": "eval", "dataset_digest": "zz"}])
out["lm_filter_on_test"] = search(
    filter_string="metrics.acc > 0.3", datasets=[{"dataset_name": "test"}]
)
out["lm_order_eval"] = search(
    order_by=[{"field_name": "metrics.acc", "ascending": False, "dataset_name": "eval"}]
)
out["lm_order_latest"] = search(order_by=[{"field_name": "metrics.acc", "ascending": True}])

# item 1: model versions in MLflow's default order; item 8: sources MLflow refuses
c.create_registered_model("clf")
for _ in range(3):
    c.create_model_version("clf", f"runs:/{rid}/model", run_id=rid)
    time.sleep(0.02)
c.update_model_version("clf", "1", description="touched last")
out["version_order"] = [v.version for v in c.search_model_versions("name = 'clf'")]
out["sources"] = {
    s: err(lambda s=s: c.create_model_version("clf", s))
    for s in (
        "mlflow-artifacts:/1/../../etc",
        "http://host/a/../../b",
        "dbfs:/a/../../b",
    )
}
out["run_mismatch"] = err(
    lambda: c.create_model_version("clf", "runs:/0123456789abcdef0123456789abcdef/m", run_id=rid)
)

# messages in MLflow's words
out["msg_model"] = err(lambda: c.get_registered_model("nope"))
out["msg_taken"] = err(lambda: c.create_registered_model("clf"))
out["msg_version"] = err(lambda: c.get_model_version("clf", "99"))
out["msg_run"] = err(lambda: c.get_run("0123456789abcdef0123456789abcdef"))
out["msg_tag"] = err(lambda: c.delete_tag(rid, "nope"))
out["msg_max_runs"] = err(lambda: c.search_runs([exp], max_results=50001))
out["msg_max_exps"] = err(lambda: c.search_experiments(max_results=50001))

# item 10: writes to a deleted run
gone = c.create_run(exp).info.run_id
c.delete_run(gone)
c.delete_run(gone)  # idempotent
out["deleted"] = {
    "set_tag": err(lambda: c.set_tag(gone, "k", "v")),
    "delete_tag": err(lambda: c.delete_tag(gone, "k")),
    "log_param": err(lambda: c.log_param(gone, "p", "1")),
    "log_metric": err(lambda: c.log_metric(gone, "m", 1.0)),
}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root: Path = tmp_path_factory.mktemp("compat-server")
    with mltrack_server(
        "--backend-store-uri", f"sqlite:///{root / 'mltrack.db'}",
        "--artifacts-destination", str(root / "artifacts"),
        cwd=root,
    ) as server:  # fmt: skip
        yield server.url


@pytest.fixture(scope="module")
def seen(mlflow_python: Path, server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """What the MLflow client saw running ``SCRIPT`` against our server."""
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": server_url,
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",  # a 5xx must fail now, not after minutes
        "PYTHONWARNINGS": "ignore",
    }
    done = subprocess.run(
        [str(mlflow_python), "-c", SCRIPT],
        cwd=tmp_path_factory.mktemp("compat-client"),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"MLflow script failed:\n{done.stderr[-6000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_experiment_tags_can_be_deleted(seen):  # type: ignore[no-untyped-def]
    assert seen["exp_tags"] == {"keep": "1"}


def test_latest_metrics_carry_timestamp_and_step_and_no_extra_tag(seen):  # type: ignore[no-untyped-def]
    assert seen["latest_get"] == [["m", 2.0, 222, 7]]
    assert seen["latest_search"] == [["m", 2.0, 222, 7]]
    assert seen["tags"] == ["mlflow.runName"]


def test_log_model_records_the_model_history(seen):  # type: ignore[no-untyped-def]
    assert seen["log_model_history"] == [["m", ["python_function"]]]


def test_log_batch_requires_metric_timestamps(seen):  # type: ignore[no-untyped-def]
    status, code, message = seen["batch_no_timestamp"]
    assert (status, code) == (400, "INVALID_PARAMETER_VALUE")
    assert "Missing value for required parameter 'metrics[0].timestamp'" in message


def test_artifacts_list_and_download_the_run_folder(seen):  # type: ignore[no-untyped-def]
    assert seen["listing"] == ["b.txt", "d"]
    assert seen["downloaded"] == ["b.txt", "d/a.txt"]


def test_download_headers(seen, server_url):  # type: ignore[no-untyped-def]
    path = f"{seen['exp']}/{seen['rid']}/artifacts/b.txt"
    url = f"{server_url}/api/2.0/mlflow-artifacts/artifacts/{path}"
    with urllib.request.urlopen(url) as response:
        assert response.read() == b"top"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_logged_models(seen):  # type: ignore[no-untyped-def]
    assert seen["lm_params"] == {"alpha": "0.5"}
    assert seen["lm_source"] == "0123456789abcdef0123456789abcdef"  # accepted, as MLflow does
    assert (seen["lm_all"], seen["lm_datasets"]) == (1, 0)
    assert seen["lm_deleted"][0] == "RESOURCE_DOES_NOT_EXIST"


def test_logged_model_metrics(seen):  # type: ignore[no-untyped-def]
    # mlflow.log_metric(model_id=...) and MlflowClient.log_metric(dataset_name=...) land on
    # the model, with run id and dataset, as MLflow's server keeps them.
    assert seen["lm_metrics"] == [
        ["acc", 0.25, 1, None, None, True, True],
        ["acc", 0.9, 2, "eval", "e1", True, True],
        ["acc", 0.1, 4, "test", "t1", True, True],
    ]


def test_search_logged_models_with_datasets(seen):  # type: ignore[no-untyped-def]
    assert seen["lm_on_eval"] == ["a", "b"]
    assert seen["lm_on_test"] == ["a"]
    assert seen["lm_on_nothing"] == []
    assert seen["lm_filter_on_test"] == []  # a's 0.9 is on eval; on test it has 0.1
    assert seen["lm_order_eval"] == ["a", "b", "unscored"]  # eval: a 0.9, b 0.5, then none
    # Latest point (by timestamp, then step) per model: a 0.1, b 0.5; without metrics last.
    assert seen["lm_order_latest"] == ["a", "b", "unscored"]


def test_model_versions_sort_as_mlflow_does(seen):  # type: ignore[no-untyped-def]
    assert seen["version_order"] == ["1", "3", "2"]  # last updated first


def test_version_sources_mlflow_refuses(seen):  # type: ignore[no-untyped-def]
    for source, refused in seen["sources"].items():
        assert refused is not None and refused[0] == "INVALID_PARAMETER_VALUE", source
    assert seen["run_mismatch"][0] == "INVALID_PARAMETER_VALUE"


def test_messages_in_mlflows_words(seen):  # type: ignore[no-untyped-def]
    rid = seen["rid"]
    assert seen["msg_model"] == [
        "RESOURCE_DOES_NOT_EXIST",
        "Registered Model with name=nope not found",
    ]
    assert seen["msg_taken"] == [
        "RESOURCE_ALREADY_EXISTS",
        "Registered Model (name=clf) already exists.",
    ]
    assert seen["msg_version"] == [
        "RESOURCE_DOES_NOT_EXIST",
        "Model Version (name=clf, version=99) not found",
    ]
    assert seen["msg_run"] == [
        "RESOURCE_DOES_NOT_EXIST",
        "Run with id=0123456789abcdef0123456789abcdef not found",
    ]
    assert seen["msg_tag"] == [
        "RESOURCE_DOES_NOT_EXIST",
        f"No tag with name: nope in run with id {rid}",
    ]
    assert seen["msg_max_runs"][1].startswith(
        "Invalid value 50001 for parameter 'max_results' supplied:"
    )
    assert seen["msg_max_exps"][1] == (
        "Invalid value 50001 for parameter 'max_results' supplied. It must be at most 50000"
    )


def test_writes_to_deleted_runs(seen):  # type: ignore[no-untyped-def]
    for call, refused in seen["deleted"].items():
        assert refused is not None, call
        code, message = refused
        assert code == "INVALID_PARAMETER_VALUE", call
        assert "must be in the 'active' state. Current state is deleted." in message, call
