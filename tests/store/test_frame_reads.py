"""search_runs_frame's columnar reads give exactly the DataFrame the Run entities give.

The frame path reads params and tags one aggregated row per run on SQLite (keys and values
joined by a unit separator), names the runs by IN lists (a few), one bound value (a JSON array
on SQLite, an array or a joined text on PostgreSQL) or reads whole tables when the runs are most
of the store, and reads a whole result with one sorted statement instead of the paged split.
Each variant must give the frame that ``runs_to_frame`` builds from ``search_runs``: values
with the separator itself, empty strings, NaN, +/-inf, the float extremes, missing keys and
deleted runs included.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import pandas as pd
import pytest

from jupyter_mltrack.entities import Run, RunData, RunInfo, RunStatus, ViewType
from jupyter_mltrack.store.frames import runs_to_frame
from jupyter_mltrack.store.sql import frame_reads
from jupyter_mltrack.store.sql.store import SqlStore

FLOATS = [0.5, math.nan, math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308, 0.1 + 0.2]
ODD_TEXTS = ["a\x1fb", "", "\x1f", "x\x1f\x1fy", "ünïcode ✓", " trailing "]
SEARCHES = [
    ("", None),
    ("metrics.m0 > 0", ["metrics.m1 DESC"]),
    ("params.p0 != 'nope'", ["metrics.m0", "params.p1 DESC"]),
    ("attributes.start_time >= 0", ["metrics.missing"]),
]


def _run(index: int, experiment_id: str) -> Run:
    metrics = {"m0": FLOATS[index % len(FLOATS)], "m1": float(index) / 7}
    if index % 5 == 0:
        del metrics["m1"]  # missing keys: NaN in the frame
    params = {"p0": ODD_TEXTS[index % len(ODD_TEXTS)], "p1": f"v{index % 3}"}
    tags = {"t0": ODD_TEXTS[(index + 1) % len(ODD_TEXTS)]} if index % 2 else {"t1": "only-odd"}
    info = RunInfo(
        run_id=f"{index:032x}",
        experiment_id=experiment_id,
        run_name=f"run-{index}",
        user_id="u",
        status=RunStatus.FINISHED,
        start_time=1000 + index,
        end_time=None if index % 3 else 2000 + index,
        artifact_uri="",
    )
    return Run(info=info, data=RunData(metrics=metrics, params=params, tags=tags))


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path, server_database_uri) -> Iterator[SqlStore]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp_path / 'frames.db'}"
    else:
        uri = server_database_uri("postgres")
    made = SqlStore(uri, default_artifact_root=str(tmp_path / "artifacts"))
    yield made
    made.close()


def _entity_frame(store: SqlStore, ids: list[str], filter_string: str, order, view):  # type: ignore[no-untyped-def]
    runs: list[Run] = []
    token = None
    while True:
        page = store.search_runs(ids, filter_string, view, 7, order, token)  # small pages: split
        runs.extend(page)
        token = page.token
        if not token:
            return runs_to_frame(runs)


@pytest.mark.parametrize("small_thresholds", [False, True])
def test_frame_reads_match_the_entities(
    store: SqlStore, small_thresholds: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if small_thresholds:  # every way of naming the runs, with a few runs each
        monkeypatch.setattr(frame_reads, "_FEW", 2)
        monkeypatch.setattr(frame_reads, "_PG_SPLIT_FROM", 3)
    big, small = store.create_experiment("big"), store.create_experiment("small")
    big_ids = store.import_runs([_run(i, big) for i in range(40)])
    store.import_runs([_run(i, small) for i in range(40, 44)])
    store.delete_run(big_ids[3])
    # "big" holds most runs of the store (whole tables read), "small" few (runs named by id).
    for ids in ([big], [small], [big, small]):
        for view in (ViewType.ACTIVE_ONLY, ViewType.ALL):
            for filter_string, order in SEARCHES:
                frame = store.search_runs_frame(ids, filter_string, view, 1000, order)
                expected = _entity_frame(store, ids, filter_string, order, view)
                assert len(frame) > 0
                pd.testing.assert_frame_equal(frame, expected)


def test_separator_values_round_trip(store: SqlStore) -> None:
    experiment = store.create_experiment("odd")
    store.import_runs([_run(i, experiment) for i in range(12)])
    frame = store.search_runs_frame([experiment]).set_index("run_name")
    assert frame.loc["run-0", "params.p0"] == "a\x1fb"
    assert frame.loc["run-1", "params.p0"] == ""
    assert frame.loc["run-3", "params.p0"] == "x\x1f\x1fy"
    assert pd.isna(frame.loc["run-2", "tags.t0"])
    assert frame.loc["run-2", "tags.t1"] == "only-odd"
    assert frame.loc["run-1", "tags.t0"] == "\x1f"
    assert math.isnan(frame.loc["run-1", "metrics.m0"])
    assert frame.loc["run-6", "metrics.m0"] == 1.7976931348623157e308
    assert frame.loc["run-5", "metrics.m0"] == 5e-324
    assert frame.loc["run-7", "metrics.m0"] == 0.1 + 0.2
    assert math.isnan(frame.loc["run-0", "metrics.m1"])
