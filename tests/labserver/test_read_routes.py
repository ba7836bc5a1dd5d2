"""GET routes of /mltrack/api/ against the real server and its seeded default store."""

from __future__ import annotations

import httpx
import pytest
from lab_seed import KERNEL, TRAIN_BODY, TRAIN_CELL, Seeded

import jupyter_mltrack


def test_health_reports_versions_and_the_root_folders_default_store(
    api: httpx.Client, seeded: Seeded
) -> None:
    body = api.get("health").json()
    assert body["ok"] is True and body["api_version"] == 1
    assert body["version"] == body["frontend_version"] == jupyter_mltrack.__version__
    assert body["tracking_uri"] == f"sqlite:///{seeded.root}/mltrack/mltrack.db"


@pytest.mark.parametrize(
    ("view", "names"),
    [("active", {"lab-tests"}), ("deleted", {"gone"}), ("all", {"lab-tests", "gone"})],
)
def test_experiments_by_view(api: httpx.Client, view: str, names: set[str]) -> None:
    found = api.get("experiments", params={"view": view}).json()["experiments"]
    assert names <= {e["name"] for e in found}
    if view == "deleted":
        assert {e["lifecycle_stage"] for e in found} == {"deleted"}
    tagged = [e for e in found if e["name"] == "lab-tests"]
    assert not tagged or tagged[0]["tags"]["team"] == "ml"


def test_unknown_experiment_view_is_400(api: httpx.Client) -> None:
    response = api.get("experiments", params={"view": "archived"})
    assert response.status_code == 400
    assert "active, deleted, all" in response.json()["message"]


def test_runs_pages_with_token_and_total(api: httpx.Client, seeded: Seeded) -> None:
    query = {"experiment_ids": seeded.experiment_id, "filter": "params.depth != ''",
             "order_by": "params.depth ASC", "page_size": "2"}  # fmt: skip
    first = api.get("runs", params=query).json()
    assert first["total"] == 5
    assert [r["params"]["depth"] for r in first["runs"]] == ["0", "1"]
    second = api.get("runs", params={**query, "page_token": first["next_page_token"]}).json()
    assert [r["params"]["depth"] for r in second["runs"]] == ["2", "3"]


def test_runs_filter_order_and_run_shape(api: httpx.Client, seeded: Seeded) -> None:
    response = api.get(
        "runs",
        params=[("filter", "metrics.acc > 0.65"), ("order_by", "metrics.acc DESC"),
                ("order_by", "attributes.run_name ASC")],
    )  # fmt: skip
    runs = response.json()["runs"]
    assert [r["run_name"] for r in runs] == ["sweep-4", "sweep-3", "sweep-2"]
    run = runs[0]
    assert set(run) >= {"run_id", "run_name", "experiment_id", "status", "start_time",
                        "end_time", "lifecycle_stage", "parent_run_id", "params", "metrics",
                        "tags"}  # fmt: skip
    assert run["status"] == "FINISHED" and isinstance(run["end_time"], int)
    assert run["metrics"] == {"acc": pytest.approx(0.9)} and run["parent_run_id"] is None


def test_nan_metric_is_null_in_strict_json(api: httpx.Client, seeded: Seeded) -> None:
    response = api.get("runs", params={"filter": "attributes.run_name = 'nan-run'"})
    assert "NaN" not in response.text
    assert response.json()["runs"][0]["metrics"] == {"acc": None}


def test_bad_filter_is_400_with_the_parsers_message_and_column(api: httpx.Client) -> None:
    response = api.get("runs", params={"filter": "metrics.acc >> 1"})
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "column" in body["message"] and body["column"] == 14


@pytest.mark.parametrize("size", ["0", "1001", "many"])
def test_page_size_out_of_range_is_400(api: httpx.Client, size: str) -> None:
    response = api.get("runs", params={"page_size": size})
    assert response.status_code == 400
    assert "page_size" in response.json()["message"]


def test_run_details_source_artifacts_and_metric_keys(api: httpx.Client, seeded: Seeded) -> None:
    body = api.get(f"runs/{seeded.detail_run}").json()
    assert body["params"] == {"alpha": "0.5"} and body["metric_keys"] == ["loss"]
    assert body["metrics"]["loss"] is None  # the last point logged is NaN
    paths = {f["path"]: f for f in body["artifacts"]}
    assert paths["plots"]["is_dir"] is True and paths["plots"]["file_size"] is None
    assert paths["cell.py"]["file_size"] == len(TRAIN_BODY)
    source = body["source"]
    assert source["notebook_path"] == "proj/train.ipynb" and source["cell_index"] == 1
    assert source["cell_source"] == TRAIN_BODY and source["slice_source"] == TRAIN_CELL


def test_unknown_run_is_404_json(api: httpx.Client) -> None:
    response = api.get("runs/" + "f" * 32)
    assert response.status_code == 404
    assert response.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_artifact_listing_of_a_folder(api: httpx.Client, seeded: Seeded) -> None:
    files = api.get(f"runs/{seeded.detail_run}/artifacts", params={"path": "plots"}).json()
    assert files == {"files": [{"path": "plots/config.json", "is_dir": False, "file_size": 12}]}


def test_artifact_bytes_with_type_and_nosniff(api: httpx.Client, seeded: Seeded) -> None:
    response = api.get(f"runs/{seeded.detail_run}/artifact", params={"path": "plots/config.json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.json() == {"a": 1}


def test_html_artifact_is_sandboxed(api: httpx.Client, seeded: Seeded) -> None:
    response = api.get(f"runs/{seeded.detail_run}/artifact", params={"path": "report.html"})
    assert response.headers["content-type"].startswith("text/html")
    assert "sandbox" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("path", "status"),
    [("../../../etc/passwd", 400), ("/etc/passwd", 400), ("big.txt", 413), ("nope.txt", 404),
     ("plots", 400), ("", 400)],
)  # fmt: skip
def test_artifact_refusals(api: httpx.Client, seeded: Seeded, path: str, status: int) -> None:
    response = api.get(f"runs/{seeded.detail_run}/artifact", params={"path": path})
    assert response.status_code == status
    assert response.json()["message"]


def test_metric_history_is_downsampled_with_nan_as_null(api: httpx.Client, seeded: Seeded) -> None:
    query = {"run_id": seeded.detail_run, "key": "loss", "max_points": "100"}
    body = api.get("metrics/history", params=query).json()
    assert body["run_id"] == seeded.detail_run and body["key"] == "loss"
    assert 2 <= len(body["steps"]) <= 104 and body["total_points"] == 5001
    assert len(body["steps"]) == len(body["values"]) == len(body["timestamps"])
    assert body["steps"][0] == 0 and body["steps"][-1] == 5000
    assert None in body["values"]


@pytest.mark.parametrize(
    "query", [{"key": "loss"}, {"run_id": "x" * 32, "key": "loss", "max_points": "1"}]
)
def test_metric_history_bad_input_is_4xx(api: httpx.Client, query: dict[str, str]) -> None:
    response = api.get("metrics/history", params=query)
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_kernel_run_and_last_run(api: httpx.Client, seeded: Seeded) -> None:
    body = api.get(f"kernels/{KERNEL}/run").json()
    assert body["run"]["run_id"] == seeded.kernel_running
    assert body["run"]["status"] == "RUNNING"
    assert body["last_run"]["run_id"] == seeded.kernel_latest
    assert body["last_run"]["status"] == "FAILED"


def test_kernel_without_runs_and_bad_kernel_id(api: httpx.Client) -> None:
    assert api.get("kernels/no-such-kernel/run").json() == {"run": None, "last_run": None}
    response = api.get("kernels/x'or'1'='1/run")
    assert response.status_code == 400


def test_models_list_with_aliases_and_latest_versions(api: httpx.Client, seeded: Seeded) -> None:
    body = api.get("models").json()
    churn = next(m for m in body["models"] if m["name"] == "churn")
    assert churn["aliases"] == {"champion": "1"} and churn["tags"] == {"team": "ml"}
    latest = {v["stage"]: v for v in churn["latest_versions"]}
    assert latest["Production"]["version"] == "1"
    assert latest["Production"]["run_name"] == "sweep-0"
    assert latest["Production"]["aliases"] == ["champion"]
    filtered = api.get("models", params={"filter": "name LIKE 'o%'"}).json()["models"]
    assert [m["name"] for m in filtered] == ["o'brien model"]
