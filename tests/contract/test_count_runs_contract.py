"""count_runs: on every backend, the number of runs search_runs would return.

SQL stores count with one SELECT COUNT(*) built by the search compiler, the REST store asks the
server's ``runs/count``; both must agree with paging through search_runs for every filter the
search language offers, every view type and several experiments at once.
"""

from __future__ import annotations

import math

import pytest
from contract_helpers import make_run

from jupyter_mltrack import TrackingClient
from jupyter_mltrack.entities import ViewType
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.store.base import TrackingStore


def _search_len(
    store: TrackingStore,
    experiment_ids: list[str],
    filter_string: str = "",
    view: ViewType = ViewType.ACTIVE_ONLY,
) -> int:
    """len() of every page of search_runs, paged 2 at a time so paging is exercised too."""
    total, token = 0, None
    while True:
        page = store.search_runs(experiment_ids, filter_string, view, 2, None, token)
        total += len(page)
        token = page.token
        if not token:
            return total


@pytest.fixture
def populated(store):
    """Two experiments: five varied runs in one (one deleted), two in the other."""
    first = store.create_experiment("count-a")
    second = store.create_experiment("count-b")
    specs = [
        ("r0", {"model": "rf"}, {"acc": 0.70, "loss": 0.5}, {"team": "alpha"}),
        ("r1", {"model": "rf"}, {"acc": 0.90}, {"team": "Alpha"}),
        ("r2", {"model": "svm"}, {"acc": 0.95, "loss": 0.1}, {"team": "beta"}),
        ("r3", {"model": "RF"}, {"acc": math.nan}, {}),
        ("r4", {"model": "knn"}, {"acc": math.inf}, {}),
    ]
    ids = {}
    for i, (name, params, metrics, tags) in enumerate(specs):
        run = make_run(
            store, first, name=name, params=params, metrics=metrics, tags=tags, start_time=10 + i
        )
        ids[name] = run.info.run_id
    for name in ("s0", "s1"):
        ids[name] = make_run(store, second, name=name, metrics={"acc": 0.5}).info.run_id
    store.delete_run(ids["r4"])
    return store, first, second


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("", 4),
        ("metrics.acc > 0.8", 2),
        ("metrics.acc != 0.7", 3),  # NaN differs from every number
        ("params.model IS NOT NULL", 4),
        ("params.model = 'rf'", 2),
        ("params.model ILIKE 'r%'", 3),
        ("params.model IN ('svm', 'knn')", 1),
        ("tags.team LIKE 'a%'", 1),
        ("tags.team IS NOT NULL", 3),
        ("attributes.run_name = 'r2'", 1),
        ("attributes.status = 'FINISHED'", 0),
    ],
)
def test_count_matches_search_for_every_filter(populated, filter_string, expected):
    store, first, _ = populated
    assert store.count_runs([first], filter_string) == expected
    assert _search_len(store, [first], filter_string) == expected


@pytest.mark.parametrize(
    ("view", "expected"),
    [(ViewType.ACTIVE_ONLY, 4), (ViewType.DELETED_ONLY, 1), (ViewType.ALL, 5)],
)
def test_view_types(populated, view, expected):
    store, first, _ = populated
    assert store.count_runs([first], "", view) == expected
    assert store.count_runs([first], run_view_type=view) == _search_len(store, [first], "", view)


def test_several_experiments_and_none(populated):
    store, first, second = populated
    assert store.count_runs([first, second]) == 6
    assert store.count_runs([second, first], "metrics.acc < 0.8") == 3  # r0, s0, s1
    assert store.count_runs([second]) == 2
    assert store.count_runs([]) == 0
    assert store.count_runs(["987654"]) == 0  # an unknown experiment has no runs


def test_count_follows_new_and_deleted_runs(store):
    experiment_id = store.create_experiment("live")
    assert store.count_runs([experiment_id]) == 0
    runs = [make_run(store, experiment_id, name=f"n{i}") for i in range(3)]
    assert store.count_runs([experiment_id]) == 3
    store.delete_run(runs[0].info.run_id)
    assert store.count_runs([experiment_id]) == 2
    store.restore_run(runs[0].info.run_id)
    assert store.count_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY) == 0


def test_bad_filters_are_refused_like_search(populated):
    store, first, _ = populated
    for bad in ("metrics.acc >", "nonsense.x = 1", "params.model = 'rf' or params.model = 'x'"):
        with pytest.raises(InvalidParameterError):
            store.search_runs([first], bad)
        with pytest.raises(InvalidParameterError):
            store.count_runs([first], bad)


def test_client_count_runs(populated):
    store, first, second = populated
    client = TrackingClient(store=store)
    assert client.count_runs(first) == 4
    assert client.count_runs([first, second], "params.model = 'rf'") == 2
    assert client.count_runs(first, run_view_type="ALL") == 5
    assert client.count_runs(first, run_view_type="DELETED_ONLY") == 1
    with pytest.raises(InvalidParameterError):
        client.count_runs(first, run_view_type="SOMETIMES")
