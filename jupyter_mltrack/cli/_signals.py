"""SIGTERM handled like Ctrl-C by the commands that serve until stopped (dashboard, report)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["Stopped", "stop_on_sigterm"]


class Stopped(Exception):
    """Raised in the main thread when SIGTERM arrives, so cleanup runs as for Ctrl-C."""


@contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into :class:`Stopped` inside the block; restore the old handler after."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Stopped

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
