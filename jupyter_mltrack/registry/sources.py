"""Where a model version's source URI points: local files to read, or where its files are stored.

A version's ``source`` is a local path, a ``runs:/`` URI, a tracking server's artifact URL
(``mlflow-artifacts:/``, ``http(s)://``) or any URI :mod:`jupyter_mltrack.models.uri` resolves.
"""

from __future__ import annotations

import os

from jupyter_mltrack.models.uri import resolve_model_uri, uri_scheme
from jupyter_mltrack.tracking.runs_uri import run_artifact_uri

__all__ = ["local_source", "storage_uri"]

#: Sources whose files a tracking server serves (MLflow registers these, e.g. mlflow-artifacts:/).
_SERVER_SCHEMES = frozenset({"mlflow-artifacts", "http", "https"})


def local_source(source: str, tracking_uri: str) -> str:
    """Return a local path for a version's (non-``models:/``) source URI."""
    if source.split(":", 1)[0].lower() in _SERVER_SCHEMES:  # behind a server's artifact proxy
        from jupyter_mltrack.artifacts.registry import get_artifact_repository

        return get_artifact_repository(source, tracking_uri=tracking_uri).download_artifacts("")
    return resolve_model_uri(source, tracking_uri=tracking_uri)


def storage_uri(source: str, tracking_uri: str) -> str:
    """Return where a source's files live: a runs:/ URI becomes the run's artifact URI."""
    scheme = uri_scheme(source)
    if scheme == "runs":
        return run_artifact_uri(source, tracking_uri=tracking_uri)
    if scheme == "":
        return os.path.abspath(os.path.expanduser(source))
    return source
