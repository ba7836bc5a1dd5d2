"""``mltrack report``: a read-only page on one model version for stakeholders (Voila or HTML)."""

from __future__ import annotations

import sys

import click

from jupyter_mltrack.cli._errors import CliError
from jupyter_mltrack.cli._signals import Stopped, stop_on_sigterm

__all__ = ["report"]


@click.command()
@click.argument("model_uri", metavar="MODEL_URI")
@click.option(
    "--tracking-uri",
    metavar="URI",
    help="Store to read (default: mltrack's --tracking-uri, MLTRACK_TRACKING_URI or ./mltrack).",
)
@click.option(
    "--output",
    "-o",
    metavar="FILE",
    help="Write the report as one self-contained HTML file (opens offline) instead of serving.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option(
    "--port",
    default=8867,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to serve on; it must be free.",
)
def report(
    model_uri: str, tracking_uri: str | None, output: str | None, host: str, port: int
) -> None:
    """Serve (or write) the report of a registered model version, e.g. models:/churn@champion.

    The page shows the model's description, aliases and stage, its headline metrics against the
    version that held the same alias or stage before (changes coloured by direction), the
    evaluation plots logged with it, its input signature, its lineage (run, experiment,
    notebook, git commit, training params) and its promotion history with the evidence.
    Read-only, with no server paths. With --output, nothing is served: the same page is written
    to FILE. An unknown model or store is reported before anything starts.
    """
    # Upward on purpose (docs/architecture.md): the static report is the app's own page.
    from jupyter_mltrack.apps.report import gather_model_report, write_static_report
    from jupyter_mltrack.tracking.uri import get_tracking_uri, normalize_tracking_uri

    # The kernel runs in another directory: hand it an absolute URI, never a relative default.
    uri = normalize_tracking_uri(tracking_uri) if tracking_uri else get_tracking_uri()
    if output is not None:
        path = write_static_report(model_uri, output, tracking_uri=uri)
        click.echo(f"Wrote the report of {model_uri} to {path}")
        return
    facts = gather_model_report(model_uri, uri)  # fails here, before Voila, when unknown
    _serve(model_uri, uri, host, port, f"{facts.version.name} v{facts.version.version}")


def _serve(model_uri: str, tracking_uri: str, host: str, port: int, what: str) -> None:
    # Upward on purpose (docs/architecture.md): this command launches the packaged app.
    from jupyter_mltrack.apps import ENV_TRACKING_URI
    from jupyter_mltrack.apps.report import ENV_MODEL_URI, REPORT_NOTEBOOK
    from jupyter_mltrack.apps.voila import VoilaServer, check_port_free, require_voila

    require_voila()
    check_port_free(host, port)
    env = {ENV_TRACKING_URI: tracking_uri, ENV_MODEL_URI: model_uri}
    server = VoilaServer(REPORT_NOTEBOOK, host=host, port=port, env=env)
    with stop_on_sigterm():
        try:
            server.start()
            click.echo(f"Serving the report of {what} at {server.url}")
            click.echo("Press Ctrl-C to stop.")
            sys.stdout.flush()
            code = server.wait()
        except (KeyboardInterrupt, Stopped):
            click.echo("Stopping the report and its kernels...", err=True)
            return
        finally:
            server.stop()
    raise CliError(f"Voila stopped by itself with exit code {code}; see its messages above")
