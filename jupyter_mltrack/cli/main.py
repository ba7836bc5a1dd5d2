"""The ``mltrack`` command: global options and one subcommand group per noun.

Commands import the library lazily, so ``mltrack --help`` stays fast.
"""

from __future__ import annotations

import click

from jupyter_mltrack._version import __version__
from jupyter_mltrack.cli._common import CliState
from jupyter_mltrack.cli._errors import MltrackGroup
from jupyter_mltrack.cli.dashboard import dashboard
from jupyter_mltrack.cli.experiments import experiments
from jupyter_mltrack.cli.gc import gc
from jupyter_mltrack.cli.models import models
from jupyter_mltrack.cli.projects import projects, run_command
from jupyter_mltrack.cli.report import report
from jupyter_mltrack.cli.rerun import rerun
from jupyter_mltrack.cli.runs import runs
from jupyter_mltrack.cli.server import server
from jupyter_mltrack.cli.sweep import sweep
from jupyter_mltrack.cli.sync import sync

__all__ = ["main"]


@click.group(cls=MltrackGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="mltrack", message="%(prog)s %(version)s")
@click.option(
    "--tracking-uri",
    envvar="MLTRACK_TRACKING_URI",
    metavar="URI",
    help="Tracking store, e.g. sqlite:///mltrack.db or http://host:5000 "
    "[env MLTRACK_TRACKING_URI; default: ./mltrack].",
)
@click.pass_context
def main(ctx: click.Context, tracking_uri: str | None) -> None:
    """Track experiments and runs from the command line."""
    if tracking_uri:
        # The option names the store for everything this command does, including the
        # runs:/ and models:/ URIs the model commands resolve through the library.
        from jupyter_mltrack.tracking.uri import set_tracking_uri

        set_tracking_uri(tracking_uri)
    ctx.obj = CliState(tracking_uri)


main.add_command(experiments)
main.add_command(runs)
main.add_command(gc)
main.add_command(models)
main.add_command(rerun)
main.add_command(sweep)
main.add_command(run_command)
main.add_command(projects)
main.add_command(server)
main.add_command(dashboard)
main.add_command(report)
main.add_command(sync)

if __name__ == "__main__":
    main(prog_name="mltrack")
