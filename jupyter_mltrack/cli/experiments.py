"""``mltrack experiments``: create, list, rename, delete and restore experiments."""

from __future__ import annotations

import click

from jupyter_mltrack.cli._common import (
    VIEWS,
    CliState,
    collect,
    find_experiment,
    parse_tags,
    pass_state,
    view_option,
)
from jupyter_mltrack.cli._output import echo_listing, format_time
from jupyter_mltrack.entities import Experiment

__all__ = ["experiments"]


@click.group()
def experiments() -> None:
    """Create, list, rename, delete and restore experiments."""


@experiments.command()
@click.argument("name")
@click.option("--artifact-location", metavar="URI", help="Where runs store artifacts.")
@click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="KEY=VALUE",
    callback=parse_tags,
    help="Set a tag on the experiment (repeatable).",
)
@pass_state
def create(state: CliState, name: str, artifact_location: str | None, tags: dict[str, str]) -> None:
    """Create an experiment called NAME and print its id."""
    experiment_id = state.client.create_experiment(
        name, artifact_location=artifact_location, tags=tags
    )
    click.echo(f"Created experiment {name!r} with id {experiment_id}")


@experiments.command(name="list")
@view_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@pass_state
def list_experiments(state: CliState, view: str, fmt: str) -> None:
    """List experiments."""
    found = collect(
        lambda limit, token: state.client.search_experiments(
            view_type=VIEWS[view], max_results=limit, page_token=token
        ),
        None,
    )
    echo_listing(
        found,
        fmt,
        empty="No experiments.",
        headers=["ID", "NAME", "STAGE", "CREATED", "ARTIFACT LOCATION"],
        row=_row,
    )


def _row(experiment: Experiment) -> list[str]:
    return [
        experiment.experiment_id,
        experiment.name,
        experiment.lifecycle_stage.value,
        format_time(experiment.creation_time),
        experiment.artifact_location,
    ]


@experiments.command()
@click.argument("id_or_name")
@click.argument("new_name")
@pass_state
def rename(state: CliState, id_or_name: str, new_name: str) -> None:
    """Rename the experiment ID_OR_NAME to NEW_NAME."""
    experiment = find_experiment(state.client, id_or_name)
    state.client.rename_experiment(experiment.experiment_id, new_name)
    click.echo(
        f"Renamed experiment {experiment.experiment_id} from {experiment.name!r} to {new_name!r}"
    )


@experiments.command()
@click.argument("id_or_name")
@pass_state
def delete(state: CliState, id_or_name: str) -> None:
    """Delete the experiment ID_OR_NAME and its runs.

    Undo with 'mltrack experiments restore'; 'mltrack gc' purges the deleted runs.
    """
    experiment = find_experiment(state.client, id_or_name)
    state.client.delete_experiment(experiment.experiment_id)
    click.echo(f"Deleted experiment {experiment.name!r} (id {experiment.experiment_id})")


@experiments.command()
@click.argument("id_or_name")
@pass_state
def restore(state: CliState, id_or_name: str) -> None:
    """Restore the deleted experiment ID_OR_NAME."""
    experiment = find_experiment(state.client, id_or_name)
    state.client.restore_experiment(experiment.experiment_id)
    click.echo(f"Restored experiment {experiment.name!r} (id {experiment.experiment_id})")
