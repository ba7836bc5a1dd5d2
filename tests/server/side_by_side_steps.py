# ruff: noqa: E501 - a table of requests, one per line, reads better than wrapped calls
"""The requests ``test_mlflow_side_by_side.py`` sends to both servers, in order.

They cover the route table outside GenAI/tracing/gateway/GraphQL/UI-only endpoints: each route's
success path, then its error cases (missing required fields, bad types, unknown ids, deleted
runs, traversal). Later steps use ids saved by earlier ones (``s["run"]``).
"""

from __future__ import annotations

from typing import Any

from side_by_side import API, ARTIFACTS, State, Step


def _keep(name: str, *path: str) -> Any:
    def save(payload: dict[str, Any], state: State) -> None:
        value: Any = payload
        for part in path:
            value = value[part]
        state.ids[name] = str(value)

    return save


def post(name: str, route: str, body: Any = None, save: Any = None) -> Step:
    return Step(name, "POST", API + route, body if body is not None else {}, save)


def get(name: str, route: str, body: Any = None) -> Step:
    return Step(name, "GET", API + route, body)


def experiments() -> list[Step]:
    exp = lambda s: s["exp"]  # noqa: E731
    return [
        post("exp create", "/experiments/create", {"name": "sbs"}, _keep("exp", "experiment_id")),
        post("exp create: no name", "/experiments/create", {}),
        post("exp create: name not a string", "/experiments/create", {"name": 5}),
        post("exp create: taken name", "/experiments/create", {"name": "sbs"}),
        get("exp get", "/experiments/get", lambda s: {"experiment_id": exp(s)}),
        get("exp get: no id", "/experiments/get", {}),
        get("exp get: unknown id", "/experiments/get", {"experiment_id": "98765"}),
        get("exp get-by-name", "/experiments/get-by-name", {"experiment_name": "sbs"}),
        get("exp get-by-name: unknown", "/experiments/get-by-name", {"experiment_name": "nope"}),
        get("exp get-by-name: no name", "/experiments/get-by-name", {}),
        post("exp search", "/experiments/search", {"filter": "name = 'sbs'", "max_results": 10}),
        post("exp search: no max_results", "/experiments/search", {}),
        get("exp search GET", "/experiments/search", {"max_results": "1"}),
        post("exp search: max_results too big", "/experiments/search", {"max_results": 50001}),
        post("exp search: max_results not int", "/experiments/search", {"max_results": "x"}),
        post("exp search: bad filter", "/experiments/search", {"filter": "name === 'a'", "max_results": 10}),
        post("exp update", "/experiments/update", lambda s: {"experiment_id": exp(s), "new_name": "sbs2"}),
        post("exp update: no id", "/experiments/update", {"new_name": "x"}),
        post("exp update: unknown id", "/experiments/update", {"experiment_id": "98765", "new_name": "x"}),
        post("exp set tag", "/experiments/set-experiment-tag", lambda s: {"experiment_id": exp(s), "key": "k", "value": "v"}),
        post("exp set tag: no key", "/experiments/set-experiment-tag", lambda s: {"experiment_id": exp(s), "value": "v"}),
        post("exp set tag: unknown exp", "/experiments/set-experiment-tag", {"experiment_id": "98765", "key": "k", "value": "v"}),
        get("exp get with tag", "/experiments/get", lambda s: {"experiment_id": exp(s)}),
        post("exp delete tag", "/experiments/delete-experiment-tag", lambda s: {"experiment_id": exp(s), "key": "k"}),
        post("exp delete tag: no key", "/experiments/delete-experiment-tag", lambda s: {"experiment_id": exp(s)}),
        post("exp delete tag: unknown exp", "/experiments/delete-experiment-tag", {"experiment_id": "98765", "key": "k"}),
        post("exp create 2", "/experiments/create", {"name": "gone"}, _keep("exp2", "experiment_id")),
        post("exp delete", "/experiments/delete", lambda s: {"experiment_id": s["exp2"]}),
        get("exp get deleted", "/experiments/get", lambda s: {"experiment_id": s["exp2"]}),
        post("exp delete: unknown", "/experiments/delete", {"experiment_id": "98765"}),
        post("exp restore", "/experiments/restore", lambda s: {"experiment_id": s["exp2"]}),
        post("exp restore: unknown", "/experiments/restore", {"experiment_id": "98765"}),
    ]  # fmt: skip


def runs() -> list[Step]:
    run = lambda s, **kw: {"run_id": s["run"], **kw}  # noqa: E731
    return [
        post("run create", "/runs/create", lambda s: {"experiment_id": s["exp"], "run_name": "r1", "start_time": 5, "tags": [{"key": "t", "value": "v"}]}, _keep("run", "run", "info", "run_id")),
        post("run create: unknown exp", "/runs/create", {"experiment_id": "98765"}),
        post("run create: bad start_time", "/runs/create", lambda s: {"experiment_id": s["exp"], "start_time": "soon"}),
        get("run get", "/runs/get", lambda s: {"run_id": s["run"]}),
        get("run get: no id", "/runs/get", {}),
        get("run get: unknown", "/runs/get", {"run_id": "0123456789abcdef0123456789abcdef"}),
        post("log-metric", "/runs/log-metric", lambda s: run(s, key="m", value=1.5, timestamp=10, step=2)),
        post("log-metric 2", "/runs/log-metric", lambda s: run(s, key="m", value=0.5, timestamp=20, step=1)),
        post("log-metric: no run_id", "/runs/log-metric", {"key": "m", "value": 1, "timestamp": 1}),
        post("log-metric: no key", "/runs/log-metric", lambda s: run(s, value=1, timestamp=1)),
        post("log-metric: no value", "/runs/log-metric", lambda s: run(s, key="m", timestamp=1)),
        post("log-metric: no timestamp", "/runs/log-metric", lambda s: run(s, key="m", value=1)),
        post("log-metric: value not a number", "/runs/log-metric", lambda s: run(s, key="m", value="x", timestamp=1)),
        post("log-metric: unknown run", "/runs/log-metric", {"run_id": "0123456789abcdef0123456789abcdef", "key": "m", "value": 1, "timestamp": 1}),
        post("log-parameter", "/runs/log-parameter", lambda s: run(s, key="p", value="1")),
        post("log-parameter: same again", "/runs/log-parameter", lambda s: run(s, key="p", value="1")),
        post("log-parameter: no key", "/runs/log-parameter", lambda s: run(s, value="1")),
        post("log-parameter: no run_id", "/runs/log-parameter", {"key": "p", "value": "1"}),
        post("set-tag", "/runs/set-tag", lambda s: run(s, key="k", value="v")),
        post("set-tag: no key", "/runs/set-tag", lambda s: run(s, value="v")),
        post("delete-tag", "/runs/delete-tag", lambda s: run(s, key="k")),
        post("delete-tag: unknown tag", "/runs/delete-tag", lambda s: run(s, key="k")),
        post("delete-tag: no key", "/runs/delete-tag", lambda s: run(s)),
        post("log-batch", "/runs/log-batch", lambda s: run(s, metrics=[{"key": "b", "value": 2, "timestamp": 3, "step": 4}], params=[{"key": "bp", "value": "x"}], tags=[{"key": "bt", "value": "y"}])),
        post("log-batch: empty", "/runs/log-batch", lambda s: run(s)),
        post("log-batch: metric without timestamp", "/runs/log-batch", lambda s: run(s, metrics=[{"key": "b", "value": 2}])),
        post("log-batch: metric without key", "/runs/log-batch", lambda s: run(s, metrics=[{"value": 2, "timestamp": 1}])),
        post("log-batch: param without key", "/runs/log-batch", lambda s: run(s, params=[{"value": "x"}])),
        post("log-batch: tag without key", "/runs/log-batch", lambda s: run(s, tags=[{"value": "x"}])),
        post("log-batch: no run_id", "/runs/log-batch", {"metrics": []}),
        post("log-model", "/runs/log-model", lambda s: run(s, model_json='{"artifact_path": "m", "flavors": {}, "utc_time_created": "2026-01-01 00:00:00.000000", "run_id": "x"}')),
        post("log-model: no model_json", "/runs/log-model", lambda s: run(s)),
        post("log-model: not JSON", "/runs/log-model", lambda s: run(s, model_json="{")),
        post("log-model: missing fields", "/runs/log-model", lambda s: run(s, model_json='{"flavors": {}, "artifact_path": "m", "run_id": "x"}')),
        get("run get with data", "/runs/get", lambda s: {"run_id": s["run"]}),
        post("run update", "/runs/update", lambda s: run(s, status="FINISHED", end_time=50)),
        post("run update: bad status", "/runs/update", lambda s: run(s, status="DONE")),
        post("run update: unknown", "/runs/update", {"run_id": "0123456789abcdef0123456789abcdef", "status": "FINISHED"}),
        post("run search", "/runs/search", lambda s: {"experiment_ids": [s["exp"]]}),
        post("run search: filter", "/runs/search", lambda s: {"experiment_ids": [s["exp"]], "filter": "metrics.m < 1", "order_by": ["metrics.m DESC"]}),
        post("run search: bad filter", "/runs/search", lambda s: {"experiment_ids": [s["exp"]], "filter": "metrics.m <<< 1"}),
        post("run search: max_results too big", "/runs/search", lambda s: {"experiment_ids": [s["exp"]], "max_results": 50001}),
        post("run search: max_results not int", "/runs/search", lambda s: {"experiment_ids": [s["exp"]], "max_results": "x"}),
        get("metric history", "/metrics/get-history", lambda s: {"run_id": s["run"], "metric_key": "m"}),
        get("metric history: no key", "/metrics/get-history", lambda s: {"run_id": s["run"]}),
        get("metric history: unknown run", "/metrics/get-history", {"run_id": "0123456789abcdef0123456789abcdef", "metric_key": "m"}),
        get("metric bulk interval", "/metrics/get-history-bulk-interval", lambda s: {"run_ids": [s["run"], "0123456789abcdef0123456789abcdef"], "metric_key": "m", "max_results": 1}),
        get("metric bulk interval: steps", "/metrics/get-history-bulk-interval", lambda s: {"run_ids": [s["run"]], "metric_key": "m", "start_step": 0, "end_step": 1}),
        get("metric bulk interval: no run_ids", "/metrics/get-history-bulk-interval", {"metric_key": "m"}),
        get("metric bulk interval: max_results 0", "/metrics/get-history-bulk-interval", lambda s: {"run_ids": [s["run"]], "metric_key": "m", "max_results": 0}),
        get("metric bulk interval: start only", "/metrics/get-history-bulk-interval", lambda s: {"run_ids": [s["run"]], "metric_key": "m", "start_step": 1}),
        get("metric bulk interval: start > end", "/metrics/get-history-bulk-interval", lambda s: {"run_ids": [s["run"]], "metric_key": "m", "start_step": 2, "end_step": 1}),
        get("artifacts list: empty run", "/artifacts/list", lambda s: {"run_id": s["run"]}),
        get("artifacts list: no run_id", "/artifacts/list", {}),
        get("artifacts list: traversal", "/artifacts/list", lambda s: {"run_id": s["run"], "path": "../x"}),
    ]  # fmt: skip


def deleted_runs() -> list[Step]:
    run = lambda s, **kw: {"run_id": s["run"], **kw}  # noqa: E731
    return [
        post("run delete", "/runs/delete", lambda s: run(s)),
        get("run get deleted", "/runs/get", lambda s: {"run_id": s["run"]}),
        post("run delete again", "/runs/delete", lambda s: run(s)),
        post("deleted: log-metric", "/runs/log-metric", lambda s: run(s, key="m", value=1, timestamp=1)),
        post("deleted: log-parameter", "/runs/log-parameter", lambda s: run(s, key="q", value="1")),
        post("deleted: set-tag", "/runs/set-tag", lambda s: run(s, key="k", value="v")),
        post("deleted: delete-tag", "/runs/delete-tag", lambda s: run(s, key="t")),
        post("deleted: log-batch", "/runs/log-batch", lambda s: run(s, params=[{"key": "z", "value": "1"}])),
        post("deleted: update", "/runs/update", lambda s: run(s, status="FAILED")),
        post("deleted: log-model", "/runs/log-model", lambda s: run(s, model_json='{"artifact_path": "m", "flavors": {}, "utc_time_created": "t", "run_id": "x"}')),
        post("run restore", "/runs/restore", lambda s: run(s)),
        post("run delete: unknown", "/runs/delete", {"run_id": "0123456789abcdef0123456789abcdef"}),
        post("run restore: unknown", "/runs/restore", {"run_id": "0123456789abcdef0123456789abcdef"}),
    ]  # fmt: skip


def _delete(name: str, route: str, body: Any) -> Step:
    return Step(name, "DELETE", API + route, body)


def _patch(name: str, route: str, body: Any) -> Step:
    return Step(name, "PATCH", API + route, body)


def registry() -> list[Step]:
    rm, mv = "/registered-models", "/model-versions"
    source = lambda s: f"runs:/{s['run']}/model"  # noqa: E731
    return [
        post("model create", rm + "/create", {"name": "clf", "tags": [{"key": "a", "value": "b"}]}),
        post("model create: taken", rm + "/create", {"name": "clf"}),
        post("model create: no name", rm + "/create", {}),
        post("model create: name not a string", rm + "/create", {"name": 5}),
        get("model get", rm + "/get", {"name": "clf"}),
        get("model get: unknown", rm + "/get", {"name": "nope"}),
        get("model get: no name", rm + "/get", {}),
        _patch("model update", rm + "/update", {"name": "clf", "description": "d"}),
        _patch("model update: unknown", rm + "/update", {"name": "nope", "description": "d"}),
        post("model set-tag", rm + "/set-tag", {"name": "clf", "key": "k", "value": "v"}),
        post("model set-tag: no key", rm + "/set-tag", {"name": "clf", "value": "v"}),
        _delete("model delete-tag", rm + "/delete-tag", {"name": "clf", "key": "k"}),
        _delete("model delete-tag: unknown model", rm + "/delete-tag", {"name": "nope", "key": "k"}),
        post("version create", mv + "/create", lambda s: {"name": "clf", "source": source(s), "run_id": s["run"]}),
        post("version create 2", mv + "/create", lambda s: {"name": "clf", "source": source(s), "run_id": s["run"]}),
        post("version create: unknown model", mv + "/create", lambda s: {"name": "nope", "source": source(s)}),
        post("version create: no source", mv + "/create", {"name": "clf"}),
        post("version create: traversal", mv + "/create", {"name": "clf", "source": "mlflow-artifacts:/1/../../etc"}),
        post("version create: run mismatch", mv + "/create", lambda s: {"name": "clf", "source": "runs:/0123456789abcdef0123456789abcdef/model", "run_id": s["run"]}),
        get("version get", mv + "/get", {"name": "clf", "version": "1"}),
        get("version get: unknown", mv + "/get", {"name": "clf", "version": "99"}),
        get("version get: no version", mv + "/get", {"name": "clf"}),
        _patch("version update", mv + "/update", {"name": "clf", "version": "1", "description": "x"}),
        post("version set-tag", mv + "/set-tag", {"name": "clf", "version": "1", "key": "k", "value": "v"}),
        _delete("version delete-tag", mv + "/delete-tag", {"name": "clf", "version": "1", "key": "k"}),
        post("version transition", mv + "/transition-stage", {"name": "clf", "version": "1", "stage": "Staging", "archive_existing_versions": False}),
        post("version transition: bad stage", mv + "/transition-stage", {"name": "clf", "version": "1", "stage": "Nope", "archive_existing_versions": False}),
        get("version download uri", mv + "/get-download-uri", {"name": "clf", "version": "1"}),
        get("version search", mv + "/search", {"filter": "name = 'clf'"}),
        get("version search: max_results too big", mv + "/search", {"max_results": "200001"}),
        post("alias set", rm + "/alias", {"name": "clf", "alias": "champ", "version": "1"}),
        post("alias set: unknown version", rm + "/alias", {"name": "clf", "alias": "champ", "version": "9"}),
        get("alias get", rm + "/alias", {"name": "clf", "alias": "champ"}),
        get("alias get: unknown", rm + "/alias", {"name": "clf", "alias": "nope"}),
        _delete("alias delete", rm + "/alias", {"name": "clf", "alias": "champ"}),
        get("model search", rm + "/search", {"filter": "name LIKE 'c%'"}),
        get("model search: max_results too big", rm + "/search", {"max_results": "1001"}),
        post("latest versions", rm + "/get-latest-versions", {"name": "clf", "stages": ["Staging"]}),
        post("model rename", rm + "/rename", {"name": "clf", "new_name": "clf2"}),
        post("model rename: unknown", rm + "/rename", {"name": "nope", "new_name": "x"}),
        _delete("version delete", mv + "/delete", {"name": "clf2", "version": "2"}),
        _delete("model delete", rm + "/delete", {"name": "clf2"}),
        _delete("model delete: unknown", rm + "/delete", {"name": "clf2"}),
    ]  # fmt: skip


def logged_models() -> list[Step]:
    lm = "/logged-models"
    url = lambda tail="": lambda s: f"{API}{lm}/{s['model']}{tail}"  # noqa: E731
    return [
        post("logged create", lm, lambda s: {"experiment_id": s["exp"], "name": "lm", "source_run_id": s["run"], "params": [{"key": "a", "value": "1"}]}, _keep("model", "model", "info", "model_id")),
        post("logged create: unknown source run", lm, lambda s: {"experiment_id": s["exp"], "name": "lm2", "source_run_id": "0123456789abcdef0123456789abcdef"}, _keep("model2", "model", "info", "model_id")),
        post("logged create: no experiment", lm, {"name": "x"}),
        Step("logged get", "GET", url()),
        Step("logged get: unknown", "GET", f"{API}{lm}/m-0123456789abcdef0123456789abcdef"),
        Step("logged set tags", "PATCH", url("/tags"), {"tags": [{"key": "k", "value": "v"}]}),
        Step("logged delete tag", "DELETE", url("/tags/k")),
        Step("logged params", "POST", url("/params"), lambda s: {"model_id": s["model"], "params": [{"key": "b", "value": "2"}]}),
        Step("logged finalize", "PATCH", url(), lambda s: {"model_id": s["model"], "status": "LOGGED_MODEL_READY"}),
        post("logged search", lm + "/search", lambda s: {"experiment_ids": [s["exp"]], "filter": "name = 'lm'"}),
        post("logged search: datasets", lm + "/search", lambda s: {"experiment_ids": [s["exp"]], "datasets": [{"dataset_name": "nope"}]}),
        post("logged log-metric with model_id", "/runs/log-metric", lambda s: {"run_id": s["run"], "key": "lm_acc", "value": 0.5, "timestamp": 5, "step": 1, "model_id": s["model"]}),
        post("logged log-batch with model_id", "/runs/log-batch", lambda s: {"run_id": s["run"], "metrics": [{"key": "lm_acc", "value": 0.75, "timestamp": 6, "step": 2, "model_id": s["model"], "dataset_name": "eval", "dataset_digest": "e1"}]}),
        Step("logged get with metrics", "GET", url()),
        post("logged search: on eval", lm + "/search", lambda s: {"experiment_ids": [s["exp"]], "datasets": [{"dataset_name": "eval", "dataset_digest": "e1"}]}),
        post("logged search: metric on eval", lm + "/search", lambda s: {"experiment_ids": [s["exp"]], "filter": "metrics.lm_acc > 0.6", "datasets": [{"dataset_name": "eval"}]}),
        post("logged search: order by metric", lm + "/search", lambda s: {"experiment_ids": [s["exp"]], "order_by": [{"field_name": "metrics.lm_acc", "ascending": False, "dataset_name": "eval"}]}),
        post("logged search: dataset without name", lm + "/search", lambda s: {"experiment_ids": [s["exp"]], "datasets": [{"dataset_digest": "e1"}]}),
        Step("logged artifact upload", "PUT", lambda s: f"{ARTIFACTS}/{s['exp']}/models/{s['model']}/artifacts/sub/m.txt", raw=b"model"),
        Step("logged artifacts list", "GET", url("/artifacts/directories")),
        Step("logged artifacts list: folder", "GET", url("/artifacts/directories"), {"artifact_directory_path": "sub"}),
        Step("logged artifacts list: traversal", "GET", url("/artifacts/directories"), {"artifact_directory_path": "../x"}),
        Step("logged artifacts list: unknown", "GET", f"{API}{lm}/m-0123456789abcdef0123456789abcdef/artifacts/directories"),
        Step("logged delete", "DELETE", url()),
        Step("logged get deleted", "GET", url()),
    ]  # fmt: skip


def artifacts() -> list[Step]:
    base = lambda s: f"{ARTIFACTS}/{s['exp']}/{s['run']}/artifacts"  # noqa: E731
    return [
        Step("artifact upload", "PUT", lambda s: base(s) + "/d/a.txt", raw=b"hello"),
        Step("artifact download", "GET", lambda s: base(s) + "/d/a.txt"),
        Step("artifact download: missing", "GET", lambda s: base(s) + "/d/none.txt"),
        Step("artifact listing", "GET", ARTIFACTS, lambda s: {"path": f"{s['exp']}/{s['run']}/artifacts"}),
        Step("artifact listing: dot", "GET", ARTIFACTS, lambda s: {"path": f"{s['exp']}/{s['run']}/artifacts/."}),
        Step("artifact listing: traversal", "GET", ARTIFACTS, {"path": "../x"}),
        Step("artifact download: traversal", "GET", ARTIFACTS + "/%2E%2E/x"),
        get("run artifacts list", "/artifacts/list", lambda s: {"run_id": s["run"]}),
        get("run artifacts list: dot", "/artifacts/list", lambda s: {"run_id": s["run"], "path": "d/."}),
        get("run artifacts list: unknown run", "/artifacts/list", {"run_id": "0123456789abcdef0123456789abcdef"}),
        Step("artifact delete", "DELETE", lambda s: base(s) + "/d/a.txt"),
        Step("server info", "GET", "/api/3.0/mlflow/server-info"),
    ]  # fmt: skip


#: Every route that takes a JSON body, sent ``{}``: which required field is named first shows
#: whether we validate in MLflow's order.
EMPTY_BODIES = [
    ("POST", "/experiments/create"), ("POST", "/experiments/delete"), ("POST", "/experiments/restore"),
    ("POST", "/experiments/update"), ("POST", "/experiments/set-experiment-tag"),
    ("POST", "/experiments/delete-experiment-tag"), ("POST", "/runs/create"), ("POST", "/runs/update"),
    ("POST", "/runs/delete"), ("POST", "/runs/restore"), ("POST", "/runs/log-metric"),
    ("POST", "/runs/log-parameter"), ("POST", "/runs/set-tag"), ("POST", "/runs/delete-tag"),
    ("POST", "/runs/log-batch"), ("POST", "/runs/log-model"), ("POST", "/runs/log-inputs"),
    ("POST", "/runs/outputs"), ("POST", "/registered-models/create"), ("POST", "/registered-models/rename"),
    ("PATCH", "/registered-models/update"), ("DELETE", "/registered-models/delete"),
    ("POST", "/registered-models/set-tag"), ("DELETE", "/registered-models/delete-tag"),
    ("POST", "/registered-models/alias"), ("DELETE", "/registered-models/alias"),
    ("POST", "/registered-models/get-latest-versions"), ("POST", "/model-versions/create"),
    ("PATCH", "/model-versions/update"), ("POST", "/model-versions/transition-stage"),
    ("DELETE", "/model-versions/delete"), ("POST", "/model-versions/set-tag"),
    ("DELETE", "/model-versions/delete-tag"), ("POST", "/logged-models"), ("POST", "/logged-models/search"),
]  # fmt: skip
EMPTY_QUERIES = [
    "/experiments/get", "/experiments/get-by-name", "/runs/get", "/metrics/get-history",
    "/artifacts/list", "/metrics/get-history-bulk-interval", "/registered-models/get", "/registered-models/alias", "/model-versions/get",
    "/model-versions/get-download-uri",
]  # fmt: skip


def empty_requests() -> list[Step]:
    """Each route once with nothing in it."""
    steps = [Step(f"{m} {r}: empty", m, API + r, {}) for m, r in EMPTY_BODIES]
    return steps + [get(f"GET {r}: empty", r, {}) for r in EMPTY_QUERIES]


def all_steps() -> list[Step]:
    """Every step, in the order they are sent."""
    return [
        *empty_requests(), *experiments(), *runs(), *registry(), *logged_models(), *artifacts(),
        *deleted_runs(),
    ]  # fmt: skip
