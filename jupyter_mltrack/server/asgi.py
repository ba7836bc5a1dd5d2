"""Build the tracking server from ``MLTRACK_SERVER_*`` environment variables.

``mltrack server --workers N`` hands its settings to uvicorn's worker processes this way, and the
same factory serves any other ASGI deployment::

    MLTRACK_SERVER_BACKEND_STORE_URI=postgresql://mltrack@db/mltrack \\
    MLTRACK_SERVER_ARTIFACTS_DESTINATION=/srv/mltrack-artifacts MLTRACK_SERVER_AUTH=true \\
    uvicorn --factory jupyter_mltrack.server.asgi:create_app_from_env --workers 4

Each worker opens its own connection pool and keeps nothing else between requests, so workers on
one machine or several serve the same database and artifact destination side by side.

==================================================  =============================================
variable                                            meaning (default)
==================================================  =============================================
``MLTRACK_SERVER_BACKEND_STORE_URI``                database URI (``sqlite:///./mltrack/mltrack.db``)
``MLTRACK_SERVER_ARTIFACTS_DESTINATION``            artifact folder or URI (see :func:`default_artifacts_destination`)
``MLTRACK_SERVER_DEFAULT_ARTIFACT_ROOT``            new experiments' ``<root>/<id>``, used directly (unset: proxied)
``MLTRACK_SERVER_AUTH``                             ``true`` to require users or tokens (``false``)
``MLTRACK_SERVER_MAX_UPLOAD_MB``                    largest artifact upload in MiB (``1024``)
``MLTRACK_SERVER_AUTH_CACHE_SECONDS``               how long verified credentials are trusted (``10``)
``MLTRACK_SERVER_AUTH_MAX_FAILURES``                failed logins per user before 429 (``5``; 0: off)
``MLTRACK_SERVER_AUTH_MAX_FAILURES_PER_ADDRESS``    failed logins per client address (``20``)
``MLTRACK_SERVER_AUTH_LOCKOUT_SECONDS``             window of the counts and length of a lockout (``300``)
==================================================  =============================================
"""  # noqa: E501

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_mltrack._validation import parse_number
from jupyter_mltrack.errors import InvalidParameterError

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from jupyter_mltrack.store.sql.store import SqlStore

__all__ = [
    "ENV_PREFIX",
    "ServerSettings",
    "build_app",
    "create_app_from_env",
    "default_artifacts_destination",
    "default_backend_store_uri",
    "prepare_database",
]

ENV_PREFIX = "MLTRACK_SERVER_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def default_backend_store_uri() -> str:
    """Return the embedded store of the working directory: ``./mltrack/mltrack.db``."""
    from jupyter_mltrack.tracking.uri import normalize_tracking_uri

    return normalize_tracking_uri(Path.cwd() / "mltrack")


def default_artifacts_destination(backend_store_uri: str) -> str:
    """Return where artifacts go unless told: the ``artifacts`` folder beside a SQLite file
    (so ``./mltrack/`` holds database and artifacts, as for the embedded store), else
    ``./mltrack/artifacts`` in the working directory."""
    from jupyter_mltrack.store.sql.engine import sqlite_path

    path = sqlite_path(backend_store_uri) if backend_store_uri.startswith("sqlite") else None
    folder = Path(path).resolve().parent if path else Path.cwd() / "mltrack"
    return str(folder / "artifacts")


def _flag(name: str, text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidParameterError(f"{name}={text!r} is not a boolean; use true or false")


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerSettings:
    """Everything a worker needs to build the app, as passed through the environment."""

    backend_store_uri: str
    artifacts_destination: str
    default_artifact_root: str | None = None
    auth: bool = False
    max_upload_mb: float = 1024
    auth_cache_seconds: float = 10.0

    @classmethod
    def resolve(
        cls,
        *,
        backend_store_uri: str | None = None,
        artifacts_destination: str | None = None,
        default_artifact_root: str | None = None,
        auth: bool = False,
        max_upload_mb: float = 1024,
        auth_cache_seconds: float = 10.0,
    ) -> ServerSettings:
        """Fill in the defaults for anything not given."""
        from jupyter_mltrack.server.locations import absolute_if_local
        from jupyter_mltrack.tracking.uri import normalize_tracking_uri

        uri = normalize_tracking_uri(backend_store_uri or default_backend_store_uri())
        if uri.startswith(("http://", "https://")):
            raise InvalidParameterError(
                f"The backend store must be a database, not another server: {uri!r}; "
                "use e.g. sqlite:///mltrack.db or postgresql://user@host/db"
            )
        destination = artifacts_destination or default_artifacts_destination(uri)
        if "://" not in destination:
            destination = os.path.abspath(destination)
        return cls(
            backend_store_uri=uri,
            artifacts_destination=destination,
            default_artifact_root=(
                absolute_if_local(default_artifact_root) if default_artifact_root else None
            ),
            auth=auth,
            max_upload_mb=max_upload_mb,
            auth_cache_seconds=auth_cache_seconds,
        )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ServerSettings:
        """Read the settings from ``MLTRACK_SERVER_*`` variables."""
        env = dict(os.environ if environ is None else environ)

        def get(name: str) -> str | None:
            return env.get(ENV_PREFIX + name) or None

        return cls.resolve(
            backend_store_uri=get("BACKEND_STORE_URI"),
            artifacts_destination=get("ARTIFACTS_DESTINATION"),
            default_artifact_root=get("DEFAULT_ARTIFACT_ROOT"),
            auth=_flag(ENV_PREFIX + "AUTH", get("AUTH") or ""),
            max_upload_mb=parse_number(
                ENV_PREFIX + "MAX_UPLOAD_MB", get("MAX_UPLOAD_MB") or "1024"
            ),
            auth_cache_seconds=parse_number(
                ENV_PREFIX + "AUTH_CACHE_SECONDS", get("AUTH_CACHE_SECONDS") or "10"
            ),
        )

    def to_env(self) -> dict[str, str]:
        """Return the variables that make :meth:`from_env` rebuild these settings."""
        return {
            ENV_PREFIX + "BACKEND_STORE_URI": self.backend_store_uri,
            ENV_PREFIX + "ARTIFACTS_DESTINATION": self.artifacts_destination,
            ENV_PREFIX + "DEFAULT_ARTIFACT_ROOT": self.default_artifact_root or "",
            ENV_PREFIX + "AUTH": "true" if self.auth else "false",
            ENV_PREFIX + "MAX_UPLOAD_MB": repr(self.max_upload_mb),
            ENV_PREFIX + "AUTH_CACHE_SECONDS": repr(self.auth_cache_seconds),
        }


def prepare_database(settings: ServerSettings) -> SqlStore:
    """Open the store once, creating or migrating its schema (and the users tables with auth).

    ``mltrack server`` calls this before it starts any worker, so N workers never race to
    create the same tables in a new database.
    """
    from jupyter_mltrack.server.app import open_server_store

    store = open_server_store(settings.backend_store_uri, settings.default_artifact_root)
    if settings.auth:
        from jupyter_mltrack.server.auth import AuthStore

        AuthStore(store.engine).ensure_tables()
    return store


def build_app(settings: ServerSettings, store: SqlStore | None = None) -> ASGIApp:
    """Return the tracking server app for these settings (on ``store`` if already open)."""
    from jupyter_mltrack.server.app import create_app
    from jupyter_mltrack.server.auth import Authenticator

    store = store or prepare_database(settings)
    auth = None
    if settings.auth:
        auth = Authenticator.for_engine(store.engine, cache_seconds=settings.auth_cache_seconds)
    return create_app(
        store, settings.artifacts_destination, auth, max_upload_mb=settings.max_upload_mb
    )


def create_app_from_env() -> ASGIApp:
    """Return the app configured by ``MLTRACK_SERVER_*`` (the ``uvicorn --factory`` target)."""
    return build_app(ServerSettings.from_env())
