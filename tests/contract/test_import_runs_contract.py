"""import_runs: whole runs stored at once read back exactly like runs logged call by call.

SQL stores insert them in one transaction with a few statements for all runs (the scale
benchmarks build 10^6-run stores this way); the REST store uses the default, run by run. Either
way a run's info, data, metric history, searches (metric filter and order on the read model),
counts and lifecycle behave as for a run made with create_run + log_batch.
"""

from __future__ import annotations

import math

import pytest

from jupyter_mltrack.entities import Metric, Run, RunData, RunInfo, RunStatus
from jupyter_mltrack.errors import ExperimentNotFound, InvalidStateError, MltrackError
from jupyter_mltrack.store.base import TrackingStore

START = 1_700_000_000_000


def _run(index: int, experiment_id: str, **metrics: float) -> Run:
    info = RunInfo(
        run_id=f"{index:032x}",
        experiment_id=experiment_id,
        run_name=f"run-{index}",
        user_id="bench",
        status=RunStatus.FINISHED,
        start_time=START + index,
        end_time=START + index + 5,
        artifact_uri="",
    )
    data = RunData(metrics=metrics, params={"p": str(index % 2)}, tags={"team": "a"})
    return Run(info=info, data=data)


def test_imported_runs_read_back_like_logged_ones(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("imported")
    runs = [_run(i, experiment_id, acc=i / 10, loss=1 - i / 10) for i in range(6)]
    runs.append(_run(6, experiment_id, acc=math.nan))
    runs.append(_run(7, experiment_id, acc=math.inf, loss=-math.inf))
    runs.append(_run(8, experiment_id))  # no metrics at all
    ids = store.import_runs(runs)
    # SQL stores keep the ids; a tracking server chooses its own (returned in order).
    assert len(ids) == len(runs) and (store.uri.startswith("http") or ids[0] == runs[0].info.run_id)

    got = store.get_run(ids[3])
    assert got.info.status is RunStatus.FINISHED
    assert (got.info.start_time, got.info.end_time) == (START + 3, START + 8)
    assert got.info.artifact_uri.endswith(f"{ids[3]}/artifacts")
    assert got.data.metrics == {"acc": 0.3, "loss": 0.7}
    assert got.data.params == {"p": "1"}
    assert got.data.tags["team"] == "a" and got.data.tags["mltrack.runName"] == "run-3"
    history = store.get_metric_history(ids[7], "loss")
    assert [(m.value, m.step, m.timestamp) for m in history] == [(-math.inf, 0, START + 7)]
    assert math.isnan(store.get_run(ids[6]).data.metrics["acc"])

    ordered = store.search_runs([experiment_id], "metrics.acc >= 0.2", order_by=["metrics.acc"])
    assert [r.info.run_name for r in ordered] == ["run-2", "run-3", "run-4", "run-5", "run-7"]
    descending = store.search_runs([experiment_id], "", order_by=["metrics.acc DESC"])
    names = [r.info.run_name for r in descending]
    assert names[:3] == ["run-6", "run-7", "run-5"] and names[-1] == "run-8"  # NaN first
    assert store.count_runs([experiment_id], "metrics.acc > 0.25") == 4
    store.delete_run(ids[5])
    assert store.count_runs([experiment_id], "metrics.acc > 0.25") == 3


def test_imported_runs_keep_logging(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("imported-then-logged")
    (run_id,) = store.import_runs([_run(1, experiment_id, acc=0.5)])
    store.log_batch(run_id, metrics=[Metric(key="acc", value=0.9, timestamp=START, step=1)])
    assert store.get_run(run_id).data.metrics == {"acc": 0.9}
    assert [m.value for m in store.get_metric_history(run_id, "acc")] == [0.5, 0.9]


def test_import_into_missing_or_deleted_experiment_fails(store: TrackingStore) -> None:
    with pytest.raises(ExperimentNotFound):
        store.import_runs([_run(1, "424242", acc=1.0)])
    experiment_id = store.create_experiment("gone")
    store.delete_experiment(experiment_id)
    with pytest.raises((InvalidStateError, MltrackError)):
        store.import_runs([_run(2, experiment_id, acc=1.0)])
