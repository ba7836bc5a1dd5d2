"""The ``%mltrack`` line magic: look at and change the tracking state from a notebook.

Library errors are translated to IPython's ``UsageError`` here, at the boundary, so a typo shows a
one-line message and never a traceback from inside the library.
"""

from __future__ import annotations

import html
import re
import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.errors import MltrackError
from jupyter_mltrack.store.redact import redact_uri

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

__all__ = ["USAGE", "mltrack_magic", "register_line_magic"]

USAGE = """\
%mltrack status               tracking URI, current experiment and active runs
%mltrack experiment [NAME]    show or set the experiment new runs go to (created if missing)
%mltrack runs [--experiment NAME] [FILTER]
                              the newest runs of the last %%track cell's experiment (else the
                              current one), e.g. %mltrack runs metrics.acc > 0.9
%mltrack show RUN_ID          a run's info, params, metrics and tags
%mltrack uri [URI]            show or set the tracking URI
%mltrack config [KEY=VALUE]   show or change settings: save_notebook, live, autolog, quiet
%mltrack dashboard [EXPERIMENT] [--read-only]
                              experiments, runs and models in tabs (ipywidgets)
%mltrack help                 this message"""

_MAX_RUNS = 50


def register_line_magic(ipython: InteractiveShell) -> None:
    """Register ``%mltrack`` on ``ipython`` (idempotent)."""
    ipython.magics_manager.register_function(mltrack_magic, magic_kind="line", magic_name="mltrack")


def mltrack_magic(line: str) -> None:
    """Run one ``%mltrack`` subcommand; see :data:`USAGE`."""
    from IPython.core.error import UsageError

    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"%mltrack: {exc}") from None
    if not words:
        words = ["status"]
    command, args = words[0], words[1:]
    handler = _COMMANDS.get(command)
    if handler is None:
        raise UsageError(f"%mltrack: unknown command {command!r}; see %mltrack help")
    try:
        handler(args, line.strip()[len(command) :].strip())
    except MltrackError as exc:
        raise UsageError(f"%mltrack {command}: {_one_line(exc.message)}") from None


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _display(obj: object, *, raw: bool = False) -> None:
    from IPython.display import display

    display(obj, raw=raw)  # type: ignore[no-untyped-call]


def _show_text(text: str) -> None:
    _display({"text/plain": text, "text/html": f"<pre>{html.escape(text)}</pre>"}, raw=True)


def _usage_error(message: str) -> Exception:
    from IPython.core.error import UsageError

    return UsageError(f"%mltrack: {message}")


def _expect(args: list[str], most: int, command: str) -> None:
    if len(args) > most:
        raise _usage_error(f"{command} takes at most {most} argument(s), got {len(args)}")


# -- subcommands -------------------------------------------------------------------------------
def _status(args: list[str], _raw: str) -> None:
    from jupyter_mltrack.tracking.active import current_stack
    from jupyter_mltrack.tracking.client import TrackingClient
    from jupyter_mltrack.tracking.fluent_experiments import current_experiment_id

    _expect(args, 0, "status")
    client = TrackingClient()
    experiment = client.get_experiment(current_experiment_id(client))
    runs = [f"  {run.run_id}" for run in current_stack()] or ["  (none)"]
    _show_text(
        "\n".join(
            [
                f"tracking URI: {redact_uri(client.tracking_uri)}",
                f"experiment:   {experiment.name} (id {experiment.experiment_id})",
                "active runs:",
                *runs,
            ]
        )
    )


def _experiment(args: list[str], _raw: str) -> None:
    from jupyter_mltrack.tracking.client import TrackingClient
    from jupyter_mltrack.tracking.fluent_experiments import current_experiment_id, set_experiment

    _expect(args, 1, "experiment")
    if args:
        experiment = set_experiment(args[0])
    else:
        client = TrackingClient()
        experiment = client.get_experiment(current_experiment_id(client))
    _show_text(f"experiment: {experiment.name} (id {experiment.experiment_id})")


def _runs(args: list[str], raw: str) -> None:
    from jupyter_mltrack.notebook.runs_html import RunsListing, runs_html, runs_text

    experiment_name, filter_string = _runs_args(args, raw)
    client, experiment = _runs_experiment(experiment_name)
    found = client.search_runs(
        [experiment.experiment_id],
        filter_string,
        max_results=_MAX_RUNS + 1,
        order_by=["start_time DESC"],
    )
    listing = RunsListing(
        experiment_name=experiment.name,
        experiment_id=experiment.experiment_id,
        runs=list(found)[:_MAX_RUNS],
        filter_string=filter_string,
        truncated=len(found) > _MAX_RUNS,
    )
    if not listing.runs:
        where = f" match {filter_string!r}" if filter_string else ""
        _show_text(f"no runs{where} in experiment '{experiment.name}'")
        return
    _display({"text/plain": runs_text(listing), "text/html": runs_html(listing)}, raw=True)


_EXPERIMENT_OPTION = re.compile(r"""^--experiment\s+(?:'([^']*)'|"([^"]*)"|(\S+))\s*(.*)$""", re.S)


def _runs_args(args: list[str], raw: str) -> tuple[str | None, str]:
    """Split ``[--experiment NAME] [FILTER]``; the filter is the rest of the raw line."""
    if not args or args[0] != "--experiment":
        return None, raw
    match = _EXPERIMENT_OPTION.match(raw)
    if match is None:
        raise _usage_error("runs --experiment takes a NAME, e.g. %mltrack runs --experiment churn")
    single, double, bare, rest = match.groups()
    return next(v for v in (single, double, bare) if v is not None), rest.strip()


def _runs_experiment(name: str | None) -> tuple[Any, Any]:
    """The experiment to list: the one named, else the last ``%%track`` cell's, else current."""
    from jupyter_mltrack.errors import ExperimentNotFound
    from jupyter_mltrack.tracking.client import TrackingClient
    from jupyter_mltrack.tracking.fluent_experiments import current_experiment_id

    client = TrackingClient()
    if name is not None:
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            raise _usage_error(f"runs: no experiment named {name!r}")
        return client, experiment
    tracked = _last_tracked_experiment()
    if tracked is not None:
        try:
            return client, client.get_experiment(tracked)
        except ExperimentNotFound:
            pass  # another store since, or deleted: fall back to the current experiment
    return client, client.get_experiment(current_experiment_id(client))


def _last_tracked_experiment() -> str | None:
    from IPython import get_ipython

    shell = get_ipython()
    magics = shell.magics_manager.registry.get("TrackMagics") if shell is not None else None
    tracker = getattr(magics, "tracker", None)
    return getattr(tracker, "last_experiment_id", None)


def _show(args: list[str], _raw: str) -> None:
    from jupyter_mltrack.tracking.fluent import get_run

    if len(args) != 1:
        raise _usage_error("show takes one RUN_ID, e.g. %mltrack show 1a2b3c")
    _display(get_run(args[0]))


def _uri(args: list[str], _raw: str) -> None:
    from jupyter_mltrack.tracking.uri import get_tracking_uri, set_tracking_uri

    _expect(args, 1, "uri")
    if args:
        set_tracking_uri(args[0])
    _show_text(f"tracking URI: {redact_uri(get_tracking_uri())}")


def _config(args: list[str], _raw: str) -> None:
    from jupyter_mltrack.notebook.config import CONFIG

    for arg in args:
        key, sep, value = arg.partition("=")
        if not sep:
            raise _usage_error(f"config takes KEY=VALUE, got {arg!r}, e.g. live=false")
        CONFIG.set(key.strip(), value.strip())
    _show_text(
        "\n".join(f"{key} = {str(value).lower()}" for key, value in CONFIG.as_dict().items())
    )


def _dashboard(args: list[str], _raw: str) -> None:
    try:
        from jupyter_mltrack.widgets.dashboard import Dashboard
    except ImportError as exc:
        raise _usage_error(
            f"dashboard needs ipywidgets and plotly ({exc}); pip install 'jupyter_mltrack[widgets]'"
        ) from None
    read_only = "--read-only" in args
    rest = [a for a in args if a != "--read-only"]
    unknown = [a for a in rest if a.startswith("--")]
    if unknown:
        raise _usage_error(f"dashboard does not know {unknown[0]!r}; it takes --read-only")
    _expect(rest, 1, "dashboard")
    _display(Dashboard(experiment=rest[0] if rest else None, read_only=read_only))


def _help(args: list[str], _raw: str) -> None:
    _show_text(USAGE)


_COMMANDS: dict[str, Callable[[list[str], str], None]] = {
    "status": _status,
    "experiment": _experiment,
    "runs": _runs,
    "show": _show,
    "uri": _uri,
    "config": _config,
    "dashboard": _dashboard,
    "help": _help,
}
