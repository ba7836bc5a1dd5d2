"""``GET logged-models/{model_id}/artifacts/directories``: a logged model's artifact listing.

MLflow's server lists one level of a logged model's artifacts with it (its UI and Databricks'
client call it): ``{"root_uri": <artifact_location>, "files": [...]}``, paths relative to the
model's artifact location, ``artifact_directory_path`` naming the folder. Listing works as for a
run (``artifacts/list``): proxied locations in the server's destination, others through their
repository.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.routing import Route

from jupyter_mltrack.server._http import API, blocking, get_str, ok, paged, query_params
from jupyter_mltrack.server.artifact_root import safe_relative_path
from jupyter_mltrack.server.openapi import ERRORS, STR, array, obj, ref
from jupyter_mltrack.server.routes.artifacts import _list_run_artifacts

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from jupyter_mltrack.server.context import ServerContext

__all__ = ["OPENAPI", "routes"]

_PATH = f"{API}/logged-models/{{model_id}}/artifacts/directories"


def routes(ctx: ServerContext) -> list[Route]:
    """Return the logged-model artifact listing route bound to ``ctx``."""

    async def listing(request: Request) -> Response:
        msg = query_params(request)
        raw = get_str(msg, "artifact_directory_path", required=False) or ""
        rel = safe_relative_path(raw, allow_root=True)
        model = await blocking(ctx.logged_models.get_logged_model, request.path_params["model_id"])
        location = model.artifact_uri
        files = await blocking(_list_run_artifacts, ctx.artifacts, location, rel)
        return ok({"root_uri": location} | paged("files", [f.to_dict() for f in files], None))

    return [Route(_PATH, listing, methods=["GET"])]


OPENAPI: dict[str, dict[str, Any]] = {
    _PATH: {
        "get": {
            "summary": "List one level of a logged model's artifacts (root_uri and files)",
            "tags": ["logged-models"],
            "parameters": [
                {"name": "model_id", "in": "path", "required": True, "schema": STR},
                {
                    "name": "artifact_directory_path",
                    "in": "query",
                    "required": False,
                    "schema": STR,
                },
            ],
            "responses": {
                "200": {
                    "description": "Entries with paths relative to the model's artifact location",
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
}
