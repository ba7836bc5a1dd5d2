"""What every autolog integration shares: the run around a training call, safe logging, patches.

Rules every integration follows (the reason this module exists):

* A training call made while a run is active logs into that run (a ``%%track`` cell's run, a
  papermill project's run); a top-level call outside any run gets a run of its own, ended
  FINISHED, or FAILED (KILLED on ``KeyboardInterrupt``) when training raises.
* Logging never breaks training: a failure inside autologging becomes a warning on the
  integration's logger, and the training call still returns its result.
* :func:`suspended` pauses every integration at once (``%%track --no-autolog``).
* Patches are recorded per library so ``autolog(disable=True)`` restores the originals exactly.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from jupyter_mltrack.entities import RunStatus
from jupyter_mltrack.tracking.active import ActiveRun, current_run

__all__ = [
    "ORIGINAL_ATTR",
    "end_run",
    "ensure_run",
    "is_suspended",
    "patch",
    "patched_libraries",
    "safely",
    "set_silent",
    "suspended",
    "training_run",
    "unpatch",
]

logger = logging.getLogger("jupyter_mltrack.autolog")

ORIGINAL_ATTR = "__mltrack_autolog_original__"
_lock = threading.Lock()
_suspended = 0
#: library -> [(owner, attribute name, the value it had in the owner's own __dict__ or None)]
_patches: dict[str, list[tuple[Any, str, Any]]] = {}
_depth: ContextVar[int] = ContextVar("mltrack_autolog_depth", default=0)
#: libraries whose autologging was turned on with ``silent=True``
_silent: set[str] = set()


def set_silent(library: str, silent: bool) -> None:
    """Hide (or show again) the warnings autologging of ``library`` would log."""
    with _lock:
        (_silent.add if silent else _silent.discard)(library)


def _warn(library: str, message: str, *args: Any, exc_info: bool = False) -> None:
    if library not in _silent:
        logger.warning(message, library, *args, exc_info=exc_info)


def safely(library: str, what: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``func``; on any exception log a warning naming the library and return None."""
    try:
        return func(*args, **kwargs)
    except Exception as exc:
        _warn(library, "%s autologging could not %s: %s", what, exc, exc_info=True)
        return None


def ensure_run(library: str) -> tuple[ActiveRun | None, bool]:
    """Return ``(run, owned)``: the active run, or a new one this call must end (owned=True)."""
    run = current_run()
    if run is not None:
        return run, False
    from jupyter_mltrack.tracking.fluent import start_run  # fluent imports this layer's users

    try:
        return start_run(), True
    except Exception as exc:
        _warn(library, "%s autologging could not start a run; not logging: %s", exc)
        return None, False


def end_run(run: ActiveRun, status: RunStatus) -> None:
    """End a run autologging started itself."""
    from jupyter_mltrack.tracking.fluent import end_run_object

    end_run_object(run, status)


@contextlib.contextmanager
def training_run(library: str) -> Iterator[ActiveRun | None]:
    """Wrap one training call: yield the run to log into (None when none could start).

    Nested trainings (a training that trains inside, e.g. a Lightning ``fit`` calling into
    torch) yield None so only the outermost logs.
    """
    if _depth.get() > 0 or _suspended > 0:
        yield None
        return
    token = _depth.set(_depth.get() + 1)
    try:
        run, owned = ensure_run(library)
        try:
            yield run
        except BaseException as exc:
            if owned and run is not None:
                killed = isinstance(exc, KeyboardInterrupt)
                status = RunStatus.KILLED if killed else RunStatus.FAILED
                safely(library, "end the run", end_run, run, status)
            raise
        if owned and run is not None:
            safely(library, "end the run", end_run, run, RunStatus.FINISHED)
    finally:
        _depth.reset(token)


def is_suspended() -> bool:
    """Return True inside :func:`suspended` (in any thread of this process)."""
    return _suspended > 0


@contextlib.contextmanager
def suspended() -> Iterator[None]:
    """Pause every autolog integration of this process for the duration of the block."""
    global _suspended
    with _lock:
        _suspended += 1
    try:
        yield
    finally:
        with _lock:
            _suspended -= 1


def patch(library: str, owner: Any, name: str, make: Callable[[Any], Callable[..., Any]]) -> None:
    """Replace ``owner.name`` with ``make(original)``; patching twice is harmless."""
    own = owner.__dict__.get(name) if hasattr(owner, "__dict__") else None
    current = getattr(owner, name)
    if hasattr(current, ORIGINAL_ATTR):
        return
    wrapper = functools.wraps(current)(make(current))
    setattr(wrapper, ORIGINAL_ATTR, current)
    with _lock:
        _patches.setdefault(library, []).append((owner, name, own))
    setattr(owner, name, wrapper)


def unpatch(library: str) -> None:
    """Restore everything :func:`patch` replaced for ``library``."""
    with _lock:
        entries = _patches.pop(library, [])
    for owner, name, own in reversed(entries):
        if own is None:
            with contextlib.suppress(AttributeError):
                delattr(owner, name)
        else:
            setattr(owner, name, own)


def patched_libraries() -> list[str]:
    """Return the libraries with patches in place, sorted."""
    with _lock:
        return sorted(name for name, entries in _patches.items() if entries)
