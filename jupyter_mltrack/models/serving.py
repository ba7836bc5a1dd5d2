"""The scoring server: MLflow's ``/invocations`` protocol as a small ASGI app.

``create_scoring_app(model)`` answers

- ``POST /invocations`` with a JSON body (``dataframe_split``, ``dataframe_records``,
  ``instances`` or ``inputs``, plus optional ``params``), a ``text/csv`` table or an
  ``application/vnd.apache.parquet`` file, and returns ``{"predictions": ...}`` shaped as MLflow
  does (arrays as lists, DataFrames and Series as lists of records);
- ``GET /ping`` and ``GET /health`` (200 once the model is loaded) and ``GET /version``.

Errors are JSON ``{"error_code": ..., "message": ...}``: 400 for bad payloads and signature
violations and when the model itself raises (as MLflow's scoring server answers), 413 for bodies
over the size limit, 415 for unsupported content types, 500 only when the model's output cannot
be encoded. The server keeps running whatever a request does.

The request path lives in :mod:`jupyter_mltrack.models.scoring` and is kept lean on purpose,
because its overhead is what the serving benchmark measures.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

from jupyter_mltrack._version import __version__
from jupyter_mltrack.errors import InvalidInputError, MissingDependencyError
from jupyter_mltrack.models.scoring import Invocations, predictions_to_json, respond

if TYPE_CHECKING:
    from jupyter_mltrack.models.pyfunc import PyFuncModel

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "MODEL_URI_ENV",
    "create_scoring_app",
    "create_scoring_app_from_env",
    "predictions_to_json",
    "serve",
    "validate_serving_input",
]

#: The environment variable through which each uvicorn worker learns which model to load.
MODEL_URI_ENV = "MLTRACK_SERVE_MODEL_URI"
#: Request bodies larger than this are refused with HTTP 413.
DEFAULT_MAX_BODY_BYTES = 256 * 1024 * 1024

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def create_scoring_app(
    model: PyFuncModel, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> ASGIApp:
    """Return an ASGI app that serves ``model`` with MLflow's scoring protocol.

    Args:
        model: A loaded model, e.g. from :func:`jupyter_mltrack.pyfunc.load_model`.
        max_body_bytes: Refuse larger request bodies with HTTP 413.

    Raises:
        MissingDependencyError: Starlette is not installed (the ``serve`` extra).

    Example:
        >>> app = create_scoring_app(load_model("runs:/<run_id>/model"))  # doctest: +SKIP
        >>> uvicorn.run(app, port=5001)  # doctest: +SKIP
    """
    try:
        from starlette.applications import Starlette
        from starlette.routing import Route
    except ImportError as exc:
        raise MissingDependencyError("starlette", extra="serve", feature="serving models") from exc

    invocations = Invocations(model, max_body_bytes=max_body_bytes)
    routes = [
        Route("/invocations", invocations, methods=["POST"]),
        Route("/ping", _Static(b"\n"), methods=["GET"]),
        Route("/health", _Static(b"\n"), methods=["GET"]),
        Route("/version", _Static(__version__.encode()), methods=["GET"]),
    ]
    return _ScoringApp(invocations, Starlette(routes=routes))


def create_scoring_app_from_env() -> ASGIApp:
    """Load the model named by ``$MLTRACK_SERVE_MODEL_URI`` and return its scoring app.

    This is the factory each uvicorn worker calls when :func:`serve` runs several workers.
    """
    from jupyter_mltrack.models.pyfunc import load_model

    uri = os.environ.get(MODEL_URI_ENV)
    if not uri:
        raise InvalidInputError(f"Set {MODEL_URI_ENV} to the URI of the model to serve")
    return create_scoring_app(load_model(uri))


def serve(model_uri: str, *, host: str = "127.0.0.1", port: int = 5001, workers: int = 1) -> None:
    """Serve the model at ``model_uri`` over HTTP until interrupted.

    Args:
        model_uri: A local path, ``file://``, ``runs:/`` or ``models:/`` URI.
        host: The interface to bind; the loopback interface unless told otherwise.
        port: The TCP port.
        workers: Worker processes; each loads its own copy of the model.

    Raises:
        MissingDependencyError: uvicorn or Starlette is not installed.

    Example:
        >>> serve("runs:/<run_id>/model", port=5001)  # doctest: +SKIP
    """
    try:
        import uvicorn
    except ImportError as exc:
        raise MissingDependencyError("uvicorn", extra="serve", feature="serving models") from exc
    from jupyter_mltrack.models.pyfunc import load_model

    if workers < 1:
        raise InvalidInputError(f"workers must be at least 1, got {workers}")
    model = load_model(model_uri)  # fails here, with a clear error, before any worker starts
    options: dict[str, Any] = {"host": host, "port": port, "access_log": False}
    if workers == 1:
        uvicorn.run(create_scoring_app(model), **options)
        return
    os.environ[MODEL_URI_ENV] = model.model_dir  # local: workers need not download it again
    del model
    target = f"{__name__}:create_scoring_app_from_env"
    uvicorn.run(target, factory=True, workers=workers, **options)


class _ScoringApp:
    """Send ``POST /invocations`` straight to its endpoint; everything else through Starlette.

    Skipping the router and its middleware on the hot path saves a measurable part of the
    per-request overhead; Starlette still answers the other routes, 404s, 405s and lifespan.
    """

    def __init__(self, invocations: ASGIApp, fallback: ASGIApp) -> None:
        self.invocations = invocations
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("path") == "/invocations" and scope.get("method") == "POST":
            await self.invocations(scope, receive, send)
        else:
            await self.fallback(scope, receive, send)


class _Static:
    """An ASGI app that always answers 200 with the same body (as MLflow: JSON media type)."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await respond(send, 200, self.body)


def validate_serving_input(model_uri: str, serving_input: str | Mapping[str, Any]) -> Any:
    """Load a model and predict on a serving payload, as the scoring server would.

    Use it before deploying to check that a payload (e.g. the model's
    ``serving_input_example.json``) is accepted.

    Args:
        model_uri: A model URI or local path.
        serving_input: The JSON payload as text or as a decoded object.

    Returns:
        The model's prediction.

    Example:
        >>> validate_serving_input(model_info.model_uri, '{"inputs": [[5.1, 3.5, 1.4, 0.2]]}')
    """
    from jupyter_mltrack.models.pyfunc import load_model
    from jupyter_mltrack.models.serving_input import parse_serving_input

    model = load_model(model_uri)
    data, params = parse_serving_input(serving_input, schema=model.metadata.get_input_schema())
    return model.predict(data, params=params)
