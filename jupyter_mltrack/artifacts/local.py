"""Artifacts in a local folder (plain paths and ``file://`` URIs), with os and shutil only.

Writes are atomic: each file is written to a temporary name in its destination folder and then
renamed over the target with :func:`os.replace`, so a crashed process never leaves a half-written
artifact behind (only a ``.mltrack-tmp-*`` file that listings and downloads skip).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import posixpath
import re
import shutil
import urllib.parse
import uuid
from collections.abc import Callable

from jupyter_mltrack._types import PathLike
from jupyter_mltrack._validation import validate_artifact_path
from jupyter_mltrack.artifacts.base import (
    TEMP_PREFIX,
    ArtifactRepository,
    artifact_file_path,
    download_root,
    io_errors,
    local_join,
    local_tree,
    logged_file_path,
)
from jupyter_mltrack.entities import FileInfo
from jupyter_mltrack.errors import InvalidParameterError, NotFoundError, StoreError

__all__ = ["LocalArtifactRepository", "local_path_from_uri"]

# A full disk, or a full quota: the caller can only free space and retry.
_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


def local_path_from_uri(uri: str) -> str:
    """Return the absolute local path of a plain path or a ``file://`` URI.

    Example:
        >>> local_path_from_uri("file:///tmp/mltrack/artifacts")
        '/tmp/mltrack/artifacts'
    """
    parsed = urllib.parse.urlsplit(uri)
    if parsed.scheme.lower() != "file":
        return os.path.abspath(uri)
    if parsed.netloc not in ("", "localhost"):
        raise InvalidParameterError(
            f"file URI {uri!r} names the host {parsed.netloc!r}; only local files are supported"
        )
    path = urllib.parse.unquote(parsed.path)
    if os.name == "nt" and re.match(r"^/[A-Za-z]:", path):
        path = path[1:]
    return os.path.abspath(path)


class LocalArtifactRepository(ArtifactRepository):
    """Artifacts stored under a local directory.

    Args:
        artifact_uri: A plain path or a ``file://`` URI; relative paths are made absolute.
    """

    def __init__(self, artifact_uri: str) -> None:
        super().__init__(artifact_uri)
        self.root = local_path_from_uri(artifact_uri)

    def log_artifact(self, local_file: PathLike, artifact_path: str | None = None) -> None:
        local, rel = logged_file_path(local_file, artifact_path)
        with io_errors("log artifact", rel):
            _write_atomic(self._path(rel), functools.partial(shutil.copyfile, local))

    def log_artifacts(self, local_dir: PathLike, artifact_path: str | None = None) -> None:
        base = validate_artifact_path(artifact_path)
        files = local_tree(local_dir)
        with io_errors("log artifacts into", base or self.artifact_uri):
            os.makedirs(self._path(base), exist_ok=True)
            for local, rel in files:
                dest = self._path(posixpath.join(base, rel))
                _write_atomic(dest, functools.partial(shutil.copyfile, local))

    def write_bytes(self, artifact_file: str, data: bytes) -> None:
        rel = artifact_file_path(artifact_file)
        with io_errors("write artifact", rel):
            _write_atomic(self._path(rel), lambda tmp: _write_file(tmp, data))

    def read_bytes(self, artifact_file: str) -> bytes:
        rel = artifact_file_path(artifact_file)
        path = self._path(rel)
        if os.path.isdir(path):
            raise InvalidParameterError(
                f"Artifact {rel!r} is a directory; use download_artifacts or list_artifacts"
            )
        try:
            with io_errors("read artifact", rel), open(path, "rb") as file:
                return file.read()
        except (FileNotFoundError, NotADirectoryError):
            raise self._not_found(rel) from None

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        rel = validate_artifact_path(path)
        try:
            with io_errors("list artifacts in", rel), os.scandir(self._path(rel)) as entries:
                infos = [_file_info(rel, e) for e in entries if not e.name.startswith(TEMP_PREFIX)]
        except (FileNotFoundError, NotADirectoryError):
            return []
        return sorted(infos, key=lambda info: info.path)

    def download_artifacts(self, artifact_path: str, dst_path: PathLike | None = None) -> str:
        rel = validate_artifact_path(artifact_path)
        src = self._path(rel)
        if not os.path.exists(src):
            raise self._not_found(rel)
        if dst_path is None:
            return src
        dest = local_join(download_root(dst_path), rel)
        with io_errors("download artifact", rel):
            if os.path.isdir(src):
                skip = shutil.ignore_patterns(f"{TEMP_PREFIX}*")
                shutil.copytree(src, dest, ignore=skip, dirs_exist_ok=True)
            else:
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                shutil.copyfile(src, dest)
        return dest

    def delete_artifacts(self, path: str | None = None) -> None:
        rel = validate_artifact_path(path)
        target = self._path(rel)
        with io_errors("delete artifacts at", rel or self.artifact_uri):
            if os.path.isdir(target) and not os.path.islink(target):
                shutil.rmtree(target)
            elif os.path.lexists(target):
                os.remove(target)

    def _path(self, rel: str) -> str:
        return local_join(self.root, rel)

    def _not_found(self, rel: str) -> NotFoundError:
        if os.path.isdir(self.root):
            return super()._not_found(rel)
        # Name the top-most missing folder: an artifact folder left behind when a store was
        # copied shows as its whole artifacts/ folder missing, not as one missing file.
        missing = self.root
        while (parent := os.path.dirname(missing)) != missing and not os.path.exists(parent):
            missing = parent
        return NotFoundError(
            f"Artifact {rel or '.'!r} does not exist under {self.artifact_uri!r}: the folder "
            f"{missing} is missing. If the store was copied or moved, copy its artifact folder "
            "along with the database (or restore it from a backup); if nothing was logged to "
            "this run yet, log an artifact first"
        )


def _write_atomic(dest: str, fill: Callable[[str], object]) -> None:
    """Let ``fill`` write a temporary file next to ``dest``, then rename it over ``dest``."""
    parent = os.path.dirname(dest)
    os.makedirs(parent, exist_ok=True)
    # Not tempfile.mkstemp: its 0600 mode would survive the rename; this name follows the umask.
    tmp = os.path.join(parent, f"{TEMP_PREFIX}{uuid.uuid4().hex}")
    try:
        fill(tmp)
        os.replace(tmp, dest)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
            raise StoreError(
                f"No space left on the disk holding {parent} ({exc.strerror}): "
                f"{os.path.basename(dest)!r} was not written and no partial file was kept. "
                "Free some space and log it again"
            ) from exc
        raise


def _write_file(path: str, data: bytes) -> None:
    with open(path, "xb") as file:
        file.write(data)


def _file_info(rel_dir: str, entry: os.DirEntry[str]) -> FileInfo:
    path = posixpath.join(rel_dir, entry.name)
    if entry.is_dir():
        return FileInfo(path=path, is_dir=True, file_size=None)
    return FileInfo(path=path, is_dir=False, file_size=entry.stat().st_size)
