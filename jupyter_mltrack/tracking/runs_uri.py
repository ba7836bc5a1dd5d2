"""``runs:/<run_id>/<path>`` URIs: the one place that turns them into files or storage locations.

:func:`resolve_runs_uri` is the resolver of the ``runs`` scheme in
:mod:`jupyter_mltrack.models.uri` (imported there by name on first use), so every loader, the
registry and projects resolve ``runs:/`` URIs the same way.
"""

from __future__ import annotations

from jupyter_mltrack._types import PathLike
from jupyter_mltrack.models.uri import split_runs_uri
from jupyter_mltrack.tracking.client import TrackingClient

__all__ = ["resolve_runs_uri", "run_artifact_uri"]


def resolve_runs_uri(
    uri: str, *, tracking_uri: str | None = None, dst_path: PathLike | None = None
) -> str:
    """Return a local path for ``runs:/<run_id>/<path>``, downloading the artifacts if remote.

    Args:
        uri: The ``runs:/`` URI.
        tracking_uri: The tracking URI of the run's store (default: the current one).
        dst_path: Where to download to (default: a new temporary folder, or the artifact folder
            itself when the artifacts are local).

    Example:
        >>> resolve_runs_uri("runs:/0f3c.../model")  # doctest: +SKIP
        '/home/me/mltrack/artifacts/1/0f3c.../artifacts/model'
    """
    run_id, path = split_runs_uri(uri)
    return TrackingClient(tracking_uri).download_artifacts(run_id, path, dst_path)


def run_artifact_uri(uri: str, *, tracking_uri: str | None = None) -> str:
    """Return where the files of a ``runs:/`` URI are stored: the run's artifact URI + path.

    Example:
        >>> run_artifact_uri("runs:/0f3c.../model")  # doctest: +SKIP
        'file:///home/me/mltrack/artifacts/1/0f3c.../artifacts/model'
    """
    run_id, path = split_runs_uri(uri)
    root = TrackingClient(tracking_uri).get_run(run_id).info.artifact_uri.rstrip("/")
    return f"{root}/{path}" if path else root
