"""Model URIs: turn a path, ``file://``, ``runs:/`` or ``models:/`` URI into a local path.

Local paths and ``file://`` URIs are built in. Every other scheme goes to the one resolver of that
scheme, found in a small registry keyed by scheme name and filled lazily, like the store registry:

1. resolvers registered with :func:`register_model_uri_resolver`;
2. the built-in schemes, written as ``"module:function"`` and imported on first use: ``runs``
   (:func:`jupyter_mltrack.tracking.runs_uri.resolve_runs_uri`) and ``models``
   (:func:`jupyter_mltrack.registry.uri.resolve_models_uri`);
3. the ``jupyter_mltrack.model_uri_resolvers`` entry-point group, loaded on the first unknown
   scheme.

So this module, and everything in ``models/``, never imports the tracking or registry layers that
resolve those URIs, and nobody has to register anything before loading a model.
"""

from __future__ import annotations

import importlib
import os
import threading
from importlib.metadata import entry_points
from typing import Protocol
from urllib.parse import unquote, urlparse

from jupyter_mltrack._types import PathLike
from jupyter_mltrack.errors import InvalidParameterError, ModelFormatError

__all__ = [
    "ENTRY_POINT_GROUP",
    "ModelUriResolver",
    "register_model_uri_resolver",
    "resolve_model_uri",
    "split_runs_uri",
    "uri_scheme",
]

ENTRY_POINT_GROUP = "jupyter_mltrack.model_uri_resolvers"


class ModelUriResolver(Protocol):
    """``resolver(uri, tracking_uri=None) -> local path`` of what the URI names.

    ``tracking_uri`` names the tracking server or store to ask (None: the current one); resolvers
    of schemes that need none ignore it.
    """

    def __call__(self, uri: str, *, tracking_uri: str | None = None) -> str: ...


#: The built-in schemes: ``scheme -> "module:function"``, imported on first use.
_BUILTIN: dict[str, str] = {
    "runs": "jupyter_mltrack.tracking.runs_uri:resolve_runs_uri",
    "models": "jupyter_mltrack.registry.uri:resolve_models_uri",
}
_resolvers: dict[str, ModelUriResolver] = {}
_lock = threading.Lock()
_entry_points_loaded = False


def register_model_uri_resolver(scheme: str, resolver: ModelUriResolver) -> None:
    """Make ``resolve_model_uri`` send URIs of ``scheme`` (e.g. ``"runs"``) to ``resolver``.

    Registering a scheme again replaces its resolver.

    Example:
        >>> register_model_uri_resolver("runs", download_run_model)  # doctest: +SKIP
    """
    if not scheme or not scheme.isidentifier():
        raise InvalidParameterError(f"Model URI scheme must be a word like 'runs', got {scheme!r}")
    with _lock:
        _resolvers[scheme.lower()] = resolver


def uri_scheme(uri: str) -> str:
    """Return the lower-case scheme of ``uri``, or ``""`` for a plain local path."""
    if "://" not in uri and ":/" not in uri:
        return ""
    scheme = uri.split(":", 1)[0]
    # A one-letter "scheme" is a Windows drive letter (C:/models/m), i.e. a local path.
    return scheme.lower() if len(scheme) > 1 and scheme.isidentifier() else ""


def resolve_model_uri(uri: PathLike, *, tracking_uri: str | None = None) -> str:
    """Return a local path for a model URI: a local path, ``file://``, or a known scheme.

    ``tracking_uri`` is handed to the scheme's resolver (``runs:/`` and ``models:/`` ask that
    tracking URI; None means the current one).

    Raises:
        InvalidParameterError: The URI's scheme has no resolver.
        ModelFormatError: A local path does not exist.

    Example:
        >>> resolve_model_uri("file:///tmp/model")  # doctest: +SKIP
        '/tmp/model'
    """
    text = os.fspath(uri)
    scheme = uri_scheme(text)
    if scheme == "":
        return _existing(os.path.abspath(os.path.expanduser(text)), text)
    if scheme == "file":
        return _existing(unquote(urlparse(text).path), text)
    return _resolver_for(scheme, text)(text, tracking_uri=tracking_uri)


def split_runs_uri(uri: str) -> tuple[str, str]:
    """Return ``(run_id, artifact_path)`` of a ``runs:/<run_id>/<path>`` URI (the path may be "").

    Example:
        >>> split_runs_uri("runs:/0f3c/model/")
        ('0f3c', 'model')
    """
    run_id, _, path = uri[len("runs:") :].lstrip("/").partition("/")
    if not run_id:
        raise InvalidParameterError(
            f"Invalid runs URI {uri!r}; expected 'runs:/<run_id>/<artifact path>'"
        )
    return run_id, path.strip("/")


def _resolver_for(scheme: str, uri: str) -> ModelUriResolver:
    with _lock:
        resolver = _resolvers.get(scheme)
        if resolver is None and scheme in _BUILTIN:
            module, _, name = _BUILTIN[scheme].partition(":")
            resolver = _resolvers[scheme] = getattr(importlib.import_module(module), name)
        if resolver is None:
            _load_entry_points()
            resolver = _resolvers.get(scheme)
        known = ", ".join(["file", *sorted({*_BUILTIN, *_resolvers})])
    if resolver is None:
        raise InvalidParameterError(
            f"Cannot load model URI {uri!r}: no resolver for the scheme {scheme!r} "
            f"(known: local paths, {known}); a package adds one through the "
            f"{ENTRY_POINT_GROUP!r} entry-point group or register_model_uri_resolver"
        )
    return resolver


def _load_entry_points() -> None:
    """Add the resolvers of the entry-point group (once; a registered scheme keeps its own)."""
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        _resolvers.setdefault(ep.name.lower(), ep.load())


def _existing(path: str, uri: str) -> str:
    if not os.path.exists(path):
        raise ModelFormatError(f"No model at {uri!r}: the path {path!r} does not exist")
    return path
