"""``mltrack models list|describe|versions|register|promote|alias|history``: the model registry.

The commands join the ``models`` group of :mod:`jupyter_mltrack.cli.models` through
:func:`add_registry_commands`; they import the registry lazily, so ``--help`` stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from jupyter_mltrack.cli._common import CliState, collect, parse_tags, pass_state
from jupyter_mltrack.cli._output import (
    echo_json,
    echo_listing,
    echo_table,
    format_time,
    printable,
)

if TYPE_CHECKING:
    from jupyter_mltrack.entities import ModelVersion, ModelVersionEvent, RegisteredModel
    from jupyter_mltrack.registry import RegistryClient

__all__ = ["REGISTRY_COMMANDS", "add_registry_commands"]

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)


def _registry(state: CliState) -> RegistryClient:
    from jupyter_mltrack.registry import RegistryClient

    return RegistryClient(state.tracking_uri)


def _all_versions(client: RegistryClient, name: str) -> list[ModelVersion]:
    escaped = name.replace("\\", "\\\\").replace("'", "\\'")
    found = collect(
        lambda limit, token: client.search_model_versions(
            f"name = '{escaped}'", max_results=limit, page_token=token
        ),
        None,
    )
    return sorted(found, key=lambda mv: mv.version)


def _aliases(aliases: Sequence[str]) -> str:
    return ",".join(f"@{a}" for a in sorted(aliases))


@click.command(name="list")
@click.option(
    "--filter",
    "filter_string",
    default="",
    metavar="FILTER",
    help=(
        "Only models matching this filter, e.g. \"name LIKE 'churn%'\" or \"tags.team = 'growth'\"."
    ),
)
@format_option
@pass_state
def list_models(state: CliState, filter_string: str, fmt: str) -> None:
    """List registered models."""
    client = _registry(state)
    found = collect(
        lambda limit, token: client.search_registered_models(
            filter_string, max_results=limit, order_by=["name"], page_token=token
        ),
        None,
    )
    echo_listing(
        found,
        fmt,
        empty="No registered models.",
        headers=["NAME", "LATEST", "STAGES", "ALIASES", "UPDATED"],
        row=_model_row,
    )


def _model_row(model: RegisteredModel) -> list[str]:
    latest = max((mv.version for mv in model.latest_versions), default=None)
    stages = ",".join(
        f"{mv.current_stage.value}:v{mv.version}"
        for mv in model.latest_versions
        if mv.current_stage.value != "None"
    )
    aliases = ",".join(f"@{a}:v{v}" for a, v in sorted(model.aliases.items()))
    return [
        model.name,
        "" if latest is None else str(latest),
        stages,
        aliases,
        format_time(model.last_updated_timestamp),
    ]


@click.command()
@click.argument("name")
@format_option
@pass_state
def describe(state: CliState, name: str, fmt: str) -> None:
    """Show a registered model with its tags, aliases and versions."""
    client = _registry(state)
    model = client.get_registered_model(name)
    versions = _all_versions(client, name)
    if fmt == "json":
        echo_json({**model.to_dict(), "versions": [mv.to_dict() for mv in versions]})
        return
    click.echo(f"Name:        {printable(model.name)}")
    click.echo(f"Created:     {format_time(model.creation_timestamp)}")
    click.echo(f"Updated:     {format_time(model.last_updated_timestamp)}")
    aliases = ", ".join(f"@{a} -> v{v}" for a, v in sorted(model.aliases.items()))
    click.echo(f"Aliases:     {printable(aliases)}")
    tags = ", ".join(f"{k}={v}" for k, v in sorted(model.tags.items()))
    click.echo(f"Tags:        {printable(tags)}")
    if model.description:
        click.echo("Description:")
        for line in model.description.splitlines():
            click.echo(f"  {printable(line)}")
    click.echo("")
    _echo_versions(versions)


def _echo_versions(versions: Sequence[ModelVersion]) -> None:
    if not versions:
        click.echo("No versions.")
        return
    echo_table(
        ["VERSION", "STAGE", "ALIASES", "FLAVORS", "RUN ID", "CREATED", "SOURCE"],
        [
            [
                str(mv.version),
                mv.current_stage.value,
                _aliases(mv.aliases),
                ",".join(mv.flavors),
                mv.run_id or "",
                format_time(mv.creation_timestamp),
                mv.source,
            ]
            for mv in versions
        ],
    )


@click.command()
@click.argument("name")
@format_option
@pass_state
def versions(state: CliState, name: str, fmt: str) -> None:
    """List the versions of the registered model NAME."""
    client = _registry(state)
    client.get_registered_model(name)  # an unknown model is an error, not an empty list
    found = _all_versions(client, name)
    if fmt == "json":
        echo_json([mv.to_dict() for mv in found])
    else:
        _echo_versions(found)


@click.command()
@click.argument("model_uri", metavar="URI")
@click.argument("name")
@click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="KEY=VALUE",
    callback=parse_tags,
    help="Set a tag on the new version (repeatable).",
)
@pass_state
def register(state: CliState, model_uri: str, name: str, tags: dict[str, str]) -> None:
    """Register the model at URI as a new version of NAME.

    URI is a local path, runs:/<run_id>/<path> or models:/...; the model must have an MLmodel
    file. The registered model is created if needed.
    """
    mv = _registry(state).register_model(model_uri, name, tags)
    click.echo(f"Registered {mv.name!r} version {mv.version} from {mv.source}")


def _parse_parameters(
    ctx: click.Context, param: click.Parameter, values: Sequence[str]
) -> dict[str, Any]:
    """Turn repeated ``KEY=VALUE`` options into a dict, reading VALUE as JSON where it is."""
    parsed: dict[str, Any] = {}
    for key, text in parse_tags(ctx, param, values).items():
        try:
            parsed[key] = json.loads(text)
        except ValueError:
            parsed[key] = text
    return parsed


@click.command()
@click.argument("name")
@click.argument("version")
@click.option(
    "--stage",
    metavar="STAGE",
    help="Move to this stage: None, Staging, Production or Archived (any case).",
)
@click.option("--alias", metavar="ALIAS", help="Point this alias at the version instead.")
@click.option(
    "--archive-existing",
    is_flag=True,
    help="With --stage, move the versions already in that stage to Archived.",
)
@click.option(
    "--validate-with",
    metavar="NOTEBOOK",
    type=click.Path(exists=True, dir_okay=False),
    help="Run this notebook first (with model_uri injected); promote only if it succeeds.",
)
@click.option(
    "-p",
    "--parameter",
    "parameters",
    multiple=True,
    metavar="KEY=VALUE",
    callback=_parse_parameters,
    help="A parameter for the validation notebook; VALUE is read as JSON if it parses "
    "(repeatable).",
)
@click.option("--comment", metavar="TEXT", help="Recorded with the move in the history.")
@pass_state
def promote(
    state: CliState,
    name: str,
    version: str,
    stage: str | None,
    alias: str | None,
    archive_existing: bool,
    validate_with: str | None,
    parameters: dict[str, Any],
    comment: str | None,
) -> None:
    """Move VERSION of NAME to a stage or an alias.

    With --validate-with, the notebook runs first (papermill, with model_uri and the -p
    parameters injected into its parameters cell) in a run of the experiment
    mltrack-validations; the move happens only if every cell succeeds, and the history links
    the executed notebook and the metrics it logged.
    """
    mv = _registry(state).promote(
        name,
        version,
        stage=stage,
        alias=alias,
        archive_existing_versions=archive_existing,
        validate_with=validate_with,
        parameters=parameters,
        comment=comment,
    )
    target = f"stage {mv.current_stage.value}" if stage is not None else f"alias @{alias}"
    checked = " after validation" if validate_with else ""
    click.echo(f"Promoted {mv.name!r} version {mv.version} to {target}{checked}")


@click.command()
@click.argument("name")
@click.argument("alias")
@click.argument("version")
@click.option("--comment", metavar="TEXT", help="Recorded with the move in the history.")
@pass_state
def alias(state: CliState, name: str, alias: str, version: str, comment: str | None) -> None:
    """Point ALIAS of model NAME at VERSION.

    An alias names one version; setting it again moves it, in one transaction.
    """
    client = _registry(state)
    client.set_registered_model_alias(name, alias, version, comment=comment)
    mv = client.get_model_version_by_alias(name, alias)
    click.echo(f"Alias @{alias} of {name!r} now points at version {mv.version}")


@click.command()
@click.argument("name")
@click.option("--version", "version", metavar="VERSION", help="Only the events of this version.")
@format_option
@pass_state
def history(state: CliState, name: str, version: str | None, fmt: str) -> None:
    """Show the stage and alias changes of NAME, oldest first."""
    client = _registry(state)
    client.get_registered_model(name)
    events = client.get_model_version_history(name, version)
    echo_listing(
        events,
        fmt,
        empty="No stage transitions or alias moves yet.",
        headers=["TIME", "VERSION", "CHANGE", "FROM", "TO", "USER", "COMMENT", "EVIDENCE"],
        row=_event_row,
    )


def _event_row(e: ModelVersionEvent) -> list[str]:
    return [
        format_time(e.timestamp),
        str(e.version),
        e.kind if e.alias is None else f"{e.kind} @{e.alias}",
        e.from_value or "",
        e.to_value or "",
        e.user_id,
        e.comment or "",
        e.evidence_uri or "",
    ]


REGISTRY_COMMANDS: tuple[click.Command, ...] = (
    alias,
    describe,
    history,
    list_models,
    promote,
    register,
    versions,
)


def add_registry_commands(group: click.Group) -> None:
    """Attach the registry commands to ``group`` (the ``mltrack models`` group)."""
    for command in REGISTRY_COMMANDS:
        group.add_command(command)
