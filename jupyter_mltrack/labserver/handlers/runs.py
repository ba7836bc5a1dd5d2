"""``runs``, ``runs/<run_id>``, its ``artifacts`` and ``artifact``, and ``metrics/history``."""

from __future__ import annotations

from tornado import web

from jupyter_mltrack.errors import MltrackError
from jupyter_mltrack.labserver.handlers.base import MltrackHandler, error_body

__all__ = [
    "ArtifactHandler",
    "ArtifactsHandler",
    "MetricHistoryHandler",
    "RunHandler",
    "RunsHandler",
]


class RunsHandler(MltrackHandler):
    """GET runs?experiment_ids=&filter=&order_by=&page_token=&page_size=."""

    SUPPORTED_METHODS = ("GET",)

    @web.authenticated
    async def get(self) -> None:
        """One page of runs with the total."""
        arg = self.get_argument
        await self.answer(
            lambda: self.lab.tracking.runs(
                experiment_ids=arg("experiment_ids", None),
                filter_string=arg("filter", None),
                order_by=self.get_arguments("order_by"),
                page_token=arg("page_token", None),
                page_size=arg("page_size", None),
            )
        )


class RunHandler(MltrackHandler):
    """GET runs/<run_id>: RunJSON with artifacts, source and metric keys."""

    SUPPORTED_METHODS = ("GET",)

    @web.authenticated
    async def get(self, run_id: str) -> None:
        """One run in detail."""
        await self.answer(lambda: self.lab.tracking.run(run_id))


class ArtifactsHandler(MltrackHandler):
    """GET runs/<run_id>/artifacts?path=<dir>."""

    SUPPORTED_METHODS = ("GET",)

    @web.authenticated
    async def get(self, run_id: str) -> None:
        """One level of the run's artifact tree."""
        path = self.get_argument("path", None)
        await self.answer(lambda: self.lab.tracking.artifacts(run_id, path))


class ArtifactHandler(MltrackHandler):
    """GET runs/<run_id>/artifact?path=<file>: the raw bytes, size-capped."""

    SUPPORTED_METHODS = ("GET",)

    @web.authenticated
    async def get(self, run_id: str) -> None:
        """Send the file with a guessed type; the browser may not sniff or run it."""
        path = self.get_argument("path", None)
        try:
            data, kind = await self.call(self.lab.tracking.artifact, run_id, path)
        except MltrackError as exc:
            self.reply(error_body(exc), status=exc.http_status)
            return
        self.set_header("X-Content-Type-Options", "nosniff")
        # An HTML or SVG artifact must not run script with the user's Jupyter session.
        self.set_header("Content-Security-Policy", "default-src 'none'; sandbox")
        self.set_header("Cache-Control", "no-store")
        self.finish(data, set_content_type=kind)


class MetricHistoryHandler(MltrackHandler):
    """GET metrics/history?run_id=&key=&max_points=1000."""

    SUPPORTED_METHODS = ("GET",)

    @web.authenticated
    async def get(self) -> None:
        """A metric's downsampled history."""
        arg = self.get_argument
        await self.answer(
            lambda: self.lab.tracking.metric_history(
                arg("run_id", None), arg("key", None), arg("max_points", None)
            )
        )
