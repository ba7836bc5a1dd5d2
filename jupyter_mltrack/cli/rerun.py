"""``mltrack rerun RUN_ID [-P k=v]``: re-execute a past run and print its reproducibility table."""

from __future__ import annotations

import click

from jupyter_mltrack.cli._common import CliState, parse_tags, pass_state

__all__ = ["rerun"]


@click.command()
@click.argument("run_id")
@click.option(
    "-P",
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    callback=parse_tags,
    help="Override a parameter of the original run (repeatable).",
)
@click.option("--timeout", type=float, default=None, help="Seconds the notebook may run.")
@pass_state
def rerun(state: CliState, run_id: str, params: dict[str, str], timeout: float | None) -> None:
    """Re-run a project or %%track run and compare its metrics with the original."""
    from jupyter_mltrack.projects.rerun import compare_metrics
    from jupyter_mltrack.projects.rerun import rerun as rerun_run

    client = state.client
    new = rerun_run(run_id, params, tracking_uri=client.tracking_uri, timeout=timeout)
    click.echo(f"Re-ran {run_id} as {new.info.run_id} ({new.info.status})")
    click.echo(f"{'metric':<28} {'original':>14} {'rerun':>14} {'delta':>12}")
    for row in compare_metrics(client.get_run(run_id), new):
        cells = [_number(row.original), _number(row.rerun), _number(row.delta)]
        click.echo(f"{row.key:<28} {cells[0]:>14} {cells[1]:>14} {cells[2]:>12}")


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"
