"""Factories shared by the contract tests."""

from __future__ import annotations

import itertools

from jupyter_mltrack.entities import Metric, Param, Run, RunTag
from jupyter_mltrack.store.base import TrackingStore

_clock = itertools.count(1_700_000_000_000, 1000)


def make_run(
    store: TrackingStore,
    experiment_id: str = "0",
    *,
    name: str = "run",
    params: dict[str, str] | None = None,
    metrics: dict[str, float] | None = None,
    tags: dict[str, str] | None = None,
    start_time: int | None = None,
) -> Run:
    """Create a run and log the given data to it in one batch."""
    run = store.create_run(
        experiment_id=experiment_id,
        user_id="tester",
        start_time=start_time if start_time is not None else next(_clock),
        tags={},
        run_name=name,
    )
    store.log_batch(
        run.info.run_id,
        metrics=[Metric(key=k, value=v, timestamp=1, step=0) for k, v in (metrics or {}).items()],
        params=[Param(key=k, value=v) for k, v in (params or {}).items()],
        tags=[RunTag(key=k, value=v) for k, v in (tags or {}).items()],
    )
    return store.get_run(run.info.run_id)
