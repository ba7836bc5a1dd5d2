"""Artifacts logged while the tracking server is unreachable: copied into the journal, sent later.

The server's artifact proxy (``artifacts/http_repo.py``) uploads each file with one ``PUT``.
:func:`put_or_keep` makes that ``PUT``; when the server stays unreachable (or the run already
has journal lines waiting), the file is copied to ``<run_id>.artifacts/<entry id>/`` in the
run's journal folder and a line naming it is appended, so it goes up in order with the run's
metrics, params and tags. A file uploaded twice is the same file, so a resend is harmless.
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
import shutil
from pathlib import Path
from typing import IO, TYPE_CHECKING

from jupyter_mltrack.errors import InvalidStateError
from jupyter_mltrack.store.rest.offline import (
    OFFLINE_LOGS,
    OFFLINE_LOGS_LOCK,
    Entry,
    OfflineJournal,
)
from jupyter_mltrack.store.rest.wire import ServerUnreachable, new_request_id

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import urllib3

    from jupyter_mltrack.store.rest.http import HttpClient
    from jupyter_mltrack.store.rest.offline_log import OfflineLog

__all__ = ["put_or_keep", "upload_entry"]

# .../<experiment>/<run id>/artifacts[/...]: the run an artifact URL belongs to.
_RUN_IN_URL = re.compile(r"/([0-9a-f]{32})/artifacts(?:/|$)")


def put_or_keep(
    http: HttpClient,
    path: str,
    source: str | bytes,
    headers: Mapping[str, str],
) -> urllib3.BaseHTTPResponse | None:
    """``PUT`` a file (a local path, or bytes) to ``path``; None when it went to the journal.

    Files of URLs that name no run, or of servers without an offline log, are sent as before.
    """
    log = _offline_log(http)
    match = _RUN_IN_URL.search(path)
    if log is None or match is None:
        return http.request("PUT", path, body=_body(source), headers=headers)
    run_id = match.group(1)
    if not log.journal.has_pending(run_id):
        try:
            return http.request("PUT", path, body=_body(source), headers=headers)
        except ServerUnreachable as exc:
            _keep(log, run_id, path, source, exc)
            return None
    _keep(log, run_id, path, source, None)
    return None


def _body(source: str | bytes) -> bytes | Callable[[], IO[bytes]]:
    if isinstance(source, bytes):
        return source
    return _opener(source)


def _opener(local: str | Path) -> Callable[[], IO[bytes]]:
    """A body that opens the file afresh for each try (the HTTP client closes it)."""

    def body() -> IO[bytes]:
        return open(local, "rb")

    return body


def _offline_log(http: HttpClient) -> OfflineLog | None:
    with OFFLINE_LOGS_LOCK:
        return OFFLINE_LOGS.get(http.base_url)


def _keep(
    log: OfflineLog, run_id: str, path: str, source: str | bytes, cause: Exception | None
) -> None:
    journal = log.journal
    request_id = new_request_id()
    name = posixpath.basename(path.rstrip("/")) or "artifact"
    size = len(source) if isinstance(source, bytes) else _size(source)
    journal.account(size)
    folder = journal.artifact_folder(run_id, request_id)
    copy = folder / name
    if isinstance(source, bytes):
        copy.write_bytes(source)
    else:
        shutil.copyfile(source, copy)
    relative = copy.relative_to(journal.folder).as_posix()
    log.keep(run_id, Entry(request_id, artifact=relative, artifact_path=path), cause)


def _size(local: str) -> int:
    return Path(local).stat().st_size


def upload_entry(http: HttpClient, journal: OfflineJournal, run_id: str, entry: Entry) -> None:
    """Upload a journaled artifact to its URL path.

    Raises:
        MltrackError: The server refused the file (as the artifact repository raises it).
        InvalidStateError: The journal's copy of the file is gone.
    """
    local = journal.folder / entry.artifact
    if not local.is_file():
        raise InvalidStateError(
            f"The offline copy {local} of an artifact for {entry.artifact_path} is missing; "
            "it cannot be sent (log the file again)"
        )
    kind, _ = mimetypes.guess_type(local.name)
    headers = {
        "Content-Type": kind or "application/octet-stream",
        "Content-Length": str(local.stat().st_size),
    }
    response = http.request("PUT", entry.artifact_path, body=_opener(local), headers=headers)
    if response.status >= 400:
        raise http.error(response, "PUT", entry.artifact_path)
