"""``mltrack run`` (execute a project entry point) and ``mltrack projects describe``."""

from __future__ import annotations

from collections.abc import Sequence

import click

__all__ = ["parse_parameters", "projects", "run_command"]


def parse_parameters(pairs: Sequence[str]) -> dict[str, str]:
    """Turn ``("k=v", ...)`` into a dict; a pair without ``=`` is a usage error."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="'-P'")
        values[key.strip()] = value
    return values


@click.command(name="run")
@click.argument("path", metavar="URI")
@click.option("-e", "--entry-point", default="main", show_default=True, help="Entry point to run.")
@click.option(
    "-v", "--version", metavar="VERSION",
    help="Git branch, tag or commit to run (Git URIs; default: the repository's HEAD).",
)  # fmt: skip
@click.option(
    "--env-manager", type=click.Choice(["local", "virtualenv", "uv", "conda"]),
    default="local", show_default=True,
    help="Run in this interpreter (local) or in the project's environment, built once and cached.",
)  # fmt: skip
@click.option(
    "-P", "--param", "params", multiple=True, metavar="KEY=VALUE",
    help="A parameter value, parsed as its declared type (repeatable).",
)  # fmt: skip
@click.option("--experiment", metavar="NAME", help="Experiment of the run (created if missing).")
@click.option("--run-name", metavar="NAME", help="Name of the run [default: <project>-<entry>].")
@click.option(
    "--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
    help="Seconds the notebook may run before the run is KILLED.",
)  # fmt: skip
def run_command(
    path: str,
    entry_point: str,
    version: str | None,
    env_manager: str,
    params: tuple[str, ...],
    experiment: str | None,
    run_name: str | None,
    timeout: float | None,
) -> None:
    """Run an entry point of the project at URI as a tracked run.

    URI is a project folder, or a Git repository (https://host/org/repo.git#sub/dir,
    file:///srv/repo, or a local repository path with -v). The project's entry points come from
    its MLproject or mltrack.yaml; a .py, .sh or .ipynb file of the project runs by its name.
    """
    from jupyter_mltrack.cli._interrupt import exit_on_interrupt
    from jupyter_mltrack.projects import run

    with exit_on_interrupt():  # Ctrl-C or SIGTERM: kernel killed, run KILLED, exit 130 / 143
        finished = run(
            path,
            version=version,
            env_manager=env_manager,
            entry_point=entry_point,
            parameters=parse_parameters(params),
            experiment_name=experiment,
            run_name=run_name,
            timeout=timeout,
        )
    info = finished.info
    click.echo(f"Run {info.run_id} ({info.run_name}) {info.status} in experiment "
               f"{info.experiment_id}")  # fmt: skip


@click.group()
def projects() -> None:
    """Inspect projects (MLproject, mltrack.yaml or a folder of notebooks)."""


@projects.command()
@click.argument("path", type=click.Path())
def describe(path: str) -> None:
    """Print the entry points of the project at PATH and their parameters."""
    from jupyter_mltrack.projects import load_project

    spec = load_project(path)
    click.echo(f"Project: {spec.name}")
    click.echo(f"Root: {spec.root}")
    click.echo(f"Kernel: {spec.kernel or 'python3 (default)'}")
    for key, value in spec.environment.items():
        click.echo(f"Environment: {key}: {value}")
    for entry in spec.entry_points.values():
        click.echo("")
        click.echo(f"Entry point {entry.name}: {entry.notebook or entry.command}")
        if not entry.parameters:
            click.echo("  (no parameters)")
        for param in entry.parameters.values():
            line = f"  {param.name}: {param.type} = {param.default!r}"
            if param.description:
                line += f"  # {param.description}"
            click.echo(line)
