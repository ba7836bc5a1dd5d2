"""The ArtifactRepository interface: the files of one run, wherever they live.

A repository is opened on a run's artifact root URI (a local folder, ``file://``, ``s3://``,
``memory://`` ...). Every path argument is relative to that root and goes through
:func:`~jupyter_mltrack._validation.validate_artifact_path`, so no call can read or write outside
it. Implementations share the small helpers at the bottom of this module.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator

from jupyter_mltrack._types import PathLike
from jupyter_mltrack._validation import validate_artifact_path
from jupyter_mltrack.entities import FileInfo
from jupyter_mltrack.errors import InvalidParameterError, NotFoundError, StoreError

__all__ = ["ArtifactRepository"]

#: Prefix of in-flight temporary files; listings and downloads skip them.
TEMP_PREFIX = ".mltrack-tmp-"


class ArtifactRepository(ABC):
    """Store and fetch the artifacts under one root URI.

    Args:
        artifact_uri: The run's artifact root, e.g. ``/abs/mltrack/artifacts/1/<run_id>/artifacts``
            or ``s3://bucket/1/<run_id>/artifacts``.

    Example:
        >>> repo = get_artifact_repository(run.info.artifact_uri)  # doctest: +SKIP
        >>> repo.write_bytes("notes/summary.txt", b"all good")  # doctest: +SKIP
        >>> [f.path for f in repo.list_artifacts("notes")]  # doctest: +SKIP
        ['notes/summary.txt']
    """

    def __init__(self, artifact_uri: str) -> None:
        self.artifact_uri = artifact_uri

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.artifact_uri!r})"

    @abstractmethod
    def log_artifact(self, local_file: PathLike, artifact_path: str | None = None) -> None:
        """Copy one local file into the directory ``artifact_path`` (the root when None)."""

    @abstractmethod
    def log_artifacts(self, local_dir: PathLike, artifact_path: str | None = None) -> None:
        """Copy the contents of a local directory, recursively, into ``artifact_path``."""

    @abstractmethod
    def write_bytes(self, artifact_file: str, data: bytes) -> None:
        """Write ``data`` to ``artifact_file``, a relative path including the file name."""

    @abstractmethod
    def read_bytes(self, artifact_file: str) -> bytes:
        """Return the content of one artifact file; raise NotFoundError if it does not exist."""

    @abstractmethod
    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """List one level of the directory ``path``, sorted by path.

        Paths are relative to the root; directories have ``file_size`` None. Listing a file or a
        missing path returns ``[]``, as in MLflow.
        """

    @abstractmethod
    def download_artifacts(self, artifact_path: str, dst_path: PathLike | None = None) -> str:
        """Download a file or a directory (recursively) and return its local path.

        The result is ``dst_path/<artifact_path>``; with no ``dst_path`` a new temporary
        directory is used (the local repository returns the stored path itself). Raises
        NotFoundError if the artifact does not exist.
        """

    @abstractmethod
    def delete_artifacts(self, path: str | None = None) -> None:
        """Delete a file or directory, or the whole root when ``path`` is None; missing is fine."""

    def _not_found(self, rel: str) -> NotFoundError:
        return NotFoundError(f"Artifact {rel or '.'!r} does not exist under {self.artifact_uri!r}")


def artifact_file_path(artifact_file: str) -> str:
    """Validate a relative artifact *file* path; the root itself is refused."""
    rel = validate_artifact_path(artifact_file)
    if not rel:
        raise InvalidParameterError(
            f"Artifact file {artifact_file!r} must name a file, e.g. 'outputs/report.txt'"
        )
    return rel


def logged_file_path(local_file: PathLike, artifact_path: str | None) -> tuple[str, str]:
    """Return ``(local file, relative destination)`` for ``log_artifact``, checking the input."""
    local = os.fspath(local_file)
    if not os.path.isfile(local):
        hint = "; use log_artifacts for a directory" if os.path.isdir(local) else ""
        raise InvalidParameterError(
            f"log_artifact needs an existing local file, got {local!r}{hint}"
        )
    rel_dir = validate_artifact_path(artifact_path)
    return local, posixpath.join(rel_dir, os.path.basename(local))


def local_tree(local_dir: PathLike) -> list[tuple[str, str]]:
    """Return ``(local path, relative posix path)`` for every file under ``local_dir``, sorted."""
    root = os.fspath(local_dir)
    if not os.path.isdir(root):
        raise InvalidParameterError(
            f"log_artifacts needs an existing local directory, got {root!r}"
        )
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        for name in sorted(filenames):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            files.append((os.path.join(dirpath, name), rel))
    return files


def download_root(dst_path: PathLike | None) -> str:
    """Return the absolute local directory to download into, creating it if needed."""
    if dst_path is None:
        return tempfile.mkdtemp(prefix="mltrack-artifacts-")
    dst = os.path.abspath(os.fspath(dst_path))
    os.makedirs(dst, exist_ok=True)
    return dst


def local_join(root: str, rel: str) -> str:
    """Join a relative posix artifact path onto a local directory."""
    return os.path.join(root, *rel.split("/")) if rel else root


@contextlib.contextmanager
def io_errors(action: str, where: str) -> Iterator[None]:
    """Turn OS errors other than "not found" into StoreError naming the action and place."""
    try:
        yield
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        raise
    except OSError as exc:
        raise StoreError(f"Could not {action} {where!r}: {exc}") from exc
