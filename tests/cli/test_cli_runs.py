"""Tests of ``mltrack runs``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

import pytest
from click.testing import Result

from jupyter_mltrack import TrackingClient

Cli = Callable[..., Result]


def make_run(uri: str, experiment_id: str = "0", *, acc: float = 0.5, name: str = "r") -> str:
    client = TrackingClient(uri)
    run_id = client.create_run(experiment_id, run_name=name, tags={"team": "a"}).info.run_id
    client.log_param(run_id, "model", "rf")
    client.log_metric(run_id, "acc", acc)
    client.set_terminated(run_id)
    return run_id


def test_list_table_shows_runs_of_every_experiment(cli: Cli, uri: str) -> None:
    other = TrackingClient(uri).create_experiment("other")
    first, second = make_run(uri, name="first"), make_run(uri, other, name="second")
    lines = cli("runs", "list").stdout.splitlines()
    assert lines[0].split() == ["RUN", "ID", "EXPERIMENT", "NAME", "STATUS", "START", "DURATION"]
    assert {line.split()[0] for line in lines[1:]} == {first, second}


def test_list_filters_orders_and_limits(cli: Cli, uri: str) -> None:
    ids = [make_run(uri, acc=a) for a in (0.1, 0.9, 0.5)]
    out = cli("runs", "list", "--filter", "metrics.acc > 0.3", "--order-by", "metrics.acc")
    assert [line.split()[0] for line in out.stdout.splitlines()[1:]] == [ids[2], ids[1]]
    limited = cli("runs", "list", "--max-results", "2", "--order-by", "metrics.acc DESC")
    assert [line.split()[0] for line in limited.stdout.splitlines()[1:]] == [ids[1], ids[2]]
    assert "Showing the first 2 runs" in limited.stderr


def test_list_by_experiment_name(cli: Cli, uri: str) -> None:
    other = TrackingClient(uri).create_experiment("other")
    make_run(uri)
    mine = make_run(uri, other)
    data = json.loads(cli("runs", "list", "--experiment", "other", "--format", "json").stdout)
    assert [r["info"]["run_id"] for r in data] == [mine]


def test_list_csv_has_metric_param_and_tag_columns(cli: Cli, uri: str) -> None:
    run_id = make_run(uri, acc=0.75)
    rows = list(csv.DictReader(io.StringIO(cli("runs", "list", "--format", "csv").stdout)))
    assert len(rows) == 1
    assert rows[0]["run_id"] == run_id
    assert (rows[0]["metrics.acc"], rows[0]["params.model"], rows[0]["tags.team"]) == (
        "0.75",
        "rf",
        "a",
    )
    assert rows[0]["status"] == "FINISHED"


def test_list_views_and_empty_message(cli: Cli, uri: str) -> None:
    run_id = make_run(uri)
    assert cli("runs", "list", "--view", "deleted").stdout == "No runs.\n"
    cli("runs", "delete", run_id)
    assert cli("runs", "list").stdout == "No runs.\n"
    assert run_id in cli("runs", "list", "--view", "deleted").stdout


def test_bad_filter_is_a_one_line_error(cli: Cli, uri: str) -> None:
    result = cli("runs", "list", "--filter", "metrics.acc >>> 1")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.output


def test_describe_text(cli: Cli, uri: str) -> None:
    run_id = make_run(uri, acc=0.25, name="baseline")
    out = cli("runs", "describe", run_id).stdout
    assert out.startswith(f"Run {run_id}\n")
    for expected in ("baseline", "Default (id 0)", "FINISHED", "Metrics (1)", "acc  0.25"):
        assert expected in out
    assert "model  rf" in out
    assert "team" in out


def test_describe_json(cli: Cli, uri: str) -> None:
    run_id = make_run(uri, acc=0.25)
    data = json.loads(cli("runs", "describe", run_id, "--format", "json").stdout)
    assert data["info"]["run_id"] == run_id
    (metric,) = data["data"]["metrics"]  # MLflow's shape: the latest value with its step and time
    assert (metric["key"], metric["value"], metric["step"]) == ("acc", 0.25, 0)
    assert isinstance(metric["timestamp"], int)


def test_delete_and_restore(cli: Cli, uri: str) -> None:
    run_id = make_run(uri)
    assert cli("runs", "delete", run_id).stdout == f"Deleted run {run_id}\n"
    assert TrackingClient(uri).get_run(run_id).info.lifecycle_stage.value == "deleted"
    assert cli("runs", "restore", run_id).stdout == f"Restored run {run_id}\n"
    assert TrackingClient(uri).get_run(run_id).info.lifecycle_stage.value == "active"


@pytest.mark.parametrize("command", ["describe", "delete", "restore"])
def test_unknown_run_is_a_one_line_error(cli: Cli, uri: str, command: str) -> None:
    result = cli("runs", command, "0" * 32)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "not found" in result.stderr
    assert len(result.stderr.splitlines()) == 1
