"""Tests of ``mltrack experiments``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from jupyter_mltrack import TrackingClient
from jupyter_mltrack.cli.main import main

Cli = Callable[..., Result]


def test_create_prints_id_and_sets_tags(cli: Cli, uri: str) -> None:
    result = cli("experiments", "create", "churn", "--tag", "team=growth", "--tag", "k=a=b")
    assert result.exit_code == 0, result.output
    experiment = TrackingClient(uri).get_experiment_by_name("churn")
    assert experiment is not None
    assert result.stdout == f"Created experiment 'churn' with id {experiment.experiment_id}\n"
    assert dict(experiment.tags) == {"team": "growth", "k": "a=b"}


def test_create_with_artifact_location(cli: Cli, uri: str, tmp_path: Path) -> None:
    location = str(tmp_path / "elsewhere")
    assert cli("experiments", "create", "x", "--artifact-location", location).exit_code == 0
    experiment = TrackingClient(uri).get_experiment_by_name("x")
    assert experiment is not None
    assert location in experiment.artifact_location


def test_create_duplicate_is_a_one_line_error(cli: Cli, uri: str) -> None:
    cli("experiments", "create", "churn")
    result = cli("experiments", "create", "churn")
    assert result.exit_code == 1
    assert result.stderr == "Error: Experiment 'churn' already exists\n"
    assert "Traceback" not in result.output


def test_malformed_tag_is_a_usage_error(cli: Cli, uri: str) -> None:
    result = cli("experiments", "create", "churn", "--tag", "novalue")
    assert result.exit_code == 2
    assert "'novalue' is not KEY=VALUE" in result.stderr


def test_list_table_and_json(cli: Cli, uri: str) -> None:
    cli("experiments", "create", "churn")
    table = cli("experiments", "list").stdout.splitlines()
    assert table[0].split() == ["ID", "NAME", "STAGE", "CREATED", "ARTIFACT", "LOCATION"]
    assert {line.split()[1] for line in table[1:]} == {"churn", "Default"}
    assert table[0].index("NAME") == table[1].index(table[1].split()[1])  # columns aligned
    data = json.loads(cli("experiments", "list", "--format", "json").stdout)
    assert {e["name"] for e in data} == {"churn", "Default"}


def test_list_views(cli: Cli, uri: str) -> None:
    cli("experiments", "create", "gone")
    cli("experiments", "delete", "gone")

    def names(view: str) -> set[str]:
        out = cli("experiments", "list", "--view", view, "--format", "json").stdout
        return {e["name"] for e in json.loads(out)}

    assert names("active") == {"Default"}
    assert names("deleted") == {"gone"}
    assert names("all") == {"Default", "gone"}


def test_list_reports_when_empty(cli: Cli, uri: str) -> None:
    assert cli("experiments", "list", "--view", "deleted").stdout == "No experiments.\n"


def test_rename_by_name_and_by_id(cli: Cli, uri: str) -> None:
    experiment_id = TrackingClient(uri).create_experiment("a")
    assert cli("experiments", "rename", "a", "b").exit_code == 0
    result = cli("experiments", "rename", experiment_id, "c")
    assert result.stdout == f"Renamed experiment {experiment_id} from 'b' to 'c'\n"
    assert TrackingClient(uri).get_experiment(experiment_id).name == "c"


def test_delete_and_restore(cli: Cli, uri: str) -> None:
    experiment_id = TrackingClient(uri).create_experiment("a")
    assert cli("experiments", "delete", "a").exit_code == 0
    assert TrackingClient(uri).get_experiment(experiment_id).lifecycle_stage.value == "deleted"
    result = cli("experiments", "restore", experiment_id)
    assert result.stdout == f"Restored experiment 'a' (id {experiment_id})\n"
    assert TrackingClient(uri).get_experiment(experiment_id).lifecycle_stage.value == "active"


def test_numeric_name_falls_back_to_name_lookup(cli: Cli, uri: str) -> None:
    TrackingClient(uri).create_experiment("2024")
    assert cli("experiments", "delete", "2024").exit_code == 0


@pytest.mark.parametrize("command", ["rename", "delete", "restore"])
def test_unknown_experiment_is_a_one_line_error(cli: Cli, uri: str, command: str) -> None:
    args = ["nope", "new"] if command == "rename" else ["nope"]
    result = cli("experiments", command, *args)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: No experiment has the id or name 'nope'")
    assert len(result.stderr.splitlines()) == 1


def test_tracking_uri_from_environment(uri: str) -> None:
    result = CliRunner(env={"MLTRACK_TRACKING_URI": uri}).invoke(
        main, ["experiments", "create", "e"]
    )
    assert result.exit_code == 0
    assert TrackingClient(uri).get_experiment_by_name("e") is not None


def test_unknown_store_scheme_is_a_one_line_error() -> None:
    result = CliRunner().invoke(main, ["--tracking-uri", "foo://x", "experiments", "list"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: No tracking store for URI scheme 'foo'")
    assert len(result.stderr.splitlines()) == 1
