"""The Lab API's Tornado-free core: one object the handlers call, holding the three services.

The store is opened on first use (in a worker thread, never on the event loop), so the server
starts even when the database is down, and ``health`` answers without touching the store.
"""

from __future__ import annotations

import threading
from typing import Any

from jupyter_mltrack._version import __version__
from jupyter_mltrack.labserver.config import mask_uri
from jupyter_mltrack.labserver.project_service import ProjectService
from jupyter_mltrack.labserver.registry_service import RegistryService
from jupyter_mltrack.labserver.tracking_service import TrackingService

__all__ = ["API_VERSION", "LabService"]

#: Bumped when a route or a JSON shape changes incompatibly (additive fields do not bump it).
API_VERSION = 1


class LabService:
    """Everything the Lab API can do, over one tracking store and one root folder.

    Args:
        tracking_uri: The store (credentials stay here; only :meth:`health` shows it, masked).
        root_dir: The Jupyter server's root folder.
        max_artifact_bytes: The largest artifact file handed to the browser.
    """

    def __init__(self, tracking_uri: str, root_dir: str, *, max_artifact_bytes: int) -> None:
        self.tracking_uri = tracking_uri
        self.root_dir = root_dir
        self.max_artifact_bytes = max_artifact_bytes
        self._lock = threading.Lock()
        self._tracking: TrackingService | None = None
        self._registry: RegistryService | None = None
        self.projects = ProjectService(root_dir, tracking_uri)

    def health(self) -> dict[str, Any]:
        """Return the versions and the (masked) store URI; never opens the store."""
        return {
            "ok": True,
            "api_version": API_VERSION,
            "version": __version__,
            "frontend_version": __version__,
            "tracking_uri": mask_uri(self.tracking_uri),
        }

    @property
    def tracking(self) -> TrackingService:
        """The experiments/runs service (opens the store on first use)."""
        with self._lock:
            if self._tracking is None:
                from jupyter_mltrack.tracking.client import TrackingClient

                self._tracking = TrackingService(
                    TrackingClient(self.tracking_uri),
                    self.root_dir,
                    max_artifact_bytes=self.max_artifact_bytes,
                )
            return self._tracking

    @property
    def registry(self) -> RegistryService:
        """The model registry service (opens the store on first use)."""
        with self._lock:
            if self._registry is None:
                from jupyter_mltrack.registry.client import RegistryClient

                self._registry = RegistryService(RegistryClient(self.tracking_uri))
            return self._registry
