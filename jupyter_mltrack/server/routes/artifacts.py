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

from jupyter_mltrack.artifacts.registry import get_artifact_repository
from jupyter_mltrack.entities import FileInfo
from jupyter_mltrack.errors import InvalidParameterError, RequestTooLarge
from jupyter_mltrack.server._http import blocking, get_str, ok, paged, query_params, run_id_of
from jupyter_mltrack.server.artifact_root import CHUNK_SIZE, ArtifactRoot, safe_relative_path
from jupyter_mltrack.server.openapi import ERRORS, STR, array, obj, ref

if TYPE_CHECKING:
    from starlette.requests import Request

    from jupyter_mltrack.server.context import ServerContext

__all__ = ["ARTIFACTS", "OPENAPI", "RUN_ARTIFACTS", "routes"]

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
#: MLflow's run artifact listing (a GET with ``run_id`` and ``path``).
RUN_ARTIFACTS = "/api/2.0/mlflow/artifacts/list"
_OCTET = "application/octet-stream"
_PROXY_SCHEME = "mlflow-artifacts:"
#: Sent with every download, as MLflow does: no content sniffing, no framing by other sites.
_DOWNLOAD_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "SAMEORIGIN"}


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
            headers=_DOWNLOAD_HEADERS,
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

    async def run_listing(request: Request) -> Response:
        msg = query_params(request)
        run = await blocking(ctx.store.get_run, run_id_of(msg))
        rel = safe_relative_path(get_str(msg, "path", required=False) or "", allow_root=True)
        files = await blocking(_list_run_artifacts, root, run.info.artifact_uri, rel)
        listing = {"root_uri": run.info.artifact_uri}
        return ok(listing | paged("files", [f.to_dict() for f in files], None))

    return [
        Route(RUN_ARTIFACTS, run_listing, methods=["GET"]),
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


def _list_run_artifacts(root: ArtifactRoot, artifact_uri: str, rel: str) -> list[FileInfo]:
    """List ``rel`` under a run's artifact URI, paths relative to that URI (MLflow's answer).

    Proxied runs (``mlflow-artifacts:/<rel>``) are listed in the server's destination; runs
    whose experiment stores artifacts directly (``s3://...``, a folder) through their repository.
    """
    if artifact_uri.startswith(_PROXY_SCHEME):
        base = safe_relative_path(artifact_uri[len(_PROXY_SCHEME) :].lstrip("/"), allow_root=True)
        found = root.list_dir(posixpath.join(base, rel) if rel else base)
        return [
            FileInfo(path=posixpath.join(rel, f.path) if rel else f.path, **_kind(f)) for f in found
        ]
    return get_artifact_repository(artifact_uri).list_artifacts(rel or None)


def _kind(info: FileInfo) -> dict[str, Any]:
    return {"is_dir": info.is_dir, "file_size": None if info.is_dir else info.file_size}


OPENAPI: dict[str, dict[str, Any]] = {
    RUN_ARTIFACTS: {
        "get": {
            "summary": "List a run's artifacts (MLflow's listing: root_uri and files)",
            "tags": [_TAG],
            "parameters": [
                {"name": "run_id", "in": "query", "required": True, "schema": STR},
                {"name": "path", "in": "query", "required": False, "schema": STR},
            ],
            "responses": {
                "200": {
                    "description": "Entries with paths relative to the run's artifact root",
                    "content": {
                        "application/json": {
                            "schema": obj(root_uri=STR, files=array(ref("FileInfo")))
                        }
                    },
                },
                **ERRORS,
            },
        }
    },
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
