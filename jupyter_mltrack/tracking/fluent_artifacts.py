"""Fluent artifact functions: files and in-memory objects saved under the active run.

Objects are serialised in memory (``tracking/artifact_content.py``) and written with one
``ArtifactRepository.write_bytes`` call; no temporary files. Like every ``log_*`` function these
start a run when none is active.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jupyter_mltrack._types import PathLike
from jupyter_mltrack._validation import validate_artifact_path
from jupyter_mltrack.tracking.active import ActiveRun, current_run
from jupyter_mltrack.tracking.client_artifacts import artifact_repository
from jupyter_mltrack.tracking.fluent import raise_writer_error, start_run

if TYPE_CHECKING:
    import pandas as pd

    from jupyter_mltrack.artifacts import ArtifactRepository

__all__ = [
    "get_artifact_uri",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_table",
    "log_text",
]


def _run() -> ActiveRun:
    raise_writer_error()
    return current_run() or start_run()


def _repo() -> ArtifactRepository:
    run = _run()
    return artifact_repository(run.artifact_uri, run.client.tracking_uri)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    """Return the URI of the active run's artifact root, or of ``artifact_path`` under it.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.get_artifact_uri("model")  # doctest: +SKIP
        '/home/me/mltrack/artifacts/1/0f3c.../artifacts/model'
    """
    root = _run().artifact_uri
    rel = validate_artifact_path(artifact_path)
    return f"{root.rstrip('/')}/{rel}" if rel else root


def log_artifact(local_path: PathLike, artifact_path: str | None = None) -> None:
    """Copy a local file into the active run's artifacts, under the directory ``artifact_path``.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.log_artifact("confusion.png", "plots")  # doctest: +SKIP
    """
    _repo().log_artifact(local_path, artifact_path)


def log_artifacts(local_dir: PathLike, artifact_path: str | None = None) -> None:
    """Copy a local directory's contents, recursively, into the active run's artifacts.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.log_artifacts("outputs/", "outputs")  # doctest: +SKIP
    """
    _repo().log_artifacts(local_dir, artifact_path)


def log_text(text: str, artifact_file: str) -> None:
    """Save a string as a UTF-8 file of the active run.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.log_text("all good", "notes/summary.txt")  # doctest: +SKIP
    """
    from jupyter_mltrack.tracking.artifact_content import text_bytes

    data = text_bytes(text)
    _repo().write_bytes(artifact_file, data)


def log_dict(dictionary: Mapping[str, Any], artifact_file: str) -> None:
    """Save a mapping as JSON (``.json``) or YAML (``.yaml``/``.yml``) by the file's extension.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.log_dict({"lr": 0.01, "layers": [64, 32]}, "config.yaml")  # doctest: +SKIP
    """
    from jupyter_mltrack.tracking.artifact_content import dict_bytes

    data = dict_bytes(dictionary, artifact_file)
    _repo().write_bytes(artifact_file, data)


def log_figure(figure: Any, artifact_file: str) -> None:
    """Save a matplotlib or plotly figure in the format of the file's extension.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.log_figure(fig, "plots/loss.png")  # doctest: +SKIP
    """
    from jupyter_mltrack.tracking.artifact_content import figure_bytes

    data = figure_bytes(figure, artifact_file)
    _repo().write_bytes(artifact_file, data)


def log_table(data: pd.DataFrame | Mapping[str, Any], artifact_file: str) -> None:
    """Save a DataFrame (or a dict of columns) as ``.json``, ``.parquet`` or ``.csv``.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.log_table(predictions_df, "eval/predictions.parquet")  # doctest: +SKIP
    """
    from jupyter_mltrack.tracking.artifact_content import table_bytes

    payload = table_bytes(data, artifact_file)
    _repo().write_bytes(artifact_file, payload)
