"""``health``, ``experiments`` and ``kernels/<kernel_id>/run``."""

from __future__ import annotations

from tornado import web

from jupyter_mltrack.labserver.handlers.base import MltrackHandler

__all__ = ["ExperimentsHandler", "HealthHandler", "KernelRunHandler", "UnknownRouteHandler"]


class HealthHandler(MltrackHandler):
    """GET health: package and front-end versions, the masked store URI."""

    SUPPORTED_METHODS = ("GET",)

    @web.authenticated
    async def get(self) -> None:
        """Answer without opening the store (the front end calls this first)."""
        self.reply(self.lab.health())


class ExperimentsHandler(MltrackHandler):
    """GET experiments?view=active|deleted|all."""

    SUPPORTED_METHODS = ("GET",)

    @web.authenticated
    async def get(self) -> None:
        """List experiments."""
        await self.answer(lambda: self.lab.tracking.experiments(self.get_argument("view", None)))


class KernelRunHandler(MltrackHandler):
    """GET kernels/<kernel_id>/run: the kernel's RUNNING run and its most recent run."""

    SUPPORTED_METHODS = ("GET",)

    @web.authenticated
    async def get(self, kernel_id: str) -> None:
        """Look the runs up by the kernel-id tag (no code runs in the kernel)."""
        await self.answer(lambda: self.lab.tracking.kernel_runs(kernel_id))


class UnknownRouteHandler(MltrackHandler):
    """Any other path under ``mltrack/api/``: a JSON 404 that names the reference."""

    SUPPORTED_METHODS = ("GET", "POST")

    def _missing(self) -> None:
        self.reply(
            {
                "error_code": "ENDPOINT_NOT_FOUND",
                "message": f"No route {self.request.path!r} in the mltrack Lab API "
                "(see docs/lab-api.md; GET health gives the api_version)",
            },
            status=404,
        )

    @web.authenticated
    async def get(self) -> None:
        """Answer 404 with where the routes are documented."""
        self._missing()

    @web.authenticated
    async def post(self) -> None:
        """The same 404 for POST."""
        self._missing()
