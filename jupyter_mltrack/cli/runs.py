"""``mltrack runs``: list, describe, delete and restore runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import click

from jupyter_mltrack.cli._common import (
    VIEWS,
    CliState,
    collect,
    find_experiment,
    pass_state,
    view_option,
)
from jupyter_mltrack.cli._output import (
    echo_csv,
    echo_json,
    echo_table,
    format_duration,
    format_time,
    printable,
)
from jupyter_mltrack.entities import Run, RunInfo, ViewType

__all__ = ["runs"]

_INFO_COLUMNS = [
    *("run_id", "experiment_id", "run_name", "status", "user_id"),
    *("start_time", "end_time", "lifecycle_stage", "artifact_uri"),
]
_DATA_KINDS = ("metrics", "params", "tags")


@click.group()
def runs() -> None:
    """List, describe, delete and restore runs."""


@runs.command(name="list")
@click.option(
    "--experiment",
    "experiment_refs",
    multiple=True,
    metavar="NAME_OR_ID",
    help="Only runs of this experiment (repeatable; default: every experiment).",
)
@click.option(
    "--filter",
    "filter_string",
    default="",
    metavar="EXPR",
    help="Search filter, e.g. \"metrics.acc > 0.9 and params.model = 'rf'\".",
)
@click.option(
    "--order-by",
    multiple=True,
    metavar="CLAUSE",
    help="Sort clause such as 'metrics.acc DESC' (repeatable).",
)
@click.option(
    "--max-results",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Show at most this many runs.",
)
@view_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="Output format; csv has a column per metric, param and tag.",
)
@pass_state
def list_runs(
    state: CliState,
    experiment_refs: tuple[str, ...],
    filter_string: str,
    order_by: tuple[str, ...],
    max_results: int,
    view: str,
    fmt: str,
) -> None:
    """List runs matching a filter.

    Runs are listed newest first unless --order-by says otherwise.
    """
    experiment_ids = _experiment_ids(state, experiment_refs)
    found = collect(
        lambda limit, token: state.client.search_runs(
            experiment_ids,
            filter_string,
            run_view_type=VIEWS[view],
            max_results=limit,
            order_by=list(order_by) or None,
            page_token=token,
        ),
        max_results,
    )
    if len(found) > max_results:
        found = found[:max_results]
        click.echo(f"Showing the first {max_results} runs; raise --max-results for more.", err=True)
    _echo_runs(found, fmt)


def _experiment_ids(state: CliState, refs: Sequence[str]) -> list[str]:
    if refs:
        return [find_experiment(state.client, ref).experiment_id for ref in refs]
    every = collect(
        lambda limit, token: state.client.search_experiments(
            view_type=ViewType.ALL, max_results=limit, page_token=token
        ),
        None,
    )
    return [e.experiment_id for e in every]


def _echo_runs(found: list[Run], fmt: str) -> None:
    if fmt == "json":
        echo_json([run.to_dict() for run in found])
    elif fmt == "csv":
        echo_csv(*_flat_rows(found))
    elif not found:
        click.echo("No runs.")
    else:
        headers = ["RUN ID", "EXPERIMENT", "NAME", "STATUS", "START", "DURATION"]
        echo_table(headers, [_table_row(run.info) for run in found])


def _table_row(info: RunInfo) -> list[str]:
    return [
        info.run_id,
        info.experiment_id,
        info.run_name,
        info.status.value,
        format_time(info.start_time),
        format_duration(info.start_time, info.end_time),
    ]


def _flat_rows(found: list[Run]) -> tuple[list[str], list[list[str]]]:
    """Return CSV columns: run attributes, then ``metrics.*``, ``params.*``, ``tags.*``."""
    keys = {
        kind: sorted({k for run in found for k in getattr(run.data, kind)}) for kind in _DATA_KINDS
    }
    headers = _INFO_COLUMNS + [f"{kind}.{k}" for kind, names in keys.items() for k in names]
    rows = []
    for run in found:
        info = run.info.to_dict()
        row = ["" if info.get(c) is None else str(info[c]) for c in _INFO_COLUMNS]
        for kind, names in keys.items():
            values: Mapping[str, object] = getattr(run.data, kind)
            row += [str(values[k]) if k in values else "" for k in names]
        rows.append(row)
    return headers, rows


@runs.command()
@click.argument("run_id")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@pass_state
def describe(state: CliState, run_id: str, fmt: str) -> None:
    """Show a run's attributes, params, latest metrics and tags."""
    run = state.client.get_run(run_id)
    if fmt == "json":
        echo_json(run.to_dict())
        return
    info = run.info
    experiment = state.client.get_experiment(info.experiment_id)
    _echo_section(
        f"Run {info.run_id}",
        {
            "name": info.run_name,
            "experiment": f"{experiment.name} (id {info.experiment_id})",
            "status": info.status.value,
            "lifecycle stage": info.lifecycle_stage.value,
            "user": info.user_id,
            "start time": format_time(info.start_time),
            "end time": format_time(info.end_time),
            "duration": format_duration(info.start_time, info.end_time),
            "artifact uri": info.artifact_uri,
        },
        sort=False,
    )
    for kind in _DATA_KINDS:
        values: Mapping[str, object] = getattr(run.data, kind)
        _echo_section(f"{kind.capitalize()} ({len(values)})", values)


def _echo_section(title: str, pairs: Mapping[str, object], *, sort: bool = True) -> None:
    click.echo(printable(title))
    width = max((len(k) for k in pairs), default=0)
    for key in sorted(pairs) if sort else pairs:
        click.echo(printable(f"  {key.ljust(width)}  {pairs[key]}"))


@runs.command()
@click.argument("run_id")
@pass_state
def delete(state: CliState, run_id: str) -> None:
    """Delete the run RUN_ID.

    The run stays restorable until 'mltrack gc' removes it.
    """
    state.client.delete_run(run_id)
    click.echo(f"Deleted run {run_id}")


@runs.command()
@click.argument("run_id")
@pass_state
def restore(state: CliState, run_id: str) -> None:
    """Restore the deleted run RUN_ID."""
    state.client.restore_run(run_id)
    click.echo(f"Restored run {run_id}")
