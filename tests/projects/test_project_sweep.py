"""Sweeps with real papermill kernels: grid, random, failures, the summary, Dask, the CLI."""

from __future__ import annotations

import math
from pathlib import Path

import nbformat
import nbformat.v4
import pytest
from click.testing import CliRunner
from sweep_helpers import make_project

from jupyter_mltrack.cli.main import main
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.projects.sampling import random_trials
from jupyter_mltrack.projects.sweep import SWEEP_TAG, TRIAL_TAG, sweep
from jupyter_mltrack.tracking import tags as t
from jupyter_mltrack.tracking.client import TrackingClient


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TrackingClient:
    uri = f"sqlite:///{tmp_path / 'mltrack.db'}"
    monkeypatch.setenv("MLTRACK_TRACKING_URI", uri)
    return TrackingClient(uri)


def children(client: TrackingClient, parent_id: str) -> list:  # type: ignore[type-arg]
    experiment = client.get_run(parent_id).info.experiment_id
    return list(client.search_runs([experiment], f"tags.`{t.PARENT_RUN_ID}` = '{parent_id}'"))


def test_bad_values_fail_before_any_run(tmp_path: Path, client: TrackingClient) -> None:
    project = make_project(tmp_path / "proj")
    with pytest.raises(InvalidParameterError, match="alpha"):
        sweep(project, grid={"alpha": ["0.1", "lots"]}, progress=False)
    assert client.search_runs(["0"]) == []


@pytest.mark.kernel
@pytest.mark.slow
def test_grid_sweep_isolates_failures_and_logs_the_best(
    tmp_path: Path, client: TrackingClient
) -> None:
    project = make_project(tmp_path / "proj")
    parent, table = sweep(
        project,
        grid={"alpha": [0.1, 0.3, -1.0], "l1_ratio": [0.0, 0.5]},
        metric="score",
        max_parallel=2,
        experiment_name="sweeps",
        progress=False,
    )
    runs = children(client, parent.info.run_id)
    assert len(runs) == 6 and len(table) == 6
    statuses = sorted(r.info.status for r in runs)
    assert statuses == ["FAILED"] * 2 + ["FINISHED"] * 4
    for run in runs:
        assert run.data.tags[TRIAL_TAG].isdigit()
        failed = float(run.data.params["alpha"]) < 0
        assert (run.info.status == "FAILED") == failed
    assert parent.info.status == "FINISHED"
    assert parent.data.tags[SWEEP_TAG] == "grid"
    assert list(table["status"]) == ["FINISHED"] * 4 + ["FAILED"] * 2
    scores = list(table["score"][:4])
    assert scores == sorted(scores, reverse=True)
    assert all(math.isnan(s) for s in table["score"][4:])
    best = table.iloc[0]
    assert (best["alpha"], best["l1_ratio"]) == (0.3, 0.0)
    assert parent.data.tags["best_run_id"] == best["run_id"]
    assert parent.data.params["best_alpha"] == "0.3"
    assert parent.data.params["best_l1_ratio"] == "0.0"
    assert parent.data.metrics["best_score"] == pytest.approx(0.0)
    assert parent.data.tags["mltrack.sweep.failed"] == "2"


@pytest.mark.kernel
@pytest.mark.slow
def test_random_sweep_from_the_cli_is_reproducible(tmp_path: Path, client: TrackingClient) -> None:
    project = make_project(tmp_path / "proj")
    args = ["sweep", str(project), "-P", "alpha=uniform(0, 1)", "-P", "l1_ratio=0.1,0.2"]
    result = CliRunner().invoke(
        main, [*args, "--random", "3", "--seed", "7", "--metric", "score", "--mode", "min"]
    )
    assert result.exit_code == 0, result.output
    parent_id = client.search_runs(["0"], f"tags.`{SWEEP_TAG}` = 'random'")[0].info.run_id
    assert f"Sweep run {parent_id} (FINISHED)" in result.output
    runs = children(client, parent_id)
    assert len(runs) == 3
    expected = random_trials({"alpha": "uniform(0, 1)", "l1_ratio": "0.1,0.2"}, 3, seed=7)
    got = {int(r.data.tags[TRIAL_TAG]): r.data.params for r in runs}
    for index, values in enumerate(expected):
        assert float(got[index]["alpha"]) == pytest.approx(values["alpha"])
        assert float(got[index]["l1_ratio"]) == float(values["l1_ratio"])
    worst = min(runs, key=lambda r: r.data.metrics["score"])  # mode min: lowest is best
    assert client.get_run(parent_id).data.tags["best_run_id"] == worst.info.run_id


@pytest.mark.kernel
@pytest.mark.slow
def test_dask_local_cluster_sweep(tmp_path: Path, client: TrackingClient) -> None:
    pytest.importorskip("distributed")
    project = make_project(tmp_path / "proj")
    parent, table = sweep(
        project,
        grid={"alpha": [0.2, 0.4], "fail": [False, True]},
        backend="dask",
        max_parallel=2,
        metric="score",
        progress=False,
    )
    runs = children(client, parent.info.run_id)
    assert sorted(r.info.status for r in runs) == ["FAILED", "FAILED", "FINISHED", "FINISHED"]
    assert parent.info.status == "FINISHED"
    assert parent.data.params["sweep.backend"] == "dask"
    assert table.iloc[0]["status"] == "FINISHED" and not math.isnan(table.iloc[0]["score"])


ENV_BODY = """\
import os
import jupyter_mltrack as mlt
mlt.set_tag("seen", os.environ.get("MLTRACK_TEST_MARK", "unset"))
"""


@pytest.mark.kernel
@pytest.mark.slow
def test_workers_take_the_callers_environment_of_each_sweep(
    tmp_path: Path, client: TrackingClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Workers are forked from a fork server started by the first sweep of this process; a
    # variable set after that must still reach the next sweep's kernels, as with spawn.
    project = tmp_path / "proj"
    project.mkdir()
    params = nbformat.v4.new_code_cell("k = 0")
    params.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[params, nbformat.v4.new_code_cell(ENV_BODY)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(nb, project / "main.ipynb")
    seen = []
    for mark in ("first", "second"):
        monkeypatch.setenv("MLTRACK_TEST_MARK", mark)
        parent, _ = sweep(project, grid={"k": [1]}, max_parallel=1, progress=False)
        (child,) = children(client, parent.info.run_id)
        seen.append(child.data.tags["seen"])
    assert seen == ["first", "second"]
