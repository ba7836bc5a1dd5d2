"""``mltrack dashboard``: serve the experiment dashboard to stakeholders with Voila."""

from __future__ import annotations

import sys

import click

from jupyter_mltrack.cli._common import CliState, find_experiment
from jupyter_mltrack.cli._errors import CliError
from jupyter_mltrack.cli._signals import Stopped, stop_on_sigterm

__all__ = ["dashboard"]


@click.command()
@click.option(
    "--tracking-uri",
    metavar="URI",
    help="Store to show (default: mltrack's --tracking-uri, MLTRACK_TRACKING_URI or ./mltrack).",
)
@click.option(
    "--experiment",
    metavar="NAME",
    help="Open the dashboard on this experiment's summary (a name or an id); by default the "
    "experiment whose model went to Production last.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option(
    "--port",
    default=8866,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to serve on; it must be free.",
)
@click.option(
    "--read-only/--allow-actions",
    default=True,
    show_default=True,
    help="Hide, or offer, the registry actions (stage transitions, aliases, promotions).",
)
def dashboard(
    tracking_uri: str | None,
    experiment: str | None,
    host: str,
    port: int,
    read_only: bool,
) -> None:
    """Serve the experiment dashboard (Voila) until Ctrl-C.

    The page opens on a summary of one experiment (what was tried, the best runs by its
    objective, the model in Production and how it compares), then shows the experiments, their
    runs (filter, sort, compare) and the registered models, read-only unless --allow-actions is
    given. Each open page runs its own kernel;
    stopping the command stops them all.
    """
    # Upward on purpose (docs/architecture.md): this command launches the packaged app.
    from jupyter_mltrack.apps import DASHBOARD_NOTEBOOK, DashboardSettings
    from jupyter_mltrack.apps.voila import VoilaServer, check_port_free, require_voila
    from jupyter_mltrack.tracking.uri import get_tracking_uri, normalize_tracking_uri

    require_voila()
    # The kernel runs in another directory: hand it an absolute URI, never a relative default.
    # (mltrack's own --tracking-uri has already been applied through set_tracking_uri.)
    uri = normalize_tracking_uri(tracking_uri) if tracking_uri else get_tracking_uri()
    name = None if experiment is None else find_experiment(CliState(uri).client, experiment).name
    check_port_free(host, port)
    settings = DashboardSettings(tracking_uri=uri, experiment=name, read_only=read_only)
    server = VoilaServer(DASHBOARD_NOTEBOOK, host=host, port=port, env=settings.to_env())
    with stop_on_sigterm():
        try:
            server.start()
            mode = "read-only" if read_only else "actions enabled"
            click.echo(f"Serving the dashboard ({mode}) at {server.url}")
            click.echo("Press Ctrl-C to stop.")
            sys.stdout.flush()
            code = server.wait()
        except (KeyboardInterrupt, Stopped):
            click.echo("Stopping the dashboard and its kernels...", err=True)
            return
        finally:
            server.stop()
    raise CliError(f"Voila stopped by itself with exit code {code}; see its messages above")
