"""POST ``projects/run`` and GET ``notebooks/parameters``."""

from __future__ import annotations

from tornado import web

from jupyter_mltrack.labserver.handlers.base import MltrackHandler

__all__ = ["NotebookParametersHandler", "ProjectRunHandler"]


class ProjectRunHandler(MltrackHandler):
    """POST projects/run {path, parameters, experiment} -> 202 {run_id, status}."""

    SUPPORTED_METHODS = ("POST",)

    @web.authenticated
    async def post(self) -> None:
        """Create the run, start the notebook in the background, answer with the id."""
        body = self.json_body()
        await self.answer(lambda: self.lab.projects.start(body), status=202)


class NotebookParametersHandler(MltrackHandler):
    """GET notebooks/parameters?path=: the notebook's papermill parameters."""

    SUPPORTED_METHODS = ("GET",)

    @web.authenticated
    async def get(self) -> None:
        """Names, defaults and types for the "Run as project" dialog."""
        path = self.get_argument("path", None)
        await self.answer(lambda: self.lab.projects.parameters(path))
