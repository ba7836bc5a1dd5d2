"""The route table of ``{base_url}mltrack/api/`` (documented in ``docs/lab-api.md``)."""

from __future__ import annotations

from typing import Any

from jupyter_mltrack.labserver.handlers.meta import (
    ExperimentsHandler,
    HealthHandler,
    KernelRunHandler,
    UnknownRouteHandler,
)
from jupyter_mltrack.labserver.handlers.models import (
    AliasHandler,
    ModelHandler,
    ModelsHandler,
    StageHandler,
)
from jupyter_mltrack.labserver.handlers.projects import (
    NotebookParametersHandler,
    ProjectRunHandler,
)
from jupyter_mltrack.labserver.handlers.runs import (
    ArtifactHandler,
    ArtifactsHandler,
    MetricHistoryHandler,
    RunHandler,
    RunsHandler,
)

__all__ = ["API_PREFIX", "routes"]

API_PREFIX = "mltrack/api"
_RUN_ID = r"(?P<run_id>[^/]+)"
_NAME = r"(?P<name>[^/]+)"

_ROUTES: list[tuple[str, type[Any]]] = [
    ("health", HealthHandler),
    ("experiments", ExperimentsHandler),
    ("runs", RunsHandler),
    (f"runs/{_RUN_ID}", RunHandler),
    (f"runs/{_RUN_ID}/artifacts", ArtifactsHandler),
    (f"runs/{_RUN_ID}/artifact", ArtifactHandler),
    ("metrics/history", MetricHistoryHandler),
    ("models", ModelsHandler),
    (f"models/{_NAME}", ModelHandler),
    (f"models/{_NAME}/alias", AliasHandler),
    (f"models/{_NAME}/stage", StageHandler),
    (r"kernels/(?P<kernel_id>[^/]+)/run", KernelRunHandler),
    ("projects/run", ProjectRunHandler),
    ("notebooks/parameters", NotebookParametersHandler),
]


def routes(*, fallback: bool = True) -> list[tuple[str, type[Any]]]:
    """Return ``(pattern, handler)`` pairs relative to the server's base URL.

    With ``fallback`` the last one answers any other ``mltrack/api/`` path with a JSON 404.
    """
    found = [(f"/{API_PREFIX}/{pattern}/?", handler) for pattern, handler in _ROUTES]
    if fallback:
        found.append((f"/{API_PREFIX}/.*", UnknownRouteHandler))
    return found
