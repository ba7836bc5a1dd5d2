"""The CLI's error boundary: library errors become one-line ``Error: ...`` messages.

Library code raises :class:`~jupyter_mltrack.errors.MltrackError` subclasses; the ``mltrack``
group turns them into :class:`click.ClickException` (printed to stderr, exit code
:data:`EXIT_USER_ERROR`). Usage errors keep click's exit code 2. Anything else is a bug and keeps
its traceback.
"""

from __future__ import annotations

from typing import Any

import click

from jupyter_mltrack.errors import MltrackError

__all__ = ["EXIT_USER_ERROR", "CliError", "MltrackGroup"]

EXIT_USER_ERROR = 1


class CliError(click.ClickException):
    """A user error reported as ``Error: <message>`` with exit code :data:`EXIT_USER_ERROR`."""

    exit_code = EXIT_USER_ERROR


class MltrackGroup(click.Group):
    """A click group that reports library errors raised by any of its subcommands."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MltrackError as exc:
            raise CliError(exc.message) from None
