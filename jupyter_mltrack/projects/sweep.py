"""Parameter sweeps: one parent run, one child PROJECT run per trial, on a pool or a Dask cluster.

:func:`sweep` builds the trials (grid or seeded random samples, see
:mod:`jupyter_mltrack.projects.sampling`), validates every one before any kernel starts, opens a
parent run tagged ``mltrack.sweep`` and executes each trial with
:func:`jupyter_mltrack.projects.runner.run` as its child. ``backend="local"`` uses a process
pool of ``max_parallel`` workers (:mod:`~jupyter_mltrack.projects.sweep_backends`: forked from a
fork server, each keeping its next kernel started); ``backend="dask"`` submits the trials to a
``dask.distributed`` scheduler (or a ``LocalCluster``), each worker logging to the same tracking
URI. A failing trial only fails its child; Ctrl-C marks the unfinished children and the parent
KILLED and shuts the workers (and so their kernels) down.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import jupyter_mltrack.projects.sampling as sampling
from jupyter_mltrack._types import PathLike
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.projects.sweep_backends import TRIAL_TAG, TrialJob, run_dask, run_local
from jupyter_mltrack.tracking import tags as t

if TYPE_CHECKING:
    import pandas as pd

    from jupyter_mltrack.entities import Run
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = ["SWEEP_TAG", "TRIAL_TAG", "SweepInterrupted", "sweep"]

SWEEP_TAG = "mltrack.sweep"
Backend = Literal["local", "dask"]


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a sweep: its parent run and unfinished children were marked KILLED."""

    def __init__(self, run_id: str, killed: int, finished: int) -> None:
        super().__init__(
            f"Sweep {run_id} interrupted after {finished} trial(s); "
            f"{killed} unfinished trial run(s) and the sweep run marked KILLED"
        )
        self.run_id = run_id
        self.killed = killed
        self.finished = finished


@dataclass(slots=True)
class _Progress:
    """Counts for the progress bar's postfix."""

    total: int
    parallel: int
    done: int = 0
    failed: int = 0
    bar: Any = field(default=None)

    @property
    def running(self) -> int:
        return min(self.parallel, self.total - self.done - self.failed)

    def update(self, ok: bool) -> None:
        if ok:
            self.done += 1
        else:
            self.failed += 1
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(done=self.done, running=self.running, failed=self.failed)


def sweep(
    uri: PathLike,
    entry_point: str = "main",
    grid: Mapping[str, Any] | None = None,
    random: Mapping[str, Any] | None = None,
    n_trials: int | None = None,
    seed: int | None = None,
    max_parallel: int = 2,
    backend: Backend = "local",
    scheduler: str | None = None,
    metric: str | None = None,
    mode: Literal["max", "min"] = "max",
    experiment_name: str | None = None,
    *,
    timeout: float | None = None,
    progress: bool = True,
) -> tuple[Run, pd.DataFrame]:
    """Run a sweep of a project entry point and return the parent run and the summary table.

    Args:
        uri: The project folder.
        entry_point: The entry point to execute for every trial.
        grid: ``name -> values`` (a list or a ``"a,b,c"`` string); every combination runs.
        random: ``name -> values or range`` (``"uniform(a,b)"``, ``"loguniform(a,b)"``,
            ``"choice(x,y)"``, ``"randint(a,b)"`` or a :mod:`~jupyter_mltrack.projects.sampling`
            dimension); ``n_trials`` samples are drawn.
        n_trials: How many random trials (default 10).
        seed: Seed of the random sampling; the same seed gives the same trials.
        max_parallel: Trials executing at once (pool size or LocalCluster workers).
        backend: ``"local"`` (process pool) or ``"dask"`` (``dask.distributed``).
        scheduler: A Dask scheduler address (``tcp://host:port``); default a LocalCluster.
        metric: The child metric that ranks the trials; the best is logged on the parent.
        mode: ``"max"`` or ``"min"``: whether a larger ``metric`` is better.
        experiment_name: The experiment of the parent and children (default the current one).
        timeout: Seconds per trial before its run is KILLED.
        progress: Show a ``tqdm.auto`` progress bar.

    Returns:
        The finished parent run and a DataFrame with one row per trial (``trial``, ``run_id``,
        ``status``, the parameters, the metrics), best ``metric`` first.

    Raises:
        InvalidParameterError: A bad search space or option, or a trial value the entry point
            rejects (before any kernel starts).
        SweepInterrupted: (a ``KeyboardInterrupt``) Ctrl-C stopped the sweep; its workers and
            kernels are stopped, unfinished children and the parent are KILLED.

    Example:
        >>> from jupyter_mltrack.projects import sweep
        >>> parent, table = sweep("nb", grid={"alpha": [0.1, 1]}, metric="acc")  # doctest: +SKIP
    """
    from jupyter_mltrack.projects.execution import TAG_ENTRY_POINT, TAG_PROJECT, _entry_name
    from jupyter_mltrack.projects.spec import load_project, validate_parameters
    from jupyter_mltrack.tracking.client import TrackingClient

    if mode not in ("max", "min"):
        raise InvalidParameterError(f"mode must be 'max' or 'min', got {mode!r}")
    if backend not in ("local", "dask"):
        raise InvalidParameterError(f"backend must be 'local' or 'dask', got {backend!r}")
    if max_parallel < 1:
        raise InvalidParameterError(f"max_parallel must be at least 1, got {max_parallel}")
    trials = _make_trials(grid, random, n_trials, seed)
    spec = load_project(uri)
    entry = spec.entry_point(_entry_name(spec, entry_point))
    checked = []
    for values in trials:
        typed = validate_parameters(entry, values)
        checked.append({name: typed[name] for name in values})

    client = TrackingClient()
    experiment_id = _experiment_id(client, experiment_name)
    experiment = client.get_experiment(experiment_id).name
    kind = "grid" if grid is not None else "random"
    parent = client.create_run(
        experiment_id,
        tags={
            SWEEP_TAG: kind,
            TAG_PROJECT: spec.name,
            TAG_ENTRY_POINT: entry_point,
        },
        run_name=f"sweep-{spec.name}-{entry_point}",
    )
    parent_id = parent.info.run_id
    for key, value in {
        "n_trials": len(checked),
        "max_parallel": max_parallel,
        "backend": backend,
        "metric": metric or "",
        "mode": mode,
        "seed": "" if seed is None else seed,
    }.items():
        client.log_param(parent_id, f"sweep.{key}", value)

    job = TrialJob(
        tracking_uri=client.tracking_uri,
        project=os.path.abspath(os.fspath(uri)),
        entry_point=entry.name,
        experiment=experiment,
        parent_id=parent_id,
        timeout=timeout,
        n_trials=len(checked),
        parallel=max_parallel,
    )
    results: dict[int, dict[str, Any]] = {}
    state = _Progress(total=len(checked), parallel=max_parallel)
    execute = run_dask if backend == "dask" else run_local
    try:
        with _progress_bar(state, progress):
            for result in execute(job, checked, max_parallel, scheduler):
                if not results:  # the summary needs pandas: load it while trials run
                    threading.Thread(target=_import_pandas, daemon=True).start()
                results[result["trial"]] = result
                state.update(result["status"] == "FINISHED")
    except BaseException as exc:
        killed = _kill_unfinished(client, parent_id, experiment_id, set(results))
        client.set_tag(parent_id, "mltrack.sweep.interrupted", "true")
        client.set_terminated(parent_id, "KILLED")
        if isinstance(exc, KeyboardInterrupt):
            raise SweepInterrupted(parent_id, killed, len(results)) from exc
        raise
    table = _summary(client, checked, results, metric, mode)
    _log_best(client, parent_id, table, metric, state)
    status = "FINISHED" if state.done else "FAILED"
    client.set_terminated(parent_id, status)
    return client.get_run(parent_id), table


def _import_pandas() -> None:
    import pandas  # noqa: F401


def _make_trials(
    grid: Mapping[str, Any] | None,
    random: Mapping[str, Any] | None,
    n_trials: int | None,
    seed: int | None,
) -> list[dict[str, Any]]:
    if (grid is None) == (random is None):
        raise InvalidParameterError("a sweep needs exactly one of grid= or random=")
    if grid is not None:
        if n_trials is not None:
            raise InvalidParameterError("n_trials only applies to a random sweep")
        trials = sampling.grid_trials(grid)
    else:
        assert random is not None
        trials = sampling.random_trials(random, 10 if n_trials is None else n_trials, seed)
    if not trials or not trials[0]:
        raise InvalidParameterError("a sweep needs at least one parameter with values")
    return trials


def _experiment_id(client: TrackingClient, name: str | None) -> str:
    from jupyter_mltrack.tracking.fluent_experiments import _get_or_create, current_experiment_id

    if name is None:
        return current_experiment_id(client)
    return _get_or_create(client, name).experiment_id


@contextmanager
def _progress_bar(state: _Progress, enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    from tqdm.auto import tqdm

    with tqdm(total=state.total, desc="sweep", unit="trial") as bar:
        state.bar = bar
        bar.set_postfix(done=0, running=state.running, failed=0)
        yield


def _kill_unfinished(
    client: TrackingClient, parent_id: str, experiment_id: str, done: set[int]
) -> int:
    """Mark KILLED every child whose trial did not report back; return how many."""
    children = client.search_runs(
        [experiment_id], f"tags.`{t.PARENT_RUN_ID}` = '{parent_id}'", max_results=1000
    )
    killed = 0
    for child in children:
        trial = child.data.tags.get(TRIAL_TAG)
        if trial is not None and trial.isdigit() and int(trial) in done:
            continue
        if child.info.status != "FINISHED":  # running, or failed by the interrupt itself
            if child.info.status != "KILLED":  # the worker's runner may have done it
                client.set_terminated(child.info.run_id, "KILLED")
            killed += 1
    return killed


def _summary(
    client: TrackingClient,
    trials: list[dict[str, Any]],
    results: Mapping[int, Mapping[str, Any]],
    metric: str | None,
    mode: str,
) -> pd.DataFrame:
    import pandas as pd

    rows = []
    for index, values in enumerate(trials):
        result = results.get(index, {})
        run_id = result.get("run_id")
        metrics: dict[str, float] = {}
        status = result.get("status", "KILLED")
        if run_id:
            child = client.get_run(run_id)
            metrics = dict(child.data.metrics)
            status = child.info.status
        rows.append({"trial": index, "run_id": run_id, "status": status, **values, **metrics})
    table = pd.DataFrame(rows)
    table.attrs["params"] = list(trials[0]) if trials else []
    if metric is not None:
        if metric not in table.columns:
            table[metric] = math.nan
        table = table.sort_values(
            metric, ascending=(mode == "min"), na_position="last", kind="stable"
        )
    return table.reset_index(drop=True)


def _log_best(
    client: TrackingClient,
    parent_id: str,
    table: pd.DataFrame,
    metric: str | None,
    state: _Progress,
) -> None:
    client.set_tag(parent_id, "mltrack.sweep.finished", str(state.done))
    client.set_tag(parent_id, "mltrack.sweep.failed", str(state.failed))
    client.log_text(parent_id, table.to_csv(index=False), "sweep_summary.csv")
    if metric is None or table.empty or table[metric].isna().all():
        return
    best = table.iloc[0]
    client.set_tag(parent_id, "best_run_id", best["run_id"])
    client.log_metric(parent_id, f"best_{metric}", float(best[metric]))
    for name in table.attrs.get("params", ()):
        client.log_param(parent_id, f"best_{name}", best[name])
