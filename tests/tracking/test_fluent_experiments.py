"""Fluent experiments, tracking URI resolution and search_runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import jupyter_mltrack as mlt
from jupyter_mltrack import Run, TrackingClient, ViewType
from jupyter_mltrack.entities import LifecycleStage
from jupyter_mltrack.errors import (
    AlreadyExistsError,
    ExperimentNotFound,
    InvalidParameterError,
    InvalidStateError,
)
from jupyter_mltrack.tracking import fluent, uri
from jupyter_mltrack.tracking.uri import normalize_tracking_uri


@pytest.fixture(autouse=True)
def tracking_uri(tmp_path: Path) -> Iterator[str]:
    uri_ = f"sqlite:///{tmp_path}/t.db"
    mlt.set_tracking_uri(uri_)
    yield uri_
    fluent._reset()


# -- tracking URI -----------------------------------------------------------------------------
def test_default_uri_is_mltrack_folder_in_cwd_created_by_store_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri._reset()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert mlt.get_tracking_uri() == f"sqlite:///{work}/mltrack/mltrack.db"
    assert not (work / "mltrack").exists()
    monkeypatch.chdir(tmp_path)  # resolved once, at first use
    assert mlt.get_tracking_uri() == f"sqlite:///{work}/mltrack/mltrack.db"
    with mlt.start_run():
        mlt.log_metric("m", 1.0)
    assert (work / "mltrack" / "mltrack.db").is_file()


def test_env_uri_beats_default_and_explicit_beats_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri._reset()
    monkeypatch.setenv("MLTRACK_TRACKING_URI", str(tmp_path / "envdir"))
    assert mlt.get_tracking_uri() == f"sqlite:///{tmp_path}/envdir/mltrack.db"
    mlt.set_tracking_uri("sqlite:////abs/x.db")
    assert mlt.get_tracking_uri() == "sqlite:////abs/x.db"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/data/runs.db", "sqlite:////data/runs.db"),
        ("/data/store", "sqlite:////data/store/mltrack.db"),
        ("/data/x.sqlite", "sqlite:////data/x.sqlite"),
        ("file:///data/store", "sqlite:////data/store/mltrack.db"),
        ("sqlite:////abs.db", "sqlite:////abs.db"),
        ("sqlite://", "sqlite://"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        ("http://localhost:5000", "http://localhost:5000"),
    ],
)
def test_normalize_tracking_uri(given: str, expected: str) -> None:
    assert normalize_tracking_uri(given) == expected


def test_relative_paths_become_absolute(tmp_path: Path) -> None:
    assert normalize_tracking_uri("rel.db") == f"sqlite:///{tmp_path}/rel.db"
    assert normalize_tracking_uri("sqlite:///rel.db?timeout=5") == (
        f"sqlite:///{tmp_path}/rel.db?timeout=5"
    )
    assert normalize_tracking_uri(tmp_path / "d") == f"sqlite:///{tmp_path}/d/mltrack.db"


@pytest.mark.parametrize("uri", ["  ", None, 5])
def test_empty_or_non_text_uri_is_refused(uri: object) -> None:
    with pytest.raises(InvalidParameterError, match="non-empty"):
        mlt.set_tracking_uri(uri)  # type: ignore[arg-type]


def test_runs_go_to_the_uri_set_at_start(tmp_path: Path) -> None:
    with mlt.start_run() as run:
        mlt.set_tracking_uri(tmp_path / "other.db")
        mlt.log_metric("m", 1.0)
    assert TrackingClient(f"sqlite:///{tmp_path}/t.db").get_run(run.run_id).data.metrics
    assert mlt.search_runs().empty  # the new URI's Default experiment has no runs


# -- experiments ------------------------------------------------------------------------------
def test_create_get_search_delete_restore_experiment() -> None:
    exp_id = mlt.create_experiment("churn", tags={"team": "growth"})
    exp = mlt.get_experiment(exp_id)
    assert (exp.name, dict(exp.tags)) == ("churn", {"team": "growth"})
    assert mlt.get_experiment_by_name("churn") == exp
    assert mlt.get_experiment_by_name("nope") is None
    with pytest.raises(AlreadyExistsError):
        mlt.create_experiment("churn")
    names = [e.name for e in mlt.search_experiments(order_by=["name"])]
    assert names == ["Default", "churn"]
    mlt.delete_experiment(exp_id)
    assert [e.name for e in mlt.search_experiments()] == ["Default"]
    deleted = mlt.search_experiments(view_type=ViewType.DELETED_ONLY)
    assert [e.name for e in deleted] == ["churn"]
    mlt.restore_experiment(exp_id)
    assert mlt.get_experiment(exp_id).lifecycle_stage is LifecycleStage.ACTIVE
    with pytest.raises(ExperimentNotFound):
        mlt.get_experiment("999")


def test_set_experiment_creates_and_routes_new_runs() -> None:
    exp = mlt.set_experiment("vision")
    assert mlt.get_experiment_by_name("vision") == exp
    assert mlt.set_experiment("vision").experiment_id == exp.experiment_id  # no duplicate
    with mlt.start_run() as run:
        pass
    assert run.experiment_id == exp.experiment_id
    assert mlt.set_experiment(experiment_id="0").name == "Default"


def test_set_experiment_refuses_deleted_and_says_how_to_restore() -> None:
    exp_id = mlt.create_experiment("old")
    mlt.delete_experiment(exp_id)
    with pytest.raises(InvalidStateError, match=f"restore_experiment\\('{exp_id}'\\)"):
        mlt.set_experiment("old")
    with pytest.raises(InvalidParameterError, match="exactly one"):
        mlt.set_experiment()


def test_env_experiment_name_and_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLTRACK_EXPERIMENT_NAME", "from-env")
    with mlt.start_run() as run:
        pass
    assert mlt.get_experiment(run.experiment_id).name == "from-env"
    other = mlt.create_experiment("by-id")
    monkeypatch.setenv("MLTRACK_EXPERIMENT_ID", other)
    with mlt.start_run() as run2:
        pass
    assert run2.experiment_id == other


# -- search_runs ------------------------------------------------------------------------------
def make_runs() -> list[str]:
    ids = []
    for i, model in enumerate(["rf", "svm", "rf"]):
        with mlt.start_run(run_name=f"r{i}", tags={"team": "a"}) as run:
            mlt.log_param("model", model)
            mlt.log_metric("acc", 0.5 + i / 10)
        ids.append(run.run_id)
    return ids


def test_search_runs_dataframe_columns_and_values() -> None:
    ids = make_runs()
    df = mlt.search_runs()
    fixed = ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]
    assert list(df.columns[:7]) == [*fixed, "run_name"]
    assert {"metrics.acc", "params.model", "tags.team", "tags.mltrack.runName"} <= set(df.columns)
    assert set(df["run_id"]) == set(ids)
    assert set(df["status"]) == {"FINISHED"}
    row = df.set_index("run_id").loc[ids[1]]
    assert (row["params.model"], row["metrics.acc"], row["run_name"]) == ("svm", 0.6, "r1")


def test_search_runs_filter_order_and_list_output() -> None:
    ids = make_runs()
    df = mlt.search_runs(filter_string="params.model = 'rf'", order_by=["metrics.acc DESC"])
    assert list(df["run_id"]) == [ids[2], ids[0]]
    runs = mlt.search_runs(output_format="list", max_results=2, order_by=["metrics.acc"])
    assert all(isinstance(r, Run) for r in runs)
    assert [r.info.run_id for r in runs] == ids[:2]
    with pytest.raises(InvalidParameterError, match="output_format"):
        mlt.search_runs(output_format="csv")  # type: ignore[call-overload]


def test_search_runs_sees_metrics_logged_a_moment_ago() -> None:
    with mlt.start_run() as run:
        mlt.log_metric("live", 1.5)
        df = mlt.search_runs()
        assert df.set_index("run_id").loc[run.run_id, "metrics.live"] == 1.5


def test_search_runs_by_experiment_names_and_deleted_view() -> None:
    make_runs()
    exp = mlt.set_experiment("second")
    with mlt.start_run() as run:
        pass
    assert list(mlt.search_runs()["run_id"]) == [run.run_id]  # default: current experiment
    both = mlt.search_runs(experiment_names=["Default", "second", "missing"])
    assert len(both) == 4
    assert len(mlt.search_runs([exp.experiment_id, "0"])) == 4
    TrackingClient().delete_run(run.run_id)
    assert mlt.search_runs().empty
    deleted = mlt.search_runs(run_view_type="DELETED_ONLY")
    assert list(deleted["run_id"]) == [run.run_id]
