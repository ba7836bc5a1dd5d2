"""The Jupyter server extension: ``MltrackLab``, configurable as ``--MltrackLab.<trait>``."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Int, Unicode

from jupyter_mltrack.labserver.config import mask_uri, resolve_tracking_uri
from jupyter_mltrack.labserver.handlers import routes
from jupyter_mltrack.labserver.service import LabService

__all__ = ["MltrackLab"]


class MltrackLab(ExtensionApp):  # type: ignore[misc]
    """Serve the JSON API of the JupyterLab extension under ``{base_url}mltrack/api/``.

    Example:
        jupyter lab --MltrackLab.tracking_uri=postgresql://ml@db/runs
    """

    name = "mltrack"
    description = "jupyter_mltrack: experiments, runs and the model registry inside JupyterLab"
    load_other_extensions = True

    tracking_uri = Unicode(
        "",
        config=True,
        help="The tracking store to show; default MLTRACK_TRACKING_URI, else the default store "
        "of the server's root folder (<root_dir>/mltrack). Credentials stay on the server.",
    )
    max_artifact_bytes = Int(
        25 * 1024 * 1024,
        config=True,
        help="The largest artifact file the API hands to the browser (413 above).",
    )
    max_workers = Int(
        4, config=True, help="Threads that run store work off the Tornado event loop."
    )

    def initialize_settings(self) -> None:
        """Resolve the store and create the service and its thread pool."""
        assert self.serverapp is not None  # linked before settings are initialised
        root_dir = self.serverapp.root_dir
        uri = resolve_tracking_uri(self.tracking_uri, root_dir)
        self._executor = ThreadPoolExecutor(
            max_workers=max(1, self.max_workers), thread_name_prefix="mltrack-lab"
        )
        service = LabService(uri, root_dir, max_artifact_bytes=self.max_artifact_bytes)
        self.settings.update(mltrack_lab_service=service, mltrack_lab_executor=self._executor)
        self.log.info("jupyter_mltrack Lab API serves the tracking store %s", mask_uri(uri))

    def initialize_handlers(self) -> None:
        """Register the API routes (the base URL is prepended by ExtensionApp)."""
        self.handlers.extend(routes())

    async def stop_extension(self) -> None:
        """Let running store calls finish; project runs live in their own threads."""
        executor: Any = getattr(self, "_executor", None)
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
