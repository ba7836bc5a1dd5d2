"""The tracking server's ASGI app: MLflow's REST API 2.0 over a tracking store.

:func:`create_app` collects ``routes(ctx)`` from every module in :data:`ROUTE_MODULES`, installs
the error handlers that turn exceptions into MLflow's error JSON, and wraps the app in the
authentication middleware when one is given. The app keeps no state between requests, so any
number of workers (processes or machines) can serve one database store.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any, Protocol

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import Response

from jupyter_mltrack.errors import InvalidParameterError, MltrackError
from jupyter_mltrack.server._http import error_response
from jupyter_mltrack.server.artifact_root import ArtifactRoot
from jupyter_mltrack.server.context import DEFAULT_MAX_JSON_BYTES, ServerContext

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.routing import BaseRoute
    from starlette.types import ASGIApp

    from jupyter_mltrack.store.base import TrackingStore
    from jupyter_mltrack.store.sql.store import SqlStore

__all__ = ["ROUTE_MODULES", "SERVER_ARTIFACT_ROOT", "create_app", "open_server_store"]

logger = logging.getLogger(__name__)

#: Experiments created through the server get ``mlflow-artifacts:/<id>``, so clients send their
#: artifacts through the server's ``/api/2.0/mlflow-artifacts`` proxy.
SERVER_ARTIFACT_ROOT = "mlflow-artifacts:/"

#: The route modules under ``jupyter_mltrack.server.routes``, in matching order. Each exports
#: ``routes(ctx) -> list[Route]`` and ``OPENAPI`` (its OpenAPI path items).
ROUTE_MODULES = (
    "experiments",
    "runs",
    "metrics",
    "metric_intervals",
    "artifacts",
    "meta",
    "registry_models",
    "registry_versions",
    "logged_models",
    "logged_model_artifacts",
    "mltrack",
)


class Authenticator(Protocol):
    """What :func:`create_app` needs from an authenticator: ASGI middleware around the app."""

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """Return ``app`` behind authentication and authorization."""


def route_modules() -> list[Any]:
    """Import and return the route modules, in matching order."""
    return [
        importlib.import_module(f"jupyter_mltrack.server.routes.{name}") for name in ROUTE_MODULES
    ]


def open_server_store(uri: str, default_artifact_root: str | None = None) -> SqlStore:
    """Open a database store for the server: new experiments get ``<root>/<id>``.

    Args:
        uri: The database URI.
        default_artifact_root: Where new experiments' artifacts go, used by clients directly
            (``s3://bucket/mlruns``, an absolute path every client can reach); None means
            ``mlflow-artifacts:/``, i.e. through the server's artifact proxy.

    A store that already exists keeps the artifact locations its experiments were created with.
    """
    from jupyter_mltrack.server.locations import absolute_if_local
    from jupyter_mltrack.store.sql.store import SqlStore

    root = absolute_if_local(default_artifact_root) if default_artifact_root else None
    return SqlStore(uri, default_artifact_root=root or SERVER_ARTIFACT_ROOT)


def create_app(
    store: TrackingStore,
    artifact_root: ArtifactRoot | str,
    auth: Authenticator | None = None,
    *,
    max_upload_mb: float = 1024,
    max_json_bytes: int = DEFAULT_MAX_JSON_BYTES,
) -> ASGIApp:
    """Build the tracking server's ASGI app.

    Args:
        store: The tracking store (a SqlStore also serves the registry and logged models); open
            it with :func:`open_server_store` so new experiments proxy their artifacts.
        artifact_root: Where ``mlflow-artifacts:/`` paths live: an :class:`ArtifactRoot` or its
            destination (a local folder, ``file://`` or an fsspec URI such as ``s3://bucket/x``).
        auth: Authentication middleware provider; None serves everyone.
        max_upload_mb: Artifact uploads larger than this many MiB get 413.
        max_json_bytes: JSON request bodies larger than this get 413.

    Example:
        >>> store = open_server_store("sqlite:///mltrack.db")  # doctest: +SKIP
        >>> app = create_app(store, "./artifacts")  # doctest: +SKIP
        >>> uvicorn.run(app, host="127.0.0.1", port=5000)  # doctest: +SKIP
    """
    root = artifact_root if isinstance(artifact_root, ArtifactRoot) else ArtifactRoot(artifact_root)
    ctx = ServerContext(
        store=store,
        artifacts=root,
        max_upload_bytes=int(max_upload_mb * 1024 * 1024),
        max_json_bytes=max_json_bytes,
    )
    routes: list[BaseRoute] = []
    for module in route_modules():
        routes.extend(module.routes(ctx))
    from jupyter_mltrack.server.liveness_task import liveness_lifespan

    app = Starlette(
        routes=merge_routes(routes),
        lifespan=liveness_lifespan(store),  # ends runs whose process died (tracking/liveness)
        exception_handlers={
            MltrackError: _mltrack_error,
            HTTPException: _http_error,
            Exception: _internal_error,
        },
    )
    app.state.ctx = ctx
    served = _remembering_request_ids(app, store)
    return auth.wrap(served) if auth is not None else served


def _remembering_request_ids(app: ASGIApp, store: TrackingStore) -> ASGIApp:
    """Wrap ``app`` so retried writes apply once; a store without a database cannot remember."""
    from jupyter_mltrack.server.request_ids import RequestIdMiddleware
    from jupyter_mltrack.store.sql.store import SqlStore

    return RequestIdMiddleware(app, store.engine) if isinstance(store, SqlStore) else app


def merge_routes(routes: list[BaseRoute]) -> list[BaseRoute]:
    """Serve routes that share a path through one route that dispatches on the method.

    Starlette answers a method mismatch from the first route with that path alone, so a 405 for
    ``OPTIONS /artifacts/x`` would list only ``GET`` although ``PUT`` and ``DELETE`` exist too.
    """
    from starlette.routing import Route

    by_path: dict[str, list[Route]] = {}
    merged: list[BaseRoute] = []
    for route in routes:
        if isinstance(route, Route) and route.methods:
            if route.path not in by_path:
                by_path[route.path] = []
                merged.append(route)
            by_path[route.path].append(route)
        else:
            merged.append(route)
    return [
        _dispatching(by_path[r.path])
        if isinstance(r, Route) and len(by_path.get(r.path, ())) > 1
        else r
        for r in merged
    ]


def _dispatching(routes: list[Any]) -> BaseRoute:
    from starlette.routing import Route

    endpoints: dict[str, Any] = {}
    for route in routes:
        for method in route.methods:
            endpoints.setdefault(method, route.endpoint)

    async def dispatch(request: Request) -> Response:
        response: Response = await endpoints[request.method](request)
        return response

    return Route(routes[0].path, dispatch, methods=list(endpoints), name=routes[0].name)


async def _mltrack_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MltrackError)
    if exc.http_status >= 500:
        logger.error("%s %s failed: %s", request.method, request.url.path, exc.message)
    return error_response(exc)


class _EndpointNotFound(MltrackError):
    error_code = "ENDPOINT_NOT_FOUND"
    http_status = 404


class _MethodNotAllowed(MltrackError):
    error_code = "BAD_REQUEST"
    http_status = 405


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    path = request.url.path
    if exc.status_code == 404:
        error: MltrackError = _EndpointNotFound(
            f"No endpoint {request.method} {path}; see /openapi.json for the served API"
        )
    elif exc.status_code == 405:
        error = _MethodNotAllowed(f"Method {request.method} is not allowed for {path}")
    else:
        error = InvalidParameterError(f"{request.method} {path}: {exc.detail}")
    response = error_response(error)
    response.status_code = exc.status_code
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _internal_error(request: Request, exc: Exception) -> Response:
    logger.exception("%s %s raised an unexpected error", request.method, request.url.path)
    error = MltrackError(f"Internal server error while serving {request.url.path}: {exc!r}")
    return error_response(error)
