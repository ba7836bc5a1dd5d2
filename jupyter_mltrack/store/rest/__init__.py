"""The REST store: jupyter_mltrack's client for a tracking server (``http(s)://host:port``).

``set_tracking_uri("http://host:5000")`` selects :class:`RestStore`, which speaks MLflow's REST
API 2.0, so it works against ``mltrack server`` and against an ``mlflow server`` alike.
"""

from jupyter_mltrack.store.rest.store import RestStore

__all__ = ["RestStore"]
