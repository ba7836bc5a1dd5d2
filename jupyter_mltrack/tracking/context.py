"""Run-context providers: facts about where a run starts, recorded as tags on the run.

A provider answers two questions — "do I apply here?" (:meth:`RunContextProvider.in_context`)
and "which tags?" (:meth:`RunContextProvider.tags`) — and may name the file the run's code lives
in (:meth:`RunContextProvider.source_path`). :func:`resolve_context_tags` works in three steps:

1. Order providers by ``(priority, registration order)`` and keep those in context.
2. The *source path* is the ``source_path()`` of the last kept provider that returns one. The
   built-in git provider captures the repository that holds this file (not the working
   directory); any provider can read it with :func:`resolve_source_path`.
3. Merge the kept providers' tags in order, so later / higher-priority providers override earlier
   ones, then apply the user's tags over all of them.

A provider that raises is logged and skipped: context capture never breaks ``start_run``.
Built-ins (priority :data:`BUILTIN_PRIORITY`): ``user``, ``source``, ``git``, ``python``,
``hostname``; ``unregister_context_provider("git")`` turns git capture off. Packages add
providers through the entry-point group :data:`ENTRY_POINT_GROUP` (a class, factory or instance;
an optional ``priority`` attribute), loaded on the first resolve, never at import.

The notebook layer registers its provider when the extension loads::

    class NotebookContextProvider(RunContextProvider):
        def in_context(self) -> bool:
            return self.path is not None
        def tags(self) -> dict[str, str]:
            return {SOURCE_NAME: self.path, SOURCE_TYPE: "NOTEBOOK"}
        def source_path(self) -> str | None:
            return self.path  # git tags now describe the notebook's repository

    register_context_provider(NotebookContextProvider(), name="notebook")
"""

from __future__ import annotations

import functools
import getpass
import itertools
import logging
import os
import platform
import socket
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass

import jupyter_mltrack.tracking._git as _git
import jupyter_mltrack.tracking._source as _source
import jupyter_mltrack.tracking.tags as t
from jupyter_mltrack.entities import SourceType
from jupyter_mltrack.tracking._git import git_tags

__all__ = [
    "BUILTIN_PRIORITY",
    "DEFAULT_PRIORITY",
    "ENTRY_POINT_GROUP",
    "RunContextProvider",
    "clear_context_cache",
    "current_user",
    "git_tags",
    "list_context_providers",
    "register_context_provider",
    "resolve_context_tags",
    "resolve_source_path",
    "unregister_context_provider",
]

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "jupyter_mltrack.run_context_providers"
BUILTIN_PRIORITY = -100
DEFAULT_PRIORITY = 0


class RunContextProvider(ABC):
    """Contributes tags describing the context a run is started in."""

    @abstractmethod
    def in_context(self) -> bool:
        """Return whether this provider applies to the current process."""

    @abstractmethod
    def tags(self) -> dict[str, str]:
        """Return the tags to set on a new run."""

    def source_path(self) -> str | None:
        """Return the absolute path of the file holding the run's code, or None to abstain."""
        return None


# -- registry -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    provider: RunContextProvider
    priority: int
    seq: int


class _Registry:
    def __init__(self, builtins: Mapping[str, RunContextProvider] | None = None) -> None:
        self._lock = threading.RLock()
        self._seq = itertools.count()
        self._entries: dict[str, _Entry] = {}
        self._ordered: tuple[_Entry, ...] = ()
        self._entry_points_loaded = False
        for name, provider in (builtins or {}).items():
            self.register(provider, name=name, priority=BUILTIN_PRIORITY)

    def register(self, provider: RunContextProvider, *, name: str, priority: int) -> None:
        with self._lock:
            self._entries[name] = _Entry(name, provider, priority, next(self._seq))
            self._ordered = tuple(sorted(self._entries.values(), key=lambda e: (e.priority, e.seq)))

    def unregister(self, name: str) -> bool:
        self.load_entry_points()
        with self._lock:
            removed = self._entries.pop(name, None)
            self._ordered = tuple(e for e in self._ordered if e.name != name)
        return removed is not None

    def ordered(self) -> tuple[_Entry, ...]:
        if not self._entry_points_loaded:
            self.load_entry_points()
        return self._ordered

    def load_entry_points(self) -> None:
        with self._lock:
            if self._entry_points_loaded:
                return
            self._entry_points_loaded = True
            from importlib.metadata import entry_points

            for ep in entry_points(group=ENTRY_POINT_GROUP):
                if ep.name not in self._entries:  # an explicit registration wins
                    self._load_one(ep.name, ep.load, ep.value)

    def _load_one(self, name: str, load: Callable[[], object], value: str) -> None:
        try:
            obj = load()
            provider = obj() if callable(obj) and not isinstance(obj, RunContextProvider) else obj
            priority = int(getattr(provider, "priority", DEFAULT_PRIORITY))
        except Exception:
            logger.warning("Cannot load run context provider %r (%s)", name, value, exc_info=True)
            return
        self.register(provider, name=name, priority=priority)  # type: ignore[arg-type]


def register_context_provider(
    provider: RunContextProvider, *, name: str | None = None, priority: int = DEFAULT_PRIORITY
) -> None:
    """Register ``provider`` (replacing any provider of the same name).

    Args:
        provider: The provider; only its ``in_context``, ``tags`` and ``source_path`` are used.
        name: Registry key, by default the provider's class name.
        priority: Providers with a higher priority are applied later and so override; at equal
            priority the later registration wins. Built-ins use :data:`BUILTIN_PRIORITY`.

    Example:
        >>> register_context_provider(NotebookContextProvider(), name="notebook")
    """
    _registry.register(provider, name=name or type(provider).__name__, priority=priority)


def unregister_context_provider(name: str) -> bool:
    """Remove the provider registered as ``name``; return whether there was one."""
    return _registry.unregister(name)


def list_context_providers() -> list[str]:
    """Return the names of all registered providers in the order they are applied."""
    return [e.name for e in _registry.ordered()]


# -- resolution -----------------------------------------------------------------------------------
# Set while resolve_context_tags runs, so the git provider reads the source path computed once.
_RESOLVING_SOURCE: ContextVar[tuple[str | None] | None] = ContextVar(
    "mltrack_source_path", default=None
)


def _call(entry: _Entry, method: str) -> object:
    try:
        return getattr(entry.provider, method)()
    except Exception:
        logger.warning(
            "Run context provider %r failed in %s(); skipping it", entry.name, method, exc_info=True
        )
        return None


def _active() -> list[_Entry]:
    return [e for e in _registry.ordered() if _call(e, "in_context")]


def _source_of(active: list[_Entry]) -> str | None:
    for entry in reversed(active):
        path = _call(entry, "source_path")
        if isinstance(path, str) and path:
            return path
    return None


def resolve_source_path() -> str | None:
    """Return the file whose git repository is captured: the winning ``source_path()``."""
    during = _RESOLVING_SOURCE.get()
    return during[0] if during is not None else _source_of(_active())


def resolve_context_tags(user_tags: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the tags for a new run: all in-context providers' tags, then ``user_tags``.

    Example:
        >>> resolve_context_tags({"team": "vision"})["mltrack.source.type"]
        'LOCAL'
    """
    active = _active()
    token = _RESOLVING_SOURCE.set((_source_of(active),))
    merged: dict[str, str] = {}
    try:
        for entry in active:
            got = _call(entry, "tags")
            if isinstance(got, Mapping):
                merged.update(got)
            elif got is not None:
                logger.warning("Run context provider %r returned %r, not a dict", entry.name, got)
    finally:
        _RESOLVING_SOURCE.reset(token)
    if user_tags:
        merged.update(user_tags)
    return merged


def clear_context_cache() -> None:
    """Forget cached git and source facts (they are otherwise kept for the process lifetime)."""
    _git.clear_cache()
    _source.clear_cache()


# -- user, python, hostname -----------------------------------------------------------------------
@functools.cache
def _system_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


def current_user() -> str:
    """Return the user recorded on runs: ``$MLTRACK_USER`` or the login name."""
    return os.environ.get("MLTRACK_USER") or _system_user()


class _UserProvider(RunContextProvider):
    def in_context(self) -> bool:
        return True

    def tags(self) -> dict[str, str]:
        return {t.USER: current_user()}


class _ConstantProvider(RunContextProvider):
    def __init__(self, key: str, compute: Callable[[], str]) -> None:
        self._key, self._compute = key, compute

    def in_context(self) -> bool:
        return True

    @functools.cached_property
    def _tags(self) -> dict[str, str]:
        return {self._key: self._compute()}

    def tags(self) -> dict[str, str]:
        return self._tags


# -- source name and type -------------------------------------------------------------------------
class _SourceProvider(RunContextProvider):
    def in_context(self) -> bool:
        return True

    def tags(self) -> dict[str, str]:
        name = (
            os.environ.get("MLTRACK_SOURCE_NAME")
            or _source.detect_source(sys.modules.get("__main__"))[0]
        )
        kind = os.environ.get("MLTRACK_SOURCE_TYPE")
        try:
            source_type = SourceType.parse(kind) if kind else SourceType.LOCAL
        except ValueError:
            logger.warning("Ignoring MLTRACK_SOURCE_TYPE=%r: not a source type", kind)
            source_type = SourceType.LOCAL
        return {t.SOURCE_NAME: name, t.SOURCE_TYPE: source_type.value}

    def source_path(self) -> str | None:
        env = os.environ.get("MLTRACK_SOURCE_NAME")
        if env:
            return _source.existing_file(env)
        return _source.detect_source(sys.modules.get("__main__"))[1]


class _GitProvider(RunContextProvider):
    def in_context(self) -> bool:
        return True

    def tags(self) -> dict[str, str]:
        path = resolve_source_path()
        return git_tags(path) if path else {}


def _builtin_providers() -> dict[str, RunContextProvider]:
    return {
        "user": _UserProvider(),
        "source": _SourceProvider(),
        "git": _GitProvider(),
        "python": _ConstantProvider(t.PYTHON_VERSION, platform.python_version),
        "hostname": _ConstantProvider(t.HOSTNAME, socket.gethostname),
    }


_registry = _Registry(_builtin_providers())
