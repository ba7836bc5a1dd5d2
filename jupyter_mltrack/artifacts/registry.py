"""Which ArtifactRepository serves a URI: a small registry keyed by URI scheme.

Lookup order for a scheme:

1. factories registered with :func:`register_artifact_repository`;
2. entry points of the group ``jupyter_mltrack.artifact_repositories`` (name = scheme, value =
   a factory taking the URI), read on the first lookup and each loaded only when its scheme is
   asked for;
3. the built-ins: no scheme or ``file`` -> :class:`LocalArtifactRepository`; ``http``,
   ``https`` and ``mlflow-artifacts`` (a tracking server's artifact proxy) ->
   :class:`~jupyter_mltrack.artifacts.http_repo.HttpArtifactRepository`; anything else ->
   :class:`FsspecArtifactRepository` (which refuses schemes fsspec does not know).

Nothing is registered as an import side effect.
"""

from __future__ import annotations

import posixpath
import re
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias

from jupyter_mltrack._validation import validate_artifact_path
from jupyter_mltrack.artifacts.base import ArtifactRepository
from jupyter_mltrack.artifacts.fsspec_repo import FsspecArtifactRepository
from jupyter_mltrack.artifacts.local import LocalArtifactRepository
from jupyter_mltrack.errors import InvalidParameterError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

__all__ = [
    "ENTRY_POINT_GROUP",
    "ArtifactRepositoryFactory",
    "get_artifact_repository",
    "register_artifact_repository",
    "resolve_uri",
    "uri_scheme",
]

ENTRY_POINT_GROUP = "jupyter_mltrack.artifact_repositories"

#: Anything that builds a repository from an artifact URI; a repository class qualifies.
ArtifactRepositoryFactory: TypeAlias = Callable[[str], ArtifactRepository]

_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.\-]*$")
_LOCAL_SCHEMES = frozenset({"", "file"})
_HTTP_SCHEMES = frozenset({"http", "https"})
_PROXY_SCHEME = "mlflow-artifacts"

_registered: dict[str, ArtifactRepositoryFactory] = {}
_entry_points: dict[str, EntryPoint] | None = None


def register_artifact_repository(scheme: str, factory: ArtifactRepositoryFactory) -> None:
    """Serve URIs of ``scheme`` with ``factory``, replacing any earlier choice for it.

    Args:
        scheme: A URI scheme such as ``"s3"`` (``"s3://"`` is accepted too).
        factory: A callable taking the artifact URI and returning an ArtifactRepository.

    Example:
        >>> register_artifact_repository("mystore", MyStoreRepository)  # doctest: +SKIP
    """
    if not callable(factory):
        raise InvalidParameterError(
            f"Artifact repository factory must be callable, got {factory!r}"
        )
    _registered[_normalise_scheme(scheme)] = factory


def get_artifact_repository(uri: str, *, tracking_uri: str | None = None) -> ArtifactRepository:
    """Return the repository for an artifact root URI.

    Args:
        uri: A local path, ``file://`` URI, or a URI such as ``s3://bucket/1/<run_id>/artifacts``.
        tracking_uri: The tracking server that ``mlflow-artifacts:/`` URIs resolve against
            (default: the current tracking URI).

    Raises:
        InvalidParameterError: No repository handles the URI's scheme.
        MissingDependencyError: The scheme needs a driver package that is not installed.

    Example:
        >>> repo = get_artifact_repository("memory://bucket/1/abc/artifacts")
        >>> type(repo).__name__
        'FsspecArtifactRepository'
    """
    if not isinstance(uri, str) or not uri:
        raise InvalidParameterError(f"Artifact URI must be a non-empty string, got {uri!r}")
    scheme = uri_scheme(uri)
    if scheme == _PROXY_SCHEME and scheme not in _registered:
        from jupyter_mltrack.artifacts.http_repo import resolve_mlflow_artifacts_uri

        uri, scheme = resolve_mlflow_artifacts_uri(uri, tracking_uri), "http"
    return _factory_for(scheme)(uri)


def uri_scheme(uri: str) -> str:
    """Return the lower-case scheme of ``uri``; ``""`` for plain paths, Windows drives included."""
    scheme = urllib.parse.urlsplit(uri).scheme.lower()
    return "" if len(scheme) == 1 else scheme


def resolve_uri(base_uri: str, *parts: str) -> str:
    """Join relative artifact path parts onto an artifact URI, keeping its scheme.

    Parts go through ``validate_artifact_path``, so the result never escapes ``base_uri``.

    Example:
        >>> resolve_uri("s3://bucket/1/abc/artifacts", "model", "MLmodel")
        's3://bucket/1/abc/artifacts/model/MLmodel'
    """
    rel = validate_artifact_path(posixpath.join("", *parts))
    if not rel:
        return base_uri
    return f"{base_uri}{rel}" if base_uri.endswith("/") else f"{base_uri}/{rel}"


def _factory_for(scheme: str) -> ArtifactRepositoryFactory:
    factory = _registered.get(scheme)
    if factory is not None:
        return factory
    entry_point = _entry_point_table().get(scheme)
    if entry_point is not None:
        loaded: ArtifactRepositoryFactory = entry_point.load()
        _registered.setdefault(scheme, loaded)
        return _registered[scheme]
    if scheme in _HTTP_SCHEMES:
        from jupyter_mltrack.artifacts.http_repo import HttpArtifactRepository

        return HttpArtifactRepository
    return LocalArtifactRepository if scheme in _LOCAL_SCHEMES else FsspecArtifactRepository


def _entry_point_table() -> dict[str, EntryPoint]:
    global _entry_points
    if _entry_points is None:
        from importlib.metadata import entry_points  # costs ~20 ms; only on the first lookup

        found = entry_points(group=ENTRY_POINT_GROUP)
        _entry_points = {ep.name.lower(): ep for ep in found}
    return _entry_points


def _normalise_scheme(scheme: str) -> str:
    name = scheme.lower().removesuffix("://").removesuffix(":") if isinstance(scheme, str) else None
    if name is None or (name and not _SCHEME_RE.match(name)):
        raise InvalidParameterError(
            f"Artifact repository scheme {scheme!r} is not a URI scheme like 's3' or 'gs'"
        )
    return name
