"""Model URIs: turn a path, ``file://``, ``runs:/`` or ``models:/`` URI into a local path.

Local paths and ``file://`` URIs are built in. Every other scheme is resolved by a function
registered with :func:`register_model_uri_resolver`; this module knows nothing about runs or the
registry. ``jupyter_mltrack.model_logging`` registers ``runs``, the registry registers ``models``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from urllib.parse import unquote, urlparse

from jupyter_mltrack._types import PathLike
from jupyter_mltrack.errors import InvalidParameterError, ModelFormatError

__all__ = [
    "ModelUriResolver",
    "register_model_uri_resolver",
    "resolve_model_uri",
    "uri_scheme",
]

#: ``resolver(uri) -> local path`` of a directory (or file) holding what the URI names.
ModelUriResolver = Callable[[str], str]

_resolvers: dict[str, ModelUriResolver] = {}
_lock = threading.Lock()


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


def resolve_model_uri(uri: PathLike) -> str:
    """Return a local path for a model URI: a local path, ``file://``, or a registered scheme.

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
    with _lock:
        resolver = _resolvers.get(scheme)
    if resolver is None:
        known = ", ".join(["file", *sorted(_resolvers)])
        raise InvalidParameterError(
            f"Cannot load model URI {text!r}: no resolver for the scheme {scheme!r} "
            f"(known: local paths, {known})"
        )
    return resolver(text)


def _existing(path: str, uri: str) -> str:
    if not os.path.exists(path):
        raise ModelFormatError(f"No model at {uri!r}: the path {path!r} does not exist")
    return path
