"""Where the fluent API and a default ``TrackingClient`` log to (see ``store/tracking_uri``).

The current tracking URI is kept in :mod:`jupyter_mltrack.store.tracking_uri`, below the
artifact repositories that need it too; this module is its door in the tracking layer.
"""

from __future__ import annotations

from jupyter_mltrack.store.tracking_uri import (
    DEFAULT_EXPERIMENT_ID,
    DEFAULT_EXPERIMENT_NAME,
    DEFAULT_FOLDER,
    ENV_EXPERIMENT_ID,
    ENV_EXPERIMENT_NAME,
    ENV_TRACKING_URI,
    _reset,
    env_experiment,
    get_tracking_uri,
    is_tracking_uri_set,
    normalize_tracking_uri,
    set_tracking_uri,
)

__all__ = [
    "DEFAULT_EXPERIMENT_ID",
    "DEFAULT_EXPERIMENT_NAME",
    "DEFAULT_FOLDER",
    "ENV_EXPERIMENT_ID",
    "ENV_EXPERIMENT_NAME",
    "ENV_TRACKING_URI",
    "_reset",
    "env_experiment",
    "get_tracking_uri",
    "is_tracking_uri_set",
    "normalize_tracking_uri",
    "set_tracking_uri",
]
