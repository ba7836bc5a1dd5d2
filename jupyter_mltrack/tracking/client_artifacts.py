"""The artifact methods of :class:`~jupyter_mltrack.tracking.client.TrackingClient`.

Artifacts live in an :class:`~jupyter_mltrack.artifacts.ArtifactRepository` opened on the run's
artifact URI; objects are serialised in memory by ``tracking/artifact_content.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jupyter_mltrack._types import PathLike
from jupyter_mltrack.entities import FileInfo, LifecycleStage, Run
from jupyter_mltrack.errors import InvalidStateError

if TYPE_CHECKING:
    import pandas as pd

    from jupyter_mltrack.artifacts import ArtifactRepository

__all__ = ["ArtifactMethods", "artifact_repository"]


def artifact_repository(artifact_uri: str, tracking_uri: str | None = None) -> ArtifactRepository:
    """Open the repository of a run's artifact root.

    ``tracking_uri`` is the store the run lives in: a tracking server's ``mlflow-artifacts:/``
    URIs resolve against it.
    """
    from jupyter_mltrack.artifacts import get_artifact_repository

    return get_artifact_repository(artifact_uri, tracking_uri=tracking_uri)


class ArtifactMethods:
    """Mixin: list, download and log a run's artifacts (needs ``get_run``)."""

    if TYPE_CHECKING:  # provided by TrackingClient

        def get_run(self, run_id: str) -> Run: ...

    def _repo(self, run_id: str, *, write: bool) -> ArtifactRepository:
        run = self.get_run(run_id)
        if write and run.info.lifecycle_stage is LifecycleStage.DELETED:
            raise InvalidStateError(
                f"Run {run_id!r} is deleted; restore it with restore_run() before logging "
                "artifacts to it"
            )
        return artifact_repository(run.info.artifact_uri, getattr(self, "tracking_uri", None))

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """List one level of a run's artifact directory ``path`` (the root when None).

        Example:
            >>> [f.path for f in client.list_artifacts(run_id)]  # doctest: +SKIP
            ['config.yaml', 'plots']
        """
        return self._repo(run_id, write=False).list_artifacts(path)

    def download_artifacts(self, run_id: str, path: str, dst_path: PathLike | None = None) -> str:
        """Download an artifact file or directory and return its local path.

        Example:
            >>> local = client.download_artifacts(run_id, "plots", "/tmp/out")  # doctest: +SKIP
        """
        return self._repo(run_id, write=False).download_artifacts(path, dst_path)

    def log_artifact(
        self, run_id: str, local_path: PathLike, artifact_path: str | None = None
    ) -> None:
        """Copy a local file into the run's artifacts, under the directory ``artifact_path``.

        Example:
            >>> client.log_artifact(run_id, "model.pkl", "models")  # doctest: +SKIP
        """
        self._repo(run_id, write=True).log_artifact(local_path, artifact_path)

    def log_artifacts(
        self, run_id: str, local_dir: PathLike, artifact_path: str | None = None
    ) -> None:
        """Copy a local directory's contents, recursively, into the run's artifacts.

        Example:
            >>> client.log_artifacts(run_id, "outputs/")  # doctest: +SKIP
        """
        self._repo(run_id, write=True).log_artifacts(local_dir, artifact_path)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        """Write a string as a UTF-8 artifact file.

        Example:
            >>> client.log_text(run_id, "all good", "notes/summary.txt")  # doctest: +SKIP
        """
        from jupyter_mltrack.tracking.artifact_content import text_bytes

        self._repo(run_id, write=True).write_bytes(artifact_file, text_bytes(text))

    def log_dict(self, run_id: str, dictionary: Mapping[str, Any], artifact_file: str) -> None:
        """Write a mapping as JSON (``.json``) or YAML (``.yaml``/``.yml``).

        Example:
            >>> client.log_dict(run_id, {"lr": 0.1}, "config.yaml")  # doctest: +SKIP
        """
        from jupyter_mltrack.tracking.artifact_content import dict_bytes

        data = dict_bytes(dictionary, artifact_file)
        self._repo(run_id, write=True).write_bytes(artifact_file, data)

    def log_figure(self, run_id: str, figure: Any, artifact_file: str) -> None:
        """Save a matplotlib or plotly figure in the format of the file's extension.

        Example:
            >>> client.log_figure(run_id, fig, "plots/loss.png")  # doctest: +SKIP
        """
        from jupyter_mltrack.tracking.artifact_content import figure_bytes

        data = figure_bytes(figure, artifact_file)
        self._repo(run_id, write=True).write_bytes(artifact_file, data)

    def log_table(
        self,
        run_id: str,
        data: pd.DataFrame | Mapping[str, Any],
        artifact_file: str,
    ) -> None:
        """Save a DataFrame (or a dict of columns) as ``.json``, ``.parquet`` or ``.csv``.

        Example:
            >>> client.log_table(run_id, df, "eval/predictions.parquet")  # doctest: +SKIP
        """
        from jupyter_mltrack.tracking.artifact_content import table_bytes

        payload = table_bytes(data, artifact_file)
        self._repo(run_id, write=True).write_bytes(artifact_file, payload)
