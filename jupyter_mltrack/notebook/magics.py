"""The ``%%track`` cell magic: argument parsing and the IPython ``Magics`` class."""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass, field
from typing import Any, NoReturn

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, magics_class

__all__ = ["TrackMagics", "TrackOptions", "parse_track_args"]

USAGE = (
    "%%track [--experiment NAME] [--name RUN_NAME] [--param k=v ...] [--tag k=v ...] "
    "[--nested | --no-nested] [--no-autolog] [--no-params] [--no-live] [--system-metrics] "
    "[--save-notebook] [--quiet]"
)


@dataclass(frozen=True)
class TrackOptions:
    """The parsed options of one ``%%track`` line."""

    experiment: str | None = None
    name: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    nested: bool = True
    autolog: bool = True
    capture_params: bool = True
    live: bool = True
    #: None: MLTRACK_ENABLE_SYSTEM_METRICS_LOGGING decides, as for start_run.
    system_metrics: bool | None = None
    save_notebook: bool = False
    quiet: bool = False


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"%%track: {message}. Usage: {USAGE}")


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    return key.strip(), value


def _build_parser() -> _Parser:
    parser = _Parser(prog="%%track", add_help=False, allow_abbrev=False)
    parser.add_argument("--experiment", default=None)
    parser.add_argument("--name", default=None)
    parser.add_argument("--param", action="append", type=_key_value, default=[])
    parser.add_argument("--tag", action="append", type=_key_value, default=[])
    nesting = parser.add_mutually_exclusive_group()
    nesting.add_argument("--nested", dest="nested", action="store_true", default=True)
    nesting.add_argument("--no-nested", dest="nested", action="store_false")
    # None = not given: the session default of %mltrack config applies.
    parser.add_argument("--no-autolog", dest="autolog", action="store_const", const=False)
    parser.add_argument("--no-params", dest="capture_params", action="store_false")
    parser.add_argument("--no-live", dest="live", action="store_const", const=False)
    parser.add_argument("--system-metrics", dest="system_metrics", action="store_const", const=True)
    parser.add_argument("--save-notebook", action="store_const", const=True)
    parser.add_argument("--quiet", action="store_const", const=True)
    return parser


_PARSER = _build_parser()


def parse_track_args(line: str) -> TrackOptions:
    """Parse a ``%%track`` line; bad arguments raise IPython's ``UsageError`` (one line).

    Flags not given take the session defaults set with ``%mltrack config key=value``.

    Example:
        >>> parse_track_args("--name baseline --param lr=0.1").params
        {'lr': '0.1'}
    """
    try:
        argv = shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"%%track: {exc}. Usage: {USAGE}") from None
    ns = _PARSER.parse_args(argv)
    defaults = _session_defaults()
    for key in ("autolog", "live", "save_notebook", "quiet"):
        if getattr(ns, key) is None:
            setattr(ns, key, bool(getattr(defaults, key, getattr(TrackOptions, key))))
    return TrackOptions(
        experiment=ns.experiment,
        name=ns.name,
        params=dict(ns.param),
        tags=dict(ns.tag),
        nested=ns.nested,
        autolog=ns.autolog,
        capture_params=ns.capture_params,
        live=ns.live,
        system_metrics=ns.system_metrics,
        save_notebook=ns.save_notebook,
        quiet=ns.quiet,
    )


def _session_defaults() -> object:
    try:
        from jupyter_mltrack.notebook.config import CONFIG
    except ImportError:
        return TrackOptions()
    return CONFIG


@magics_class
class TrackMagics(Magics):
    """Holds the ``%%track`` magic and what it remembers between cells (for rerun tags)."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        from jupyter_mltrack.notebook.cell_run import CellTracker

        self.tracker = CellTracker(shell)

    @cell_magic
    def track(self, line: str, cell: str) -> Any:
        """Run the cell inside a new run; see ``%%track --help`` in the docs for the options."""
        __tracebackhide__ = True
        options = parse_track_args(line)
        return self.tracker.run(options, cell)
