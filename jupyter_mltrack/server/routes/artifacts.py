"""The artifact proxy: ``/api/2.0/mlflow-artifacts/artifacts[/<path>]``.

Clients turn ``mlflow-artifacts:/X`` into requests under this prefix: ``PUT`` uploads a file (the
raw body), ``GET`` downloads one (streamed, with ``Content-Disposition``), ``GET ?path=`` lists a
directory (``{}`` for a file or a missing path) and ``DELETE`` removes a file or directory. Paths
are checked by :func:`~jupyter_mltrack.server.artifact_root.safe_relative_path` first.
"""

from __future__ import annotations

import mimetypes
import posixpath
import shutil
from typing import TYPE_CHECKING, Any

from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from jupyter_mltrack.errors import InvalidParameterError, RequestTooLarge
from jupyter_mltrack.server._http import blocking, ok, paged
from jupyter_mltrack.server.artifact_root import CHUNK_SIZE, safe_relative_path
from jupyter_mltrack.server.openapi import ERRORS, STR, array, obj, ref

if TYPE_CHECKING:
    from starlette.requests import Request

    from jupyter_mltrack.server.context import ServerContext

__all__ = ["ARTIFACTS", "OPENAPI", "routes"]

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
_OCTET = "application/octet-stream"


class _ArtifactFile(FileResponse):
    chunk_size = CHUNK_SIZE


def routes(ctx: ServerContext) -> list[Route]:
    """Return the artifact proxy routes bound to ``ctx``."""
    root = ctx.artifacts
    limit = ctx.max_upload_bytes

    def path_of(request: Request) -> str:
        raw = request.scope.get("raw_path", b"").decode("latin-1")
        return safe_relative_path(request.path_params["artifact_path"], raw=raw)

    async def upload(request: Request) -> Response:
        rel = path_of(request)
        declared = request.headers.get("content-length")
        expected = int(declared) if declared and declared.isdigit() else None
        if declared is not None and expected is None:
            raise InvalidParameterError(f"Invalid Content-Length header {declared!r}")
        if expected is not None and expected > limit:
            raise RequestTooLarge(
                f"The artifact {rel!r} has {expected} bytes; this server accepts at most {limit} "
                "per upload (the server's --max-upload-mb)"
            )
        try:
            await root.upload(rel, request.stream(), limit=limit, expected=expected)
        except ClientDisconnect:
            # The client is gone and the partial upload was removed; nobody reads this answer.
            return Response(status_code=400)
        return Response(status_code=200)

    async def download(request: Request) -> Response:
        rel = path_of(request)
        path, stage = await root.open_file(rel)
        name = posixpath.basename(rel)
        return _ArtifactFile(
            path,
            media_type=mimetypes.guess_type(name)[0] or _OCTET,
            filename=name,
            background=BackgroundTask(shutil.rmtree, stage, True) if stage else None,
        )

    async def delete(request: Request) -> Response:
        await blocking(root.delete, path_of(request))
        return ok()

    async def listing(request: Request) -> Response:
        path = request.query_params.get("path", "")
        rel = safe_relative_path(path, allow_root=True)
        files = await blocking(root.list_dir, rel)
        return ok(paged("files", [f.to_dict() for f in files], None))

    return [
        Route(ARTIFACTS, listing, methods=["GET"]),
        Route(f"{ARTIFACTS}/{{artifact_path:path}}", download, methods=["GET"]),
        Route(f"{ARTIFACTS}/{{artifact_path:path}}", upload, methods=["PUT"]),
        Route(f"{ARTIFACTS}/{{artifact_path:path}}", delete, methods=["DELETE"]),
    ]


_TAG = "artifacts"
_PATH_PARAM = {
    "name": "artifact_path",
    "in": "path",
    "required": True,
    "description": "Relative path under the artifacts destination, e.g. 1/<run_id>/artifacts/x.txt",
    # One segment here: generated values are percent-encoded, and an encoded "/" is refused.
    "schema": {"type": "string", "minLength": 1, "pattern": r"^[^/\\%.\u0000][^/\\%\u0000]*$"},
}


def _op(summary: str, ok_response: dict[str, Any]) -> dict[str, Any]:
    return {
        "summary": summary,
        "tags": [_TAG],
        "parameters": [_PATH_PARAM],
        "responses": {"200": ok_response, **ERRORS},
    }


_upload = _op(
    "Upload a file (the raw request body); answers with an empty body", {"description": "Stored"}
)
_upload["requestBody"] = {
    "required": False,  # an empty body stores an empty file
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}

OPENAPI: dict[str, dict[str, Any]] = {
    ARTIFACTS: {
        "get": {
            "summary": "List one level of a directory ({} for a file or a missing path)",
            "tags": [_TAG],
            "parameters": [{"name": "path", "in": "query", "required": False, "schema": STR}],
            "responses": {
                "200": {
                    "description": "The entries, paths relative to the listed directory",
                    "content": {"application/json": {"schema": obj(files=array(ref("FileInfo")))}},
                },
                **ERRORS,
            },
        }
    },
    f"{ARTIFACTS}/{{artifact_path}}": {
        "get": _op(
            "Download a file (streamed, Content-Disposition: attachment)",
            {
                "description": "The file's bytes",
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            },
        ),
        "put": _upload,
        "delete": _op(
            "Delete a file or directory (a missing one is fine)",
            {"description": "Deleted", "content": {"application/json": {"schema": obj()}}},
        ),
    },
}
