"""Artifacts on any filesystem fsspec knows (``s3://``, ``gs://``, ``az://``, ``memory://`` ...).

fsspec and the scheme's driver are imported when a repository is opened, never at import time; a
missing driver raises :class:`~jupyter_mltrack.errors.MissingDependencyError` naming the extra.

S3-compatible stores other than AWS (MinIO, Ceph, moto ...) are reached by setting
``MLTRACK_S3_ENDPOINT_URL`` (or MLflow's ``MLFLOW_S3_ENDPOINT_URL``, so one environment serves both
clients) to the endpoint, e.g. ``http://minio.internal:9000``; credentials come from the usual
``AWS_*`` variables or files.
"""

from __future__ import annotations

import os
import posixpath
import urllib.parse
from typing import TYPE_CHECKING, Any, cast

from jupyter_mltrack._types import PathLike
from jupyter_mltrack._validation import validate_artifact_path
from jupyter_mltrack.artifacts.base import (
    ArtifactRepository,
    artifact_file_path,
    download_root,
    io_errors,
    local_join,
    local_tree,
    logged_file_path,
)
from jupyter_mltrack.entities import FileInfo
from jupyter_mltrack.errors import InvalidParameterError, MissingDependencyError

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

__all__ = [
    "S3_ENDPOINT_VARIABLES",
    "FsspecArtifactRepository",
    "open_filesystem",
    "storage_options",
]

#: The extra of jupyter_mltrack that installs each fsspec driver package.
DRIVER_EXTRAS = {"s3fs": "s3", "gcsfs": "gcs", "adlfs": "azure"}
_FALLBACK_EXTRA = "remote"

#: Environment variables naming the S3 endpoint, first one set wins.
S3_ENDPOINT_VARIABLES = ("MLTRACK_S3_ENDPOINT_URL", "MLFLOW_S3_ENDPOINT_URL")


def storage_options(scheme: str) -> dict[str, Any]:
    """Return the fsspec options the environment sets for ``scheme`` (an S3 endpoint)."""
    if scheme in ("s3", "s3a"):
        for name in S3_ENDPOINT_VARIABLES:
            endpoint = os.environ.get(name, "").strip()
            if endpoint:
                return {"endpoint_url": endpoint}
    return {}


def open_filesystem(uri: str) -> tuple[AbstractFileSystem, str]:
    """Return the fsspec filesystem for ``uri`` and the URI's path on it (no trailing slash).

    Raises:
        MissingDependencyError: fsspec or the scheme's driver (e.g. s3fs) is not installed.
        InvalidParameterError: fsspec has no implementation for the URI's scheme.
    """
    scheme = urllib.parse.urlsplit(uri).scheme.lower()
    try:
        import fsspec
    except ImportError as exc:
        raise MissingDependencyError(
            "fsspec", extra=_FALLBACK_EXTRA, feature=f"{scheme}:// artifacts"
        ) from exc
    try:
        fsspec.get_filesystem_class(scheme)
    except ValueError as exc:
        raise InvalidParameterError(
            f"No artifact repository handles the scheme {scheme!r} of {uri!r}; use a local path, "
            "a scheme fsspec supports (s3://, gs://, az://, memory://, ...), or register one with "
            "register_artifact_repository"
        ) from exc
    except ImportError as exc:
        package = _missing_package(exc, scheme)
        extra = DRIVER_EXTRAS.get(package, _FALLBACK_EXTRA)
        raise MissingDependencyError(
            package, extra=extra, feature=f"{scheme}:// artifacts"
        ) from exc
    # URI schemes are case-insensitive; fsspec's protocol names are lower case.
    fs, path = fsspec.core.url_to_fs(scheme + uri[len(scheme) :], **storage_options(scheme))
    return fs, path.rstrip("/")


def _missing_package(exc: ImportError, scheme: str) -> str:
    """Name the package whose absence made fsspec refuse ``scheme``."""
    name = getattr(exc.__cause__, "name", None) or exc.name
    return name.split(".")[0] if name else scheme


class FsspecArtifactRepository(ArtifactRepository):
    """Artifacts stored on an fsspec filesystem.

    Args:
        artifact_uri: A URI with a scheme fsspec knows, e.g. ``s3://bucket/1/<run_id>/artifacts``.

    Raises:
        MissingDependencyError: The scheme's driver package is not installed.
        InvalidParameterError: fsspec does not know the scheme.
    """

    def __init__(self, artifact_uri: str) -> None:
        super().__init__(artifact_uri)
        self.fs, self.root = open_filesystem(artifact_uri)

    def log_artifact(self, local_file: PathLike, artifact_path: str | None = None) -> None:
        local, rel = logged_file_path(local_file, artifact_path)
        with io_errors("log artifact", rel):
            self.fs.put_file(local, self._path(rel))

    def log_artifacts(self, local_dir: PathLike, artifact_path: str | None = None) -> None:
        base = validate_artifact_path(artifact_path)
        pairs = local_tree(local_dir)
        if not pairs:
            return
        local_paths = [local for local, _ in pairs]
        remote_paths = [self._path(posixpath.join(base, rel)) for _, rel in pairs]
        # Lists on both sides: one call, which async drivers (s3fs, gcsfs) run concurrently.
        with io_errors("log artifacts into", base or self.artifact_uri):
            self.fs.put(local_paths, remote_paths)

    def write_bytes(self, artifact_file: str, data: bytes) -> None:
        rel = artifact_file_path(artifact_file)
        path = self._path(rel)
        with io_errors("write artifact", rel):
            try:
                self.fs.pipe_file(path, data)
            except FileNotFoundError:
                # Object stores need no parent folders; filesystems with real folders do.
                self.fs.makedirs(posixpath.dirname(path), exist_ok=True)
                self.fs.pipe_file(path, data)

    def read_bytes(self, artifact_file: str) -> bytes:
        rel = artifact_file_path(artifact_file)
        path = self._path(rel)
        try:
            with io_errors("read artifact", rel):
                return cast(bytes, self.fs.cat_file(path))
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            if self.fs.isdir(path):
                raise InvalidParameterError(
                    f"Artifact {rel!r} is a directory; use download_artifacts or list_artifacts"
                ) from None
            raise self._not_found(rel) from None

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        rel = validate_artifact_path(path)
        full = self._path(rel)
        try:
            with io_errors("list artifacts in", rel):
                self._forget_listings(full)
                if not self.fs.isdir(full):
                    return []
                entries = self.fs.ls(full, detail=True)
        except FileNotFoundError:
            return []
        infos = (_file_info(rel, full, entry) for entry in entries)
        return sorted((info for info in infos if info), key=lambda info: info.path)

    def download_artifacts(self, artifact_path: str, dst_path: PathLike | None = None) -> str:
        rel = validate_artifact_path(artifact_path)
        src = self._path(rel)
        with io_errors("download artifact", rel):
            self._forget_listings(src)
            if self.fs.isdir(src):
                dest = local_join(download_root(dst_path), rel)
                self._get_tree(src, dest)
            elif self.fs.isfile(src):
                dest = local_join(download_root(dst_path), rel)
                # s3fs writes to the local path as given: its folders must exist first.
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                self.fs.get_file(src, dest)
            else:
                raise self._not_found(rel)
        return dest

    def delete_artifacts(self, path: str | None = None) -> None:
        rel = validate_artifact_path(path)
        try:
            with io_errors("delete artifacts at", rel or self.artifact_uri):
                self.fs.rm(self._path(rel), recursive=True)
        except FileNotFoundError:
            pass

    def _forget_listings(self, path: str) -> None:
        """Drop fsspec's cached listings of ``path`` (and its parents) before reading it.

        fsspec shares one filesystem object (and its listings cache) per process, while other
        processes (clients writing directly, other server workers) add files to the same bucket;
        a cached listing would hide them.
        """
        self.fs.invalidate_cache(path)

    def _path(self, rel: str) -> str:
        return f"{self.root}/{rel}" if rel else self.root

    def _get_tree(self, src: str, dest: str) -> None:
        """Download every file under the remote directory ``src`` into ``dest``."""
        os.makedirs(dest, exist_ok=True)
        prefix = src + "/"
        remote = [name for name in self.fs.find(src) if name.startswith(prefix)]
        if remote:
            local = [local_join(dest, name[len(prefix) :]) for name in remote]
            self.fs.get(remote, local)


def _file_info(rel_dir: str, full_dir: str, entry: dict[str, Any]) -> FileInfo | None:
    """Convert one fsspec ``ls`` entry; None for the listed directory itself."""
    name = str(entry["name"]).rstrip("/")
    if name == full_dir or not name:
        return None
    path = posixpath.join(rel_dir, posixpath.basename(name))
    if entry.get("type") == "directory":
        return FileInfo(path=path, is_dir=True, file_size=None)
    size = entry.get("size")
    return FileInfo(path=path, is_dir=False, file_size=int(size) if size is not None else None)
