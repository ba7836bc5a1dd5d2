"""search_runs and search_runs_frame, identical on every backend."""

from __future__ import annotations

import math

import pytest
from contract_helpers import make_run

from jupyter_mltrack.errors import InvalidParameterError


@pytest.fixture
def populated(store):
    """Five runs with params, metrics and tags chosen to separate every comparator."""
    exp_id = store.create_experiment("search")
    specs = [
        ("r0", {"model": "rf", "depth": "3"}, {"acc": 0.70, "loss": 0.5}, {"team": "alpha"}),
        ("r1", {"model": "rf", "depth": "5"}, {"acc": 0.90}, {"team": "Alpha"}),
        ("r2", {"model": "svm"}, {"acc": 0.95, "loss": 0.1}, {"team": "beta"}),
        ("r3", {"model": "RF"}, {"acc": math.nan}, {"team": "a b"}),
        ("r4", {"model": "knn"}, {"acc": math.inf}, {}),
    ]
    ids = {}
    for i, (name, params, metrics, tags) in enumerate(specs):
        run = make_run(
            store, exp_id, name=name, params=params, metrics=metrics, tags=tags, start_time=1000 + i
        )
        ids[name] = run.info.run_id
    return store, exp_id, ids


def _names(runs) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.info.run_name for r in runs]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("", ["r4", "r3", "r2", "r1", "r0"]),
        ("metrics.acc > 0.8", ["r4", "r2", "r1"]),
        ("metrics.acc >= 0.9 and metrics.acc < 1", ["r2", "r1"]),
        ("metrics.loss <= 0.1", ["r2"]),
        ("metrics.acc != 0.7", ["r4", "r3", "r2", "r1"]),
        ("params.model = 'rf'", ["r1", "r0"]),
        ("params.model != 'rf'", ["r4", "r3", "r2"]),
        ("params.model LIKE 'r%'", ["r1", "r0"]),
        ("params.model ILIKE 'r%'", ["r3", "r1", "r0"]),
        ("params.model IN ('svm', 'knn')", ["r4", "r2"]),
        ("params.model NOT IN ('svm', 'knn')", ["r3", "r1", "r0"]),
        ("params.depth = '5' and params.model = 'rf'", ["r1"]),
        ("tags.team LIKE 'a%'", ["r3", "r0"]),
        ("tags.team ILIKE 'a%'", ["r3", "r1", "r0"]),
        ("tags.`team` = 'a b'", ["r3"]),
        ("attributes.run_name = 'r2'", ["r2"]),
        ("attributes.run_name ILIKE 'R%'", ["r4", "r3", "r2", "r1", "r0"]),
        ("attributes.status IN ('RUNNING')", ["r4", "r3", "r2", "r1", "r0"]),
        ("attributes.status = 'FINISHED'", []),
        ("attributes.start_time > 1002", ["r4", "r3"]),
    ],
)
def test_search_filters(populated, filter_string, expected):
    store, exp_id, _ = populated
    assert _names(store.search_runs([exp_id], filter_string)) == expected


def test_order_by_metric_puts_missing_last(populated):
    store, exp_id, _ = populated
    desc = _names(store.search_runs([exp_id], order_by=["metrics.loss DESC"]))
    assert desc[:2] == ["r0", "r2"]
    asc = _names(store.search_runs([exp_id], order_by=["metrics.loss ASC"]))
    assert asc[:2] == ["r2", "r0"]
    assert set(desc[2:]) == set(asc[2:]) == {"r1", "r3", "r4"}


def test_order_by_several_keys(populated):
    store, exp_id, _ = populated
    runs = store.search_runs([exp_id], order_by=["params.model", "attributes.start_time DESC"])
    assert _names(runs) == ["r3", "r4", "r1", "r0", "r2"]


def test_order_by_acc_with_non_finite_values(populated):
    store, exp_id, _ = populated
    assert _names(store.search_runs([exp_id], order_by=["metrics.acc DESC"])) == [
        "r3",
        "r4",
        "r2",
        "r1",
        "r0",
    ]


def test_page_tokens_walk_every_run_once(populated):
    store, exp_id, _ = populated
    seen, token = [], None
    while True:
        page = store.search_runs(
            [exp_id], max_results=2, page_token=token, order_by=["attributes.run_name"]
        )
        seen += _names(page)
        token = page.token
        if token is None:
            break
    assert seen == ["r0", "r1", "r2", "r3", "r4"]


def test_search_spans_experiments_and_returns_data(populated):
    store, exp_id, _ = populated
    other = store.create_experiment("other")
    make_run(store, other, name="o1", metrics={"acc": 0.99})
    runs = store.search_runs([exp_id, other], "metrics.acc > 0.96 and metrics.acc < 2")
    assert _names(runs) == ["o1"]
    r0 = store.search_runs([exp_id], "attributes.run_name = 'r0'")[0]
    assert r0.data.params == {"model": "rf", "depth": "3"}
    assert r0.data.metrics == {"acc": 0.70, "loss": 0.5}
    assert r0.data.tags["team"] == "alpha"


def test_search_frame_columns_and_values(populated):
    store, exp_id, ids = populated
    frame = store.search_runs_frame([exp_id], "params.model = 'rf'", order_by=["metrics.acc DESC"])
    assert list(frame.columns[:7]) == [
        "run_id",
        "experiment_id",
        "status",
        "artifact_uri",
        "start_time",
        "end_time",
        "run_name",
    ]
    assert {"metrics.acc", "metrics.loss", "params.model", "params.depth", "tags.team"} <= set(
        frame.columns
    )
    assert list(frame["run_name"]) == ["r1", "r0"]
    assert list(frame["run_id"]) == [ids["r1"], ids["r0"]]
    assert frame["metrics.acc"].tolist() == [0.9, 0.7]
    assert math.isnan(frame["metrics.loss"].iloc[0])
    assert frame["start_time"].iloc[0].value // 1_000_000 == 1001


def test_search_frame_of_nothing_has_the_base_columns(populated):
    store, exp_id, _ = populated
    frame = store.search_runs_frame([exp_id], "params.model = 'none'")
    assert len(frame) == 0
    assert list(frame.columns) == [
        "run_id",
        "experiment_id",
        "status",
        "artifact_uri",
        "start_time",
        "end_time",
        "run_name",
    ]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("metrics.acc >", "column"),
        ("metrics.acc ~ 1", "comparator"),
        ("params.model = 'rf' or params.model = 'x'", "only AND"),
        ("metrics.acc = 'high'", "number"),
        ("nonsense.x = '1'", "nonsense"),
    ],
)
def test_bad_filters_raise_invalid_parameter(populated, bad, message):
    store, exp_id, _ = populated
    with pytest.raises(InvalidParameterError, match=message):
        store.search_runs([exp_id], bad)
