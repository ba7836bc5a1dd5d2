"""Tracking-store registry: the URI scheme decides the store class.

Built-in schemes map to import paths resolved on first use; third-party stores register through
the ``jupyter_mltrack.tracking_stores`` entry-point group (loaded lazily, on the first unknown
scheme). Stores are cached per URI so every client in a process shares one connection pool.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from importlib.metadata import entry_points

from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.store.base import TrackingStore

StoreFactory = Callable[[str], TrackingStore]

_SQL = "jupyter_mltrack.store.sql.store:SqlStore"
_REST = "jupyter_mltrack.store.rest.store:RestStore"
_BUILTIN: dict[str, str] = {
    "sqlite": _SQL,
    "postgresql": _SQL,
    "postgres": _SQL,
    "mysql": _SQL,
    "mariadb": _SQL,
    "http": _REST,
    "https": _REST,
}
_factories: dict[str, StoreFactory] = {}
_stores: dict[str, TrackingStore] = {}
_lock = threading.RLock()
_entry_points_loaded = False


def register_tracking_store(scheme: str, factory: StoreFactory) -> None:
    """Make ``factory(uri)`` build the store for URIs of ``scheme``."""
    with _lock:
        _factories[scheme] = factory


def _scheme_of(uri: str) -> str:
    if "://" not in uri:
        raise InvalidParameterError(
            f"Tracking URI {uri!r} has no scheme; use e.g. 'sqlite:///path/mltrack.db', "
            "'postgresql://user@host/db', 'mysql+pymysql://user@host/db' or 'http://host:5000'"
        )
    return uri.split("://", 1)[0].split("+", 1)[0].lower()


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for ep in entry_points(group="jupyter_mltrack.tracking_stores"):
        _factories.setdefault(ep.name, ep.load())


def _factory_for(scheme: str) -> StoreFactory:
    if scheme in _factories:
        return _factories[scheme]
    if scheme in _BUILTIN:
        module, _, name = _BUILTIN[scheme].partition(":")
        factory: StoreFactory = getattr(importlib.import_module(module), name)
        _factories[scheme] = factory
        return factory
    _load_entry_points()
    if scheme in _factories:
        return _factories[scheme]
    known = ", ".join(sorted({*_BUILTIN, *_factories}))
    raise InvalidParameterError(
        f"No tracking store for URI scheme {scheme!r}; supported schemes: {known}"
    )


def get_tracking_store(uri: str) -> TrackingStore:
    """Return the (cached) store for a tracking URI, creating it on first use."""
    with _lock:
        store = _stores.get(uri)
        if store is None:
            store = _factory_for(_scheme_of(uri))(uri)
            _stores[uri] = store
        return store


def clear_store_cache() -> None:
    """Close and forget every cached store (tests, and after a fork)."""
    with _lock:
        for store in _stores.values():
            store.close()
        _stores.clear()
