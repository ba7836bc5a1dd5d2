"""In-process listeners on the fluent logging path (live plots without polling the store).

A listener is called synchronously, in the logging thread, with ``(run_id, kind, payload)``:

- ``kind == "metric"``: ``payload`` is ``(key, value, step, timestamp)``
- ``kind == "param"``: ``payload`` is ``(key, value)``
- ``kind == "tag"``: ``payload`` is ``(key, value)``

The registry is a tuple replaced on change, so the hot path pays one truthiness test when no
listener is registered and never takes a lock.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "ListenerHandle",
    "LoggingListener",
    "add_logging_listener",
    "remove_logging_listener",
]

logger = logging.getLogger(__name__)

EventKind = Literal["metric", "param", "tag"]
LoggingListener = Callable[[str, str, tuple[Any, ...]], object]

_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class ListenerHandle:
    """What :func:`add_logging_listener` returns; pass it to :func:`remove_logging_listener`."""

    id: int
    callback: LoggingListener = field(compare=False)

    def remove(self) -> None:
        """Unregister this listener (same as ``remove_logging_listener(handle)``)."""
        remove_logging_listener(self)


#: The registered listeners; read without a lock on the hot path.
LISTENERS: tuple[ListenerHandle, ...] = ()
_failed: set[int] = set()


def add_logging_listener(callback: LoggingListener) -> ListenerHandle:
    """Call ``callback(run_id, kind, payload)`` for every fluent metric, param and tag.

    Example:
        >>> from jupyter_mltrack.tracking import add_logging_listener
        >>> seen = []
        >>> handle = add_logging_listener(lambda run_id, kind, payload: seen.append(payload))
        >>> handle.remove()
    """
    global LISTENERS
    if not callable(callback):
        raise TypeError(f"A logging listener must be callable, got {callback!r}")
    handle = ListenerHandle(next(_ids), callback)
    LISTENERS = (*LISTENERS, handle)
    return handle


def remove_logging_listener(handle: ListenerHandle) -> None:
    """Unregister a listener; removing one that is not registered does nothing.

    Example:
        >>> from jupyter_mltrack.tracking import add_logging_listener, remove_logging_listener
        >>> handle = add_logging_listener(print)
        >>> remove_logging_listener(handle)
    """
    global LISTENERS
    LISTENERS = tuple(h for h in LISTENERS if h != handle)
    _failed.discard(handle.id)


def notify(run_id: str, kind: EventKind, payload: tuple[Any, ...]) -> None:
    """Call every listener; a failing listener is logged once and never breaks logging."""
    for handle in LISTENERS:
        try:
            handle.callback(run_id, kind, payload)
        except Exception:
            # A broken live plot must not stop a training loop; say so once per listener.
            if handle.id not in _failed:
                _failed.add(handle.id)
                logger.exception(
                    "Logging listener %r raised; further errors from it are not reported",
                    handle.callback,
                )


def _reset() -> None:
    global LISTENERS
    LISTENERS = ()
    _failed.clear()
