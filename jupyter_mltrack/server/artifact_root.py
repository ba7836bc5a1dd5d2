"""ArtifactRoot: the server side of the ``mlflow-artifacts:/`` proxy.

``mlflow-artifacts:/X`` names ``<artifacts destination>/X``. Every path that arrives over HTTP is
checked by :func:`safe_relative_path` before anything is touched: no ``..``, ``.`` or empty
segments, no absolute or drive paths, no backslashes or NUL, and no percent-encoded separators or
dots (``%2e``, ``%2f``, ``%5c``, also double-encoded). Uploads stream into a temporary file next
to their destination and are renamed into place only when the whole body has arrived, so a
dropped connection or a body over the limit leaves nothing behind.

A local destination (a folder or ``file://``) is served directly with ``os`` calls; any other
destination goes through its :class:`~jupyter_mltrack.artifacts.base.ArtifactRepository` (fsspec
for ``s3://``, ``gs://`` ...), staging files in a local temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import shutil
import tempfile
import uuid
from typing import TYPE_CHECKING

from jupyter_mltrack._validation import validate_artifact_length
from jupyter_mltrack.artifacts.base import TEMP_PREFIX
from jupyter_mltrack.artifacts.local import LocalArtifactRepository
from jupyter_mltrack.artifacts.registry import get_artifact_repository
from jupyter_mltrack.entities import FileInfo
from jupyter_mltrack.errors import InvalidParameterError, NotFoundError, RequestTooLarge
from jupyter_mltrack.server._http import blocking

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

__all__ = ["CHUNK_SIZE", "ArtifactRoot", "safe_relative_path"]

#: Bytes per read/write while streaming artifacts in either direction.
CHUNK_SIZE = 1024 * 1024

_ENCODED = re.compile(r"%(?:2e|2f|5c|25)", re.IGNORECASE)
_DRIVE = re.compile(r"^[A-Za-z]:")


def safe_relative_path(path: str, *, raw: str | None = None, allow_root: bool = False) -> str:
    """Return ``path`` if it is a clean relative artifact path, else raise InvalidParameterError.

    Args:
        path: The decoded path, e.g. ``1/<run_id>/artifacts/model/MLmodel``.
        raw: The path as it was on the wire (still percent-encoded), if known.
        allow_root: For listings: accept ``""`` (the destination itself), a trailing ``/`` and
            ``.`` segments meaning "this folder" (MLflow clients list ``<run>/artifacts/.``);
            ``..`` stays refused.
    """
    if raw is not None and _ENCODED.search(raw):
        raise _unsafe(path, "percent-encoded '.', '/', '\\' or '%' are not allowed")
    if allow_root:
        path = "/".join(s for s in path.removesuffix("/").split("/") if s != ".")
        if not path:
            return ""
    if not path:
        raise _unsafe(path, "it is empty")
    if "\\" in path or "\x00" in path:
        raise _unsafe(path, "backslashes and NUL characters are not allowed")
    if _ENCODED.search(path):  # still encoded after one decoding: double-encoded traversal
        raise _unsafe(path, "percent-encoded '.', '/', '\\' or '%' are not allowed")
    if path.startswith("/") or _DRIVE.match(path):
        raise _unsafe(path, "it must be relative to the artifact root")
    for segment in path.split("/"):
        if segment in ("", ".", ".."):
            raise _unsafe(path, "'.', '..' and empty path segments are not allowed")
        if segment.startswith(TEMP_PREFIX):
            raise _unsafe(path, f"names starting with {TEMP_PREFIX!r} are reserved")
    return validate_artifact_length(path)


def _unsafe(path: str, why: str) -> InvalidParameterError:
    return InvalidParameterError(f"Invalid artifact path {path!r}: {why}")


class ArtifactRoot:
    """Resolve, store, list and serve artifact files under the server's destination.

    Args:
        destination: A local folder, ``file://`` URI, or any URI an artifact repository serves.

    Example:
        >>> root = ArtifactRoot("/srv/mltrack/artifacts")  # doctest: +SKIP
        >>> root.local_path("1/abc/artifacts/model/MLmodel")  # doctest: +SKIP
        '/srv/mltrack/artifacts/1/abc/artifacts/model/MLmodel'
    """

    def __init__(self, destination: str) -> None:
        self.destination = destination
        self.repository = get_artifact_repository(destination)
        self.root: str | None = None
        if isinstance(self.repository, LocalArtifactRepository):
            self.root = self.repository.root
            os.makedirs(self.root, exist_ok=True)

    def __repr__(self) -> str:
        return f"ArtifactRoot({self.destination!r})"

    @property
    def is_local(self) -> bool:
        """Whether the destination is a local folder (served without staging)."""
        return self.root is not None

    def local_path(self, rel: str) -> str:
        """Return the local path of a checked relative path (local destinations only)."""
        assert self.root is not None
        return os.path.join(self.root, *rel.split("/")) if rel else self.root

    # -- upload ---------------------------------------------------------------------------------
    async def upload(
        self, rel: str, chunks: AsyncIterator[bytes], *, limit: int, expected: int | None = None
    ) -> int:
        """Store the streamed body at ``rel``; return its size. Nothing is kept on failure.

        Args:
            rel: A path checked by :func:`safe_relative_path`.
            chunks: The body, e.g. ``request.stream()``.
            limit: The most bytes accepted.
            expected: The declared Content-Length, if any; a shorter body is refused.

        Raises:
            RequestTooLarge: More than ``limit`` bytes arrived (the partial file is removed).
            InvalidParameterError: ``rel`` is an existing directory or lies below a file, or the
                body is shorter than declared.
        """
        if self.root is not None and expected is not None and expected <= CHUNK_SIZE:
            # Small files (most artifacts) arrive whole first, then take one threadpool trip.
            body = await _collect(chunks, min(limit, expected))
            _check_length(rel, len(body), expected)
            await blocking(_write_whole, self.local_path(rel), rel, body)
            return len(body)
        if self.root is not None:
            dest = self.local_path(rel)
            parent = os.path.dirname(dest)
        else:
            stage = await blocking(tempfile.mkdtemp, prefix="mltrack-upload-")
            dest = os.path.join(stage, posixpath.basename(rel))
            parent = stage
        try:
            await blocking(_prepare_parent, parent, dest, rel)
            tmp = os.path.join(parent, f"{TEMP_PREFIX}{uuid.uuid4().hex}")
            size = await _stream_to_file(tmp, chunks, limit)
            try:
                _check_length(rel, size, expected)
            except InvalidParameterError:
                await blocking(os.unlink, tmp)
                raise
            await blocking(os.replace, tmp, dest)
            if self.root is None:
                await blocking(self.repository.log_artifact, dest, posixpath.dirname(rel) or None)
        finally:
            if self.root is None:
                await blocking(shutil.rmtree, parent, True)
        return size

    # -- download -------------------------------------------------------------------------------
    async def open_file(self, rel: str) -> tuple[str, str | None]:
        """Return ``(local file path, staging folder to remove afterwards or None)`` for ``rel``.

        Raises:
            NotFoundError: No file exists at ``rel``.
            InvalidParameterError: ``rel`` is a directory.
        """
        if self.root is not None:
            path = self.local_path(rel)
            if await blocking(os.path.isfile, path):
                return path, None
            if await blocking(os.path.isdir, path):
                raise _is_directory(rel)
            raise NotFoundError(f"No such artifact: {rel!r}")
        stage = await blocking(tempfile.mkdtemp, prefix="mltrack-download-")
        try:
            path = await blocking(self.repository.download_artifacts, rel, stage)
            if not await blocking(os.path.isfile, path):
                raise _is_directory(rel)
        except BaseException:
            await blocking(shutil.rmtree, stage, True)
            raise
        return path, stage

    # -- listing and deletion ---------------------------------------------------------------
    def list_dir(self, rel: str) -> list[FileInfo]:
        """List one level of directory ``rel`` with paths relative to it; ``[]`` for a file."""
        if self.root is not None:
            return _list_local(self.local_path(rel))
        infos = self.repository.list_artifacts(rel or None)
        return [
            FileInfo(path=posixpath.basename(i.path), is_dir=i.is_dir, file_size=i.file_size)
            for i in infos
        ]

    def delete(self, rel: str) -> None:
        """Delete the file or directory ``rel``; a missing one is fine."""
        self.repository.delete_artifacts(rel)


def _prepare_parent(parent: str, dest: str, rel: str) -> None:
    if os.path.isdir(dest):
        raise _is_directory(rel)
    try:
        os.makedirs(parent, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise InvalidParameterError(
            f"Cannot store artifact {rel!r}: a parent of it is an existing file"
        ) from None


def _check_length(rel: str, size: int, expected: int | None) -> None:
    if expected is not None and size != expected:
        raise InvalidParameterError(
            f"The upload of {rel!r} ended after {size} of {expected} declared bytes"
        )


async def _collect(chunks: AsyncIterator[bytes], limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise _over_limit(limit)
        parts.append(chunk)
    return b"".join(parts)


def _write_whole(dest: str, rel: str, body: bytes) -> None:
    """Write a complete body to a temporary file beside ``dest``, then rename it into place."""
    parent = os.path.dirname(dest)
    _prepare_parent(parent, dest, rel)
    tmp = os.path.join(parent, f"{TEMP_PREFIX}{uuid.uuid4().hex}")
    try:
        with open(tmp, "xb") as file:
            file.write(body)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _over_limit(limit: int) -> RequestTooLarge:
    return RequestTooLarge(
        f"The artifact upload has more than {limit} bytes, the server's limit; "
        "restart the server with a larger --max-upload-mb to accept it"
    )


async def _stream_to_file(tmp: str, chunks: AsyncIterator[bytes], limit: int) -> int:
    """Write chunks to the new file ``tmp`` in ~1 MiB writes; remove it on any failure."""
    file = await blocking(open, tmp, "xb")
    try:
        size = 0
        pending = bytearray()
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise _over_limit(limit)
            pending += chunk
            if len(pending) >= CHUNK_SIZE:
                await blocking(file.write, pending)
                pending = bytearray()
        if pending:
            await blocking(file.write, pending)
        await blocking(file.close)
    except BaseException:
        file.close()
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return size


def _list_local(path: str) -> list[FileInfo]:
    try:
        with os.scandir(path) as entries:
            infos = [
                FileInfo(path=e.name, is_dir=True)
                if e.is_dir()
                else FileInfo(path=e.name, is_dir=False, file_size=e.stat().st_size)
                for e in entries
                if not e.name.startswith(TEMP_PREFIX)
            ]
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(infos, key=lambda info: info.path)


def _is_directory(rel: str) -> InvalidParameterError:
    return InvalidParameterError(
        f"Artifact {rel!r} is a directory; list it with GET "
        "/api/2.0/mlflow-artifacts/artifacts?path=... and download its files one by one"
    )
