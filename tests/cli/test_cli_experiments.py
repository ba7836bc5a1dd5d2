"""Tests of ``mltrack experiments``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from jupyter_mltrack import TrackingClient
from jupyter_mltrack.cli.main import main


@pytest.fixture
def uri(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/t.db"


def cli(uri: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--tracking-uri", uri, *args], catch_exceptions=False)


def test_create_prints_id_and_sets_tags(uri: str) -> None:
    result = cli(uri, "experiments", "create", "churn", "--tag", "team=growth", "--tag", "k=a=b")
    assert result.exit_code == 0, result.output
    experiment = TrackingClient(uri).get_experiment_by_name("churn")
    assert experiment is not None
    assert result.stdout == f"Created experiment 'churn' with id {experiment.experiment_id}\n"
    assert dict(experiment.tags) == {"team": "growth", "k": "a=b"}


def test_create_with_artifact_location(uri: str, tmp_path: Path) -> None:
    location = str(tmp_path / "elsewhere")
    assert cli(uri, "experiments", "create", "x", "--artifact-location", location).exit_code == 0
    experiment = TrackingClient(uri).get_experiment_by_name("x")
    assert experiment is not None
    assert location in experiment.artifact_location


def test_create_duplicate_is_a_one_line_error(uri: str) -> None:
    cli(uri, "experiments", "create", "churn")
    result = cli(uri, "experiments", "create", "churn")
    assert result.exit_code == 1
    assert result.stderr == "Error: Experiment 'churn' already exists\n"
    assert "Traceback" not in result.output


def test_malformed_tag_is_a_usage_error(uri: str) -> None:
    result = cli(uri, "experiments", "create", "churn", "--tag", "novalue")
    assert result.exit_code == 2
    assert "'novalue' is not KEY=VALUE" in result.stderr


def test_list_table_and_json(uri: str) -> None:
    cli(uri, "experiments", "create", "churn")
    table = cli(uri, "experiments", "list").stdout.splitlines()
    assert table[0].split() == ["ID", "NAME", "STAGE", "CREATED", "ARTIFACT", "LOCATION"]
    assert {line.split()[1] for line in table[1:]} == {"churn", "Default"}
    assert table[0].index("NAME") == table[1].index(table[1].split()[1])  # columns aligned
    data = json.loads(cli(uri, "experiments", "list", "--format", "json").stdout)
    assert {e["name"] for e in data} == {"churn", "Default"}


def test_list_views(uri: str) -> None:
    cli(uri, "experiments", "create", "gone")
    cli(uri, "experiments", "delete", "gone")

    def names(view: str) -> set[str]:
        out = cli(uri, "experiments", "list", "--view", view, "--format", "json").stdout
        return {e["name"] for e in json.loads(out)}

    assert names("active") == {"Default"}
    assert names("deleted") == {"gone"}
    assert names("all") == {"Default", "gone"}


def test_list_reports_when_empty(uri: str) -> None:
    assert cli(uri, "experiments", "list", "--view", "deleted").stdout == "No experiments.\n"


def test_rename_by_name_and_by_id(uri: str) -> None:
    experiment_id = TrackingClient(uri).create_experiment("a")
    assert cli(uri, "experiments", "rename", "a", "b").exit_code == 0
    result = cli(uri, "experiments", "rename", experiment_id, "c")
    assert result.stdout == f"Renamed experiment {experiment_id} from 'b' to 'c'\n"
    assert TrackingClient(uri).get_experiment(experiment_id).name == "c"


def test_delete_and_restore(uri: str) -> None:
    experiment_id = TrackingClient(uri).create_experiment("a")
    assert cli(uri, "experiments", "delete", "a").exit_code == 0
    assert TrackingClient(uri).get_experiment(experiment_id).lifecycle_stage.value == "deleted"
    result = cli(uri, "experiments", "restore", experiment_id)
    assert result.stdout == f"Restored experiment 'a' (id {experiment_id})\n"
    assert TrackingClient(uri).get_experiment(experiment_id).lifecycle_stage.value == "active"


def test_numeric_name_falls_back_to_name_lookup(uri: str) -> None:
    TrackingClient(uri).create_experiment("2024")
    assert cli(uri, "experiments", "delete", "2024").exit_code == 0


@pytest.mark.parametrize("command", ["rename", "delete", "restore"])
def test_unknown_experiment_is_a_one_line_error(uri: str, command: str) -> None:
    args = ["nope", "new"] if command == "rename" else ["nope"]
    result = cli(uri, "experiments", command, *args)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: No experiment has the id or name 'nope'")
    assert len(result.stderr.splitlines()) == 1


def test_tracking_uri_from_environment(uri: str) -> None:
    result = CliRunner(env={"MLTRACK_TRACKING_URI": uri}).invoke(
        main, ["experiments", "create", "e"]
    )
    assert result.exit_code == 0
    assert TrackingClient(uri).get_experiment_by_name("e") is not None
