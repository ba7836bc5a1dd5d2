"""The tracking layer: ``TrackingClient``, the fluent API and the background metric writer.

Importing this package is cheap: stores, artifact repositories and serialisers are imported by the
functions that need them.
"""

from jupyter_mltrack.tracking.active import ActiveRun, isolated_run_stack
from jupyter_mltrack.tracking.client import TrackingClient
from jupyter_mltrack.tracking.listeners import (
    ListenerHandle,
    add_logging_listener,
    remove_logging_listener,
)

__all__ = [
    "ActiveRun",
    "ListenerHandle",
    "TrackingClient",
    "add_logging_listener",
    "isolated_run_stack",
    "remove_logging_listener",
]
