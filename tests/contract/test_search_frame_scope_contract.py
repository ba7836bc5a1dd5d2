"""search_runs_frame of every run (read from the read model by scope) equals the filtered path.

Without a filter the metrics of the frame are read by experiment and lifecycle stage from the
search read model instead of by a list of run ids; the frame must be exactly the one a filter
matching every run gives (NaN, +/-inf, missing keys, deleted runs, several experiments).
"""

from __future__ import annotations

import math

import pandas as pd

from jupyter_mltrack.entities import Run, RunData, RunInfo, RunStatus, ViewType
from jupyter_mltrack.store.base import TrackingStore

EVERY_RUN = "attributes.start_time >= 0"  # a filter that matches all: the run-id list path


def _run(index: int, experiment_id: str, metrics: dict[str, float]) -> Run:
    info = RunInfo(
        run_id=f"{index:032x}",
        experiment_id=experiment_id,
        run_name=f"run-{index}",
        user_id="u",
        status=RunStatus.FINISHED,
        start_time=1000 + index,
        end_time=None,
        artifact_uri="",
    )
    return Run(info=info, data=RunData(metrics=metrics, params={"p": str(index)}))


def test_unfiltered_frame_matches_the_filtered_one(store: TrackingStore) -> None:
    first, second = store.create_experiment("frame-a"), store.create_experiment("frame-b")
    values = [{"acc": 0.5, "loss": 1.0}, {"acc": math.nan}, {"loss": math.inf}, {}, {"acc": -1.0}]
    ids = store.import_runs([_run(i, first, m) for i, m in enumerate(values)])
    ids += store.import_runs([_run(10, second, {"acc": 2.0, "other": 3.0})])
    store.delete_run(ids[4])
    for experiments in ([first], [first, second]):
        for view in (ViewType.ACTIVE_ONLY, ViewType.ALL, ViewType.DELETED_ONLY):
            scoped = store.search_runs_frame(experiments, "", view)
            listed = store.search_runs_frame(experiments, EVERY_RUN, view)
            pd.testing.assert_frame_equal(scoped, listed)
    everything = store.search_runs_frame([first, second], "", ViewType.ALL)
    assert len(everything) == 6
    assert math.isnan(everything.set_index("run_id").loc[ids[1], "metrics.acc"])
    assert everything.set_index("run_id").loc[ids[2], "metrics.loss"] == math.inf
