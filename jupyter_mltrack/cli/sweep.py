"""``mltrack sweep PATH -P name=values ...``: a grid or random sweep of a project entry point."""

from __future__ import annotations

from typing import Literal, cast

import click

from jupyter_mltrack.cli._common import CliState, pass_state

__all__ = ["sweep"]


@click.command()
@click.argument("path", type=click.Path(exists=True))
@click.option("-e", "--entry-point", default="main", show_default=True, help="Entry point to run.")
@click.option(
    "-P",
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUES",
    help="Values of a parameter: a,b,c or uniform(a,b), loguniform(a,b), choice(a,b), "
    "randint(a,b) (ranges need --random; repeatable).",
)
@click.option("--random", "n_random", type=int, metavar="N", help="Draw N random trials.")
@click.option("--seed", type=int, help="Seed of the random sampling (reproducible trials).")
@click.option("--parallel", type=int, default=2, show_default=True, help="Trials at once.")
@click.option(
    "--backend",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Local process pool or a dask.distributed cluster.",
)
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://host:8786.")
@click.option("--metric", help="Metric that ranks the trials; the best is logged on the parent.")
@click.option(
    "--mode",
    type=click.Choice(["max", "min"]),
    default="max",
    show_default=True,
    help="Whether a larger or smaller --metric is better.",
)
@click.option("--experiment", help="Experiment of the sweep's runs (default: the current one).")
@click.option(
    "--timeout", type=float, help="Seconds each trial's notebook may run (then it is KILLED)."
)
@pass_state
def sweep(
    state: CliState,
    path: str,
    entry_point: str,
    params: tuple[str, ...],
    n_random: int | None,
    seed: int | None,
    parallel: int,
    backend: str,
    scheduler: str | None,
    metric: str | None,
    mode: str,
    experiment: str | None,
    timeout: float | None,
) -> None:
    """Run a project entry point over a grid or random sample of parameters."""
    from jupyter_mltrack.projects.sampling import parse_space
    from jupyter_mltrack.projects.sweep import SweepInterrupted
    from jupyter_mltrack.projects.sweep import sweep as run_sweep

    if not params:
        raise click.UsageError("give at least one -P NAME=VALUES")
    if seed is not None and n_random is None:
        raise click.UsageError("--seed only applies with --random N")
    space = parse_space(params)
    try:
        parent, table = run_sweep(
            path,
            entry_point,
            grid=None if n_random is not None else space,
            random=space if n_random is not None else None,
            n_trials=n_random,
            seed=seed,
            max_parallel=parallel,
            backend=cast("Literal['local', 'dask']", backend),
            scheduler=scheduler,
            metric=metric,
            mode=cast("Literal['max', 'min']", mode),
            experiment_name=experiment,
            timeout=timeout,
        )
    except SweepInterrupted as exc:
        click.echo(f"\n{exc}", err=True)
        raise SystemExit(130) from None
    click.echo(table.to_string(index=False))
    tags = parent.data.tags
    click.echo(f"Sweep run {parent.info.run_id} ({parent.info.status})")
    if "best_run_id" in tags:
        click.echo(f"Best run {tags['best_run_id']} by {metric} ({mode})")
