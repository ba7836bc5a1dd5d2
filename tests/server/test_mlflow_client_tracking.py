"""The unmodified MLflow 3.17 client against ``mltrack server``: steps a-e of the protocol doc.

Experiments, runs with params/metrics/tags (NaN and +/-inf included), nested runs, artifacts up
and down, ``search_runs`` with filter/order/paging and ``MlflowClient`` run operations, all read
back through the MLflow client, then checked once more in the server's own store and folder.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.server, pytest.mark.slow]

WORKLOAD = r"""
import json, os, tempfile, time
import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag

out = {}
# a. experiments
mlflow.set_experiment("e1")
exp = mlflow.get_experiment_by_name("e1")
out["experiment"] = {"id": exp.experiment_id, "location": exp.artifact_location}
out["missing_experiment"] = mlflow.get_experiment_by_name("nope") is None
out["experiments"] = sorted(e.name for e in mlflow.search_experiments())

# b. runs, params, metrics, tags, a nested run
with mlflow.start_run(run_name="r1") as r1:
    mlflow.log_param("p1", 1)
    mlflow.log_params({"p2": "x", "p3": 0.5})
    mlflow.log_metric("m", 1.5, step=0)
    mlflow.log_metric("m", 2.5, step=1)
    mlflow.log_metrics(
        {"m2": 3.0, "nan": float("nan"), "pinf": float("inf"), "ninf": float("-inf")}, step=2
    )
    mlflow.log_metric("solo_nan", float("nan"))
    mlflow.set_tag("t1", "v1")
    mlflow.set_tags({"t2": "v2", "t3": 3})
    with mlflow.start_run(run_name="child", nested=True) as child:
        mlflow.log_param("cp", "c")
        mlflow.log_metric("m", 0.5)
r1_id, child_id = r1.info.run_id, child.info.run_id
client = MlflowClient()

# c. artifacts: resume r1, upload every way, then list and download
with mlflow.start_run(run_id=r1_id):
    tmp = tempfile.mkdtemp()
    hello = os.path.join(tmp, "hello.txt")
    with open(hello, "w") as f:
        f.write("hello artifacts")
    mlflow.log_artifact(hello)
    mlflow.log_text("some notes", "notes/t.txt")
    mlflow.log_dict({"a": 1, "b": [1, 2]}, "cfg/d.json")
    tree = os.path.join(tmp, "tree")
    os.makedirs(os.path.join(tree, "sub"))
    with open(os.path.join(tree, "a.txt"), "w") as f:
        f.write("a")
    with open(os.path.join(tree, "sub", "b.csv"), "w") as f:
        f.write("x,y\n1,2\n")
    with open(os.path.join(tree, "sub", "big.bin"), "wb") as f:
        f.write(bytes(range(256)) * 12288)  # 3 MiB: several streaming chunks
    mlflow.log_artifacts(tree, "dir")
out["root_list"] = [[f.path, f.is_dir, f.file_size] for f in client.list_artifacts(r1_id)]
out["dir_list"] = [[f.path, f.is_dir, f.file_size] for f in client.list_artifacts(r1_id, "dir")]
out["file_list"] = [f.path for f in client.list_artifacts(r1_id, "hello.txt")]
dst = mlflow.artifacts.download_artifacts(
    run_id=r1_id, artifact_path="dir", dst_path=tempfile.mkdtemp()
)
out["downloaded"] = sorted(
    os.path.relpath(os.path.join(d, n), dst) for d, _, names in os.walk(dst) for n in names
)
with open(os.path.join(dst, "sub", "big.bin"), "rb") as f:
    out["big_ok"] = f.read() == bytes(range(256)) * 12288
with open(client.download_artifacts(r1_id, "hello.txt", tempfile.mkdtemp())) as f:
    out["hello"] = f.read()
out["text"] = mlflow.artifacts.load_text(f"runs:/{r1_id}/notes/t.txt")
out["dict"] = mlflow.artifacts.load_dict(f"runs:/{r1_id}/cfg/d.json")

# d. search_runs: pandas with filter and order, then the client's paging
frame = mlflow.search_runs(
    experiment_names=["e1"], filter_string="metrics.m > 0", order_by=["metrics.m DESC"]
)
out["search_names"] = list(frame["tags.mlflow.runName"])
out["search_m"] = list(frame["metrics.m"])
names, token, pages = [], None, 0
while True:
    page = client.search_runs(
        [exp.experiment_id], max_results=1, page_token=token, order_by=["attributes.start_time ASC"]
    )
    names += [r.info.run_name for r in page]
    pages += 1
    token = page.token
    if not token:
        break
out["paged_names"], out["pages"] = names, pages

# e. MlflowClient run operations
run = client.create_run(exp.experiment_id, run_name="c1", tags={"ct": "1"})
rid = run.info.run_id
now = int(time.time() * 1000)
client.log_batch(
    rid,
    metrics=[
        Metric("bm", 0.1, now, 0), Metric("bm", 0.2, now + 1, 1), Metric("bi", float("inf"), now, 0)
    ],
    params=[Param("bp", "v")],
    tags=[RunTag("bt", "w")],
)
got = client.get_run(rid)
out["c1"] = {
    "metrics": {k: repr(v) for k, v in got.data.metrics.items()},
    "params": got.data.params,
    "tags": {k: v for k, v in got.data.tags.items() if not k.startswith("mltrack.")},
}
out["history"] = [[m.value, m.step] for m in client.get_metric_history(rid, "bm")]
client.set_terminated(rid)
out["terminated"] = client.get_run(rid).info.status
client.delete_run(rid)
out["deleted_stage"] = client.get_run(rid).info.lifecycle_stage
client.restore_run(rid)
out["restored_stage"] = client.get_run(rid).info.lifecycle_stage
client.update_run(rid, status="KILLED", name="c1-renamed")
info = client.get_run(rid).info
out["updated"] = [info.status, info.run_name]
client.set_tag(rid, "dt", "x")
client.delete_tag(rid, "dt")
out["deleted_tag_gone"] = "dt" not in client.get_run(rid).data.tags
unnamed = client.create_run(exp.experiment_id)
out["unnamed"] = [unnamed.info.run_name, unnamed.data.tags.get("mlflow.runName")]

# read everything back
r1_back = client.get_run(r1_id)
out["r1"] = {
    "params": r1_back.data.params,
    "metrics": {k: repr(v) for k, v in r1_back.data.metrics.items()},
    "tags": {
        k: v for k, v in r1_back.data.tags.items() if k in ("t1", "t2", "t3", "mlflow.runName")
    },
    "status": r1_back.info.status,
    "artifact_uri": r1_back.info.artifact_uri,
}
out["r1_m_history"] = [[m.value, m.step] for m in client.get_metric_history(r1_id, "m")]
child_back = client.get_run(child_id)
out["child"] = {
    "parent": child_back.data.tags.get("mlflow.parentRunId"),
    "params": child_back.data.params,
}
out["r1_id"], out["child_id"], out["c1_id"] = r1_id, child_id, rid
print(json.dumps(out))
"""


def _run_workload(mlflow_python: Path, url: str, cwd: Path) -> dict[str, Any]:
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": url,
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",  # a 5xx must fail now, not after minutes
        "PYTHONWARNINGS": "ignore",
    }
    done = subprocess.run(
        [str(mlflow_python), "-c", WORKLOAD],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"MLflow workload failed:\n{done.stderr[-6000:]}"
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_mlflow_client_steps_a_to_e(
    mlflow_python, live_server, server_store, artifacts_dir, tmp_path
):  # type: ignore[no-untyped-def]
    out = _run_workload(mlflow_python, live_server.url, tmp_path)

    # a. experiments
    assert out["experiment"]["location"] == f"mlflow-artifacts:/{out['experiment']['id']}"
    assert out["missing_experiment"] is True
    assert out["experiments"] == ["Default", "e1"]

    # b. params, metrics (non-finite included), tags, nested run
    r1 = out["r1"]
    assert r1["params"] == {"p1": "1", "p2": "x", "p3": "0.5"}
    assert r1["metrics"] == {
        "m": "2.5",
        "m2": "3.0",
        "nan": "nan",
        "pinf": "inf",
        "ninf": "-inf",
        "solo_nan": "nan",
    }
    assert r1["tags"] == {"t1": "v1", "t2": "v2", "t3": "3", "mlflow.runName": "r1"}
    assert r1["status"] == "FINISHED"
    assert r1["artifact_uri"] == f"mlflow-artifacts:/1/{out['r1_id']}/artifacts"
    assert out["r1_m_history"] == [[1.5, 0], [2.5, 1]]
    assert out["child"] == {"parent": out["r1_id"], "params": {"cp": "c"}}

    # c. artifacts
    assert out["root_list"] == [
        ["cfg", True, None],
        ["dir", True, None],
        ["hello.txt", False, 15],
        ["notes", True, None],
    ]
    assert out["dir_list"] == [["dir/a.txt", False, 1], ["dir/sub", True, None]]
    assert out["file_list"] == []
    assert out["downloaded"] == ["a.txt", "sub/b.csv", "sub/big.bin"]
    assert out["big_ok"] is True
    assert out["hello"] == "hello artifacts"
    assert out["text"] == "some notes"
    assert out["dict"] == {"a": 1, "b": [1, 2]}

    # d. search
    assert out["search_names"] == ["r1", "child"]
    assert out["search_m"] == [2.5, 0.5]
    assert out["paged_names"] == ["r1", "child"]
    assert out["pages"] == 2

    # e. client run operations
    assert out["c1"]["metrics"] == {"bm": "0.2", "bi": "inf"}
    assert out["c1"]["params"] == {"bp": "v"}
    assert out["c1"]["tags"] == {"ct": "1", "bt": "w", "mlflow.runName": "c1"}
    assert out["history"] == [[0.1, 0], [0.2, 1]]
    assert out["terminated"] == "FINISHED"
    assert out["deleted_stage"] == "deleted"
    assert out["restored_stage"] == "active"
    assert out["updated"] == ["KILLED", "c1-renamed"]
    assert out["deleted_tag_gone"] is True
    generated, tag = out["unnamed"]
    assert generated and tag == generated

    # The server's own view: infinities stored as infinities, files in the destination folder.
    stored = server_store.get_run(out["r1_id"]).data.metrics
    assert stored["pinf"] == math.inf and stored["ninf"] == -math.inf and math.isnan(stored["nan"])
    run_dir = artifacts_dir / "1" / out["r1_id"] / "artifacts"
    assert (run_dir / "hello.txt").read_text() == "hello artifacts"
    assert (run_dir / "dir" / "sub" / "b.csv").read_text() == "x,y\n1,2\n"
    assert not [p for p in run_dir.rglob("*") if p.name.startswith(".mltrack-tmp-")]
    assert server_store.get_run(out["c1_id"]).info.run_name == "c1-renamed"
