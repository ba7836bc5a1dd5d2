"""Endpoints about the server itself: ``/health``, ``/version``, server-info, ``/openapi.json``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from jupyter_mltrack._version import __version__
from jupyter_mltrack.server._http import JSON_TYPE, ok
from jupyter_mltrack.server.openapi import BOOL, STR, obj

if TYPE_CHECKING:
    from starlette.requests import Request

    from jupyter_mltrack.server.context import ServerContext

__all__ = ["OPENAPI", "routes"]

SERVER_INFO = "/api/3.0/mlflow/server-info"


def routes(ctx: ServerContext) -> list[Route]:
    """Return the meta routes bound to ``ctx``."""
    info = {
        "store_type": type(ctx.store).__name__,
        "workspaces_enabled": False,
        "trace_archival_enabled": False,
        # Clients then never try presigned or multipart transfers, which this server lacks.
        "multipart_uploads_enabled": False,
        "multipart_downloads_enabled": False,
        "presigned_upload_run_id_supported": False,
        "presigned_upload_model_id_supported": False,
        "features_enabled": {},
    }
    spec: list[bytes] = []  # built on first request: it imports every route module

    async def health(request: Request) -> Response:
        return PlainTextResponse("OK")

    async def version(request: Request) -> Response:
        return PlainTextResponse(__version__)

    async def server_info(request: Request) -> Response:
        return ok(info)

    async def openapi(request: Request) -> Response:
        if not spec:
            import json

            from jupyter_mltrack.server.openapi import build_spec

            spec.append(json.dumps(build_spec()).encode())
        return Response(spec[0], media_type=JSON_TYPE)

    return [
        Route("/health", health, methods=["GET"]),
        Route("/version", version, methods=["GET"]),
        Route(SERVER_INFO, server_info, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]


def _text(summary: str, example: str) -> dict[str, Any]:
    return {
        "summary": summary,
        "tags": ["server"],
        "responses": {
            "200": {
                "description": example,
                "content": {"text/plain": {"schema": STR}},
            }
        },
    }


OPENAPI: dict[str, dict[str, Any]] = {
    "/health": {"get": _text("Liveness check", "The text OK")},
    "/version": {"get": _text("The server's jupyter_mltrack version", "e.g. 0.1.0")},
    SERVER_INFO: {
        "get": {
            "summary": "What the server supports (no multipart or presigned transfers)",
            "tags": ["server"],
            "responses": {
                "200": {
                    "description": "Server capabilities",
                    "content": {
                        "application/json": {
                            "schema": obj(
                                ("store_type",),
                                store_type=STR,
                                multipart_uploads_enabled=BOOL,
                                multipart_downloads_enabled=BOOL,
                            )
                        }
                    },
                }
            },
        }
    },
    "/openapi.json": {
        "get": {
            "summary": "This OpenAPI description",
            "tags": ["server"],
            "responses": {
                "200": {
                    "description": "The OpenAPI 3 document",
                    "content": {"application/json": {"schema": obj()}},
                }
            },
        }
    },
}
