"""SIGTERM handled like Ctrl-C by ``mltrack run``, with the exit codes a shell reports.

A service manager, a batch scheduler or ``docker stop`` sends SIGTERM, and Python's default
is to die at once, leaving the run RUNNING and the kernel orphaned. Raised in the main thread
as a ``KeyboardInterrupt``, it takes the cleanup path Ctrl-C takes: the kernel's process group
is killed and the run ends KILLED. The command then exits 130 after Ctrl-C, 143 after SIGTERM.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import click

__all__ = ["exit_on_interrupt"]


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread."""


@contextmanager
def exit_on_interrupt() -> Iterator[None]:
    """Turn SIGTERM into an interrupt during the block; exit 130 (Ctrl-C) or 143 (SIGTERM)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        # Once: a second SIGTERM must not interrupt the cleanup the first one started.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, _Terminated)
        what = "Terminated (SIGTERM)" if terminated else "Interrupted"
        click.echo(f"\n{what}: the run was marked KILLED", err=True)
        raise SystemExit(143 if terminated else 130) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
