"""Artifacts behind a tracking server's proxy: ``mlflow-artifacts:/...`` and ``http(s)://`` URIs.

A server started with ``--serve-artifacts`` (``mlflow server``) or any ``mltrack server`` hands
out artifact URIs like ``mlflow-artifacts:/1/<run_id>/artifacts``. They resolve against the
tracking server (protocol doc §3): ``<tracking scheme://host[:port][/prefix]>/api/2.0/
mlflow-artifacts/artifacts/1/<run_id>/artifacts``; a host inside the URI
(``mlflow-artifacts://h:p/...``) overrides the tracking host. Files go up with one streamed
``PUT`` each, come down with streamed ``GET``s, and directories are listed with ``GET
.../artifacts?path=<dir>``.
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
import posixpath
import urllib.parse
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

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
from jupyter_mltrack.errors import InvalidParameterError

if TYPE_CHECKING:
    import urllib3

    from jupyter_mltrack.store.rest.http import HttpClient

__all__ = ["ARTIFACTS_API", "HttpArtifactRepository", "resolve_mlflow_artifacts_uri"]

T = TypeVar("T")

ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts"
CHUNK_BYTES = 1024 * 1024
#: Files moved at once by log_artifacts/download_artifacts (each is one request).
PARALLEL_TRANSFERS = 8


def _server_base(uri: str) -> str | None:
    scheme = urllib.parse.urlsplit(uri).scheme.lower()
    return uri.rstrip("/") if scheme in ("http", "https") else None


def resolve_mlflow_artifacts_uri(uri: str, tracking_uri: str | None = None) -> str:
    """Turn ``mlflow-artifacts:/<path>`` into the server's ``http(s)://`` artifact URL.

    The server is ``tracking_uri`` if it is an ``http(s)`` URI, else the current tracking URI,
    else the server the last REST store was opened for.

    Example:
        >>> resolve_mlflow_artifacts_uri("mlflow-artifacts:/1/abc/artifacts", "http://h:5000")
        'http://h:5000/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts'
    """
    parts = urllib.parse.urlsplit(uri)
    base = _tracking_server(tracking_uri, uri)
    if parts.netloc:  # mlflow-artifacts://host:port/path names the server itself
        scheme = urllib.parse.urlsplit(base).scheme if base else "http"
        base = f"{scheme}://{parts.netloc}"
    if base is None:
        raise InvalidParameterError(
            f"Artifact URI {uri!r} is served by a tracking server, but no server is known: "
            "set the tracking URI to it first, e.g. set_tracking_uri('http://host:5000') or "
            "MLTRACK_TRACKING_URI=http://host:5000"
        )
    path = parts.path.lstrip("/")
    return f"{base}{ARTIFACTS_API}/{path}" if path else f"{base}{ARTIFACTS_API}"


def _tracking_server(tracking_uri: str | None, uri: str) -> str | None:
    if tracking_uri is not None and _server_base(tracking_uri):
        return _server_base(tracking_uri)
    from jupyter_mltrack.store.tracking_uri import get_tracking_uri

    current = _server_base(get_tracking_uri())
    if current is not None:
        return current
    from jupyter_mltrack.store.rest.http import last_server

    remembered = last_server()
    return None if remembered is None else _server_base(remembered)


def _content_type(name: str) -> str:
    guessed = mimetypes.guess_type(name)[0]
    return guessed or ("text/plain" if name == "MLmodel" else "application/octet-stream")


class HttpArtifactRepository(ArtifactRepository):
    """Artifacts under an ``http(s)://`` URL of a tracking server's artifact proxy.

    Args:
        artifact_uri: ``http(s)://host:port/api/2.0/mlflow-artifacts/artifacts/<root>``
            (what an ``mlflow-artifacts:/<root>`` URI resolves to), or any URL that accepts
            ``PUT``/``GET`` of files (then listing is not available).

    Example:
        >>> repo = HttpArtifactRepository(  # doctest: +SKIP
        ...     "http://127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts"
        ... )
        >>> repo.write_bytes("notes.txt", b"hi")  # doctest: +SKIP
    """

    def __init__(self, artifact_uri: str) -> None:
        super().__init__(artifact_uri)
        from jupyter_mltrack.store.rest.http import shared_client

        url = artifact_uri.rstrip("/")
        server, found, root = url.partition(ARTIFACTS_API)
        if found:
            self.prefix, self.root = ARTIFACTS_API, urllib.parse.unquote(root.strip("/"))
        else:  # a plain file server: the URL's path is the root
            parts = urllib.parse.urlsplit(url)
            server = f"{parts.scheme}://{parts.netloc}"
            self.prefix, self.root = "", urllib.parse.unquote(parts.path.strip("/"))
        self.http: HttpClient = shared_client(server)

    # -- writing -------------------------------------------------------------------------------
    def log_artifact(self, local_file: PathLike, artifact_path: str | None = None) -> None:
        local, rel = logged_file_path(local_file, artifact_path)
        self._upload(local, rel)

    def log_artifacts(self, local_dir: PathLike, artifact_path: str | None = None) -> None:
        base = validate_artifact_path(artifact_path)
        files = [(local, posixpath.join(base, rel)) for local, rel in local_tree(local_dir)]
        _parallel(lambda pair: self._upload(*pair), files)

    def write_bytes(self, artifact_file: str, data: bytes) -> None:
        rel = artifact_file_path(artifact_file)
        headers = {"Content-Type": _content_type(posixpath.basename(rel))}
        self._put(rel, data, headers)

    def _upload(self, local: str, rel: str) -> None:
        """Stream one file up with a Content-Length (no chunked encoding, as MLflow does)."""
        with io_errors("read", local):
            size = os.path.getsize(local)
        headers = {
            "Content-Type": _content_type(posixpath.basename(rel)),
            "Content-Length": str(size),
        }

        self._put(rel, local, headers)

    def _put(self, rel: str, source: str | bytes, headers: dict[str, str]) -> None:
        # While the server is unreachable the file waits in the run's offline journal.
        from jupyter_mltrack.store.rest.offline_artifacts import put_or_keep

        response = put_or_keep(self.http, self._url(rel), source, headers)
        if response is not None:
            self._check(response, "PUT")

    def delete_artifacts(self, path: str | None = None) -> None:
        rel = validate_artifact_path(path)
        response = self.http.request("DELETE", self._url(rel))
        if response.status != 404:  # already gone is fine
            self._check(response, "DELETE")

    # -- reading -------------------------------------------------------------------------------
    def read_bytes(self, artifact_file: str) -> bytes:
        rel = artifact_file_path(artifact_file)
        response = self.http.request("GET", self._url(rel))
        if response.status in (400, 404):
            if self.prefix and self.list_artifacts(rel):
                raise InvalidParameterError(
                    f"Artifact {rel!r} is a directory; use download_artifacts or list_artifacts"
                )
            if response.status == 404:
                raise self._not_found(rel)
        self._check(response, "GET")
        return response.data

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        rel = validate_artifact_path(path)
        if not self.prefix:
            raise InvalidParameterError(
                f"Cannot list {self.artifact_uri!r}: listing needs a tracking server's artifact "
                f"proxy URL (containing {ARTIFACTS_API!r})"
            )
        from jupyter_mltrack.store.rest import codec

        listed = posixpath.join(self.root, rel) if rel else self.root
        answer = self.http.call("GET", "", {"path": listed}, api=ARTIFACTS_API)
        infos = [codec.file_info_from_json(f, rel) for f in answer.get("files") or ()]
        return sorted(
            (i for i in infos if not posixpath.basename(i.path).startswith(TEMP_PREFIX)),
            key=lambda info: info.path,
        )

    def download_artifacts(self, artifact_path: str, dst_path: PathLike | None = None) -> str:
        rel = validate_artifact_path(artifact_path)
        root = download_root(dst_path)
        files = self._files_under(rel) if self.prefix else []
        if not files:  # a file, as MLflow decides: listing a file path gives nothing
            if not rel:
                os.makedirs(root, exist_ok=True)
                return root
            self._download(rel, local_join(root, rel))
            return local_join(root, rel)
        _parallel(lambda f: self._download(f, local_join(root, f)), files)
        dest = local_join(root, rel)
        os.makedirs(dest, exist_ok=True)
        return dest

    def _files_under(self, rel: str) -> list[str]:
        """Every file path under the directory ``rel`` (empty if ``rel`` is a file or missing)."""
        files: list[str] = []
        pending = [rel]
        while pending:
            for info in self.list_artifacts(pending.pop()):
                (pending if info.is_dir else files).append(info.path)
        return sorted(files)

    def _download(self, rel: str, dest: str) -> None:
        """Stream one file into ``dest`` through a temporary file renamed when complete."""
        response = self.http.request("GET", self._url(rel), stream=True)
        if response.status >= 400:
            try:
                if response.status == 404:
                    raise self._not_found(rel)
                self._check(response, "GET")
            finally:  # error bodies are small: read them so the connection stays reusable
                response.drain_conn()
                response.release_conn()
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        tmp = os.path.join(os.path.dirname(dest), f"{TEMP_PREFIX}{uuid.uuid4().hex}")
        try:
            with io_errors("write", dest), open(tmp, "wb") as file:
                for chunk in response.stream(CHUNK_BYTES):
                    file.write(chunk)
            os.replace(tmp, dest)
        except BaseException:
            # A half-read body must not go back into the pool: close the connection instead.
            response.close()
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        finally:
            response.release_conn()

    # -- plumbing --------------------------------------------------------------------------------
    def _url(self, rel: str) -> str:
        path = posixpath.join(self.root, rel) if rel else self.root
        return f"{self.prefix}/{urllib.parse.quote(path, safe='/')}"

    def _check(self, response: urllib3.BaseHTTPResponse, method: str) -> None:
        if response.status >= 400:
            path = urllib.parse.urlsplit(response.geturl() or "").path or self.artifact_uri
            raise self.http.error(response, method, path)


def _parallel(transfer: Callable[[T], None], items: Sequence[T]) -> None:
    """Run ``transfer`` on each item on a few threads (each is one HTTP request).

    The first error is raised once every started transfer has finished.
    """
    if len(items) <= 1:
        for item in items:
            transfer(item)
        return
    with ThreadPoolExecutor(max_workers=min(PARALLEL_TRANSFERS, len(items))) as pool:
        for future in [pool.submit(transfer, item) for item in items]:
            future.result()
