"""Where the fluent API and a default ``TrackingClient`` log to: the current tracking URI.

It lives in the store layer, next to the registry that turns a URI into a store, so the layers
that need the current URI (artifact repositories behind a tracking server, the tracking layer)
read it from below; :mod:`jupyter_mltrack.tracking.uri` re-exports it.

Resolution order: :func:`set_tracking_uri` > env ``MLTRACK_TRACKING_URI`` > the embedded default
``sqlite:///<cwd>/mltrack/mltrack.db`` (the working directory is read once, at first use; the
folder itself is created by the store when it opens, never here).

Plain paths are accepted wherever a URI is: a path ending in ``.db``/``.sqlite``/``.sqlite3``
names the SQLite file, any other path names a folder that holds ``mltrack.db``.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from jupyter_mltrack._types import PathLike
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.store.redact import redact_uri

__all__ = [
    "DEFAULT_EXPERIMENT_ID",
    "DEFAULT_EXPERIMENT_NAME",
    "ENV_EXPERIMENT_ID",
    "ENV_EXPERIMENT_NAME",
    "ENV_TRACKING_URI",
    "env_experiment",
    "get_tracking_uri",
    "is_tracking_uri_set",
    "normalize_tracking_uri",
    "set_tracking_uri",
]

ENV_TRACKING_URI = "MLTRACK_TRACKING_URI"
ENV_EXPERIMENT_NAME = "MLTRACK_EXPERIMENT_NAME"
ENV_EXPERIMENT_ID = "MLTRACK_EXPERIMENT_ID"
DEFAULT_EXPERIMENT_NAME = "Default"
DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_FOLDER = "mltrack"
DEFAULT_DB_FILE = "mltrack.db"

_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")

_lock = threading.Lock()
_explicit_uri: str | None = None
_default_uri: str | None = None


def normalize_tracking_uri(uri: PathLike) -> str:
    """Return ``uri`` as a store URI: plain paths and ``file:`` URIs become ``sqlite:///`` ones.

    Relative SQLite paths are made absolute so a later ``os.chdir`` does not switch databases.

    Example:
        >>> normalize_tracking_uri("/tmp/runs.db")
        'sqlite:////tmp/runs.db'
    """
    text = os.fspath(uri) if isinstance(uri, (str, os.PathLike)) else None
    if not isinstance(text, str) or not text.strip():
        raise InvalidParameterError(
            f"Tracking URI must be a non-empty string or path, got {uri!r}; "
            "e.g. 'sqlite:///mltrack.db', 'postgresql://user@host/db' or 'http://host:5000'"
        )
    text = text.strip()
    match = _SCHEME_RE.match(text)
    # A one-letter "scheme" is a Windows drive letter, not a scheme.
    if match is None or len(match.group(1)) == 1:
        return _path_to_sqlite_uri(Path(text))
    scheme = match.group(1).lower()
    if scheme == "file":
        return _path_to_sqlite_uri(Path(_file_uri_path(text)))
    if scheme == "sqlite":
        return _absolute_sqlite_uri(text)
    return text


def set_tracking_uri(uri: PathLike) -> None:
    """Set the tracking URI for this process (the fluent API and new ``TrackingClient`` objects).

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.set_tracking_uri("sqlite:///experiments.db")
    """
    global _explicit_uri
    normalized = normalize_tracking_uri(uri)
    with _lock:
        _explicit_uri = normalized


def get_tracking_uri() -> str:
    """Return the tracking URI in effect: explicit, then ``MLTRACK_TRACKING_URI``, then default.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.get_tracking_uri()  # doctest: +SKIP
        'sqlite:////home/me/project/mltrack/mltrack.db'
    """
    global _default_uri
    explicit = _explicit_uri
    if explicit is not None:
        return explicit
    from_env = os.environ.get(ENV_TRACKING_URI, "").strip()
    if from_env:
        return normalize_tracking_uri(from_env)
    with _lock:
        if _default_uri is None:
            _default_uri = _path_to_sqlite_uri(Path.cwd() / DEFAULT_FOLDER)
        return _default_uri


def is_tracking_uri_set() -> bool:
    """Return True if a URI was set explicitly or through ``MLTRACK_TRACKING_URI``."""
    return _explicit_uri is not None or bool(os.environ.get(ENV_TRACKING_URI, "").strip())


def env_experiment() -> tuple[str | None, str | None]:
    """Return ``(experiment_id, experiment_name)`` from ``MLTRACK_EXPERIMENT_ID``/``_NAME``."""
    exp_id = os.environ.get(ENV_EXPERIMENT_ID, "").strip() or None
    exp_name = os.environ.get(ENV_EXPERIMENT_NAME, "").strip() or None
    return exp_id, exp_name


def _reset() -> None:
    """Forget the explicit and the cached default URI (tests and forked children)."""
    global _explicit_uri, _default_uri
    with _lock:
        _explicit_uri = None
        _default_uri = None


def _path_to_sqlite_uri(path: Path) -> str:
    path = path.expanduser()
    if path.suffix.lower() not in _SQLITE_SUFFIXES:
        path = path / DEFAULT_DB_FILE
    return f"sqlite:///{path.absolute().as_posix()}"


def _file_uri_path(uri: str) -> str:
    from urllib.parse import unquote, urlparse

    parsed = urlparse(uri)
    if parsed.netloc not in ("", "localhost"):
        raise InvalidParameterError(
            f"Tracking URI {redact_uri(uri)!r} names a remote host; use a local path or a "
            "server URL"
        )
    return unquote(parsed.path)


def _absolute_sqlite_uri(uri: str) -> str:
    prefix = "sqlite:///"
    if not uri.lower().startswith(prefix):
        return uri  # "sqlite://" is an in-memory database
    rest = uri[len(prefix) :]
    path, sep, query = rest.partition("?")
    if not path or path == ":memory:" or path.startswith("file:") or Path(path).is_absolute():
        return uri
    absolute = Path(path).expanduser().absolute().as_posix()
    return f"{prefix}{absolute}{sep}{query}"
