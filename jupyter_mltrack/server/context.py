"""ServerContext: what every route handler needs, built once per app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from jupyter_mltrack.errors import StoreFeatureMissing

if TYPE_CHECKING:
    from jupyter_mltrack.server.artifact_root import ArtifactRoot
    from jupyter_mltrack.store.base import TrackingStore
    from jupyter_mltrack.store.logged_model_base import LoggedModelStore
    from jupyter_mltrack.store.registry_base import RegistryStore

__all__ = ["DEFAULT_MAX_JSON_BYTES", "ServerContext"]

#: JSON request bodies above this size get 413; a log-batch of 1,000 metrics is about 100 KB.
DEFAULT_MAX_JSON_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ServerContext:
    """The store, the artifact root and the request limits of one server app.

    Args:
        store: The tracking store; a SqlStore is also the registry and logged-model store.
        artifacts: Where ``mlflow-artifacts:/`` paths live on the server side.
        max_upload_bytes: Artifact uploads above this size get 413.
        max_json_bytes: JSON request bodies above this size get 413.
    """

    store: TrackingStore
    artifacts: ArtifactRoot
    max_upload_bytes: int
    max_json_bytes: int = DEFAULT_MAX_JSON_BYTES

    @property
    def registry(self) -> RegistryStore:
        """The store as a model registry; 501 NOT_IMPLEMENTED if it is not one."""
        from jupyter_mltrack.store.registry_base import RegistryStore

        if not isinstance(self.store, RegistryStore):
            raise StoreFeatureMissing(
                f"The server's store {type(self.store).__name__} has no model registry; "
                "run the server on a database store (sqlite://, postgresql://, mysql://)"
            )
        return self.store

    @property
    def logged_models(self) -> LoggedModelStore:
        """The store as a logged-model store; 501 NOT_IMPLEMENTED if it is not one."""
        from jupyter_mltrack.store.logged_model_base import LoggedModelStore

        if not isinstance(self.store, LoggedModelStore):
            raise StoreFeatureMissing(
                f"The server's store {type(self.store).__name__} cannot hold logged models; "
                "run the server on a database store (sqlite://, postgresql://, mysql://)"
            )
        return self.store
