"""The offline journal: writes to a tracking server that cannot be reached, kept on disk.

One folder per server, one append-only JSON-lines file per run::

    $MLTRACK_OFFLINE_DIR/<host>-<port>/          (default ~/.cache/mltrack/offline/<host>-<port>)
        server.json                              {"url": "http://host:port"} for `mltrack sync`
        <run_id>.jsonl                           one write request per line, in logging order
        <run_id>.sent                            the byte offset sent so far
        <run_id>.failed.jsonl                    lines the server refused (kept, never dropped)
        <run_id>.artifacts/<entry id>/<file>     artifacts logged while offline

Each line is ``{"id": <client request id>, "endpoint": "runs/log-batch", "message": {...}}``
(or ``"artifact"`` and ``"path"`` for a file). The request id travels with the line, so sending
a line twice (a crash between sending it and counting it sent) applies it once on an mltrack
server. The folder is bounded by ``MLTRACK_OFFLINE_MAX_MB`` (default 256): past it a write
fails with a clear :class:`~jupyter_mltrack.errors.StoreError` instead of filling the disk.

Writers of one journal (threads, and processes such as ``mltrack sync``) take an advisory
lock on ``<run_id>.lock`` around each change, so lines are never interleaved or lost.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from jupyter_mltrack.errors import InvalidParameterError, StoreError
from jupyter_mltrack.store.rest.wire import dumps

if TYPE_CHECKING:
    from jupyter_mltrack.store.rest.offline_log import OfflineLog

__all__ = ["DEFAULT_MAX_MB", "Entry", "OfflineJournal", "offline_root", "server_folder"]

logger = logging.getLogger(__name__)

#: The default bound of one server's journal folder, in MiB.
DEFAULT_MAX_MB = 256.0
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")

try:  # POSIX: an advisory lock shared with other processes (mltrack sync)
    import fcntl
except ImportError:  # pragma: no cover - Windows: the in-process lock alone
    fcntl = None  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Entry:
    """One journaled write: its request id and either an endpoint + message or an artifact."""

    request_id: str
    endpoint: str = ""
    message: dict[str, Any] | None = None
    artifact: str = ""  # the file, relative to the journal folder
    artifact_path: str = ""  # where it goes in the run's artifacts ("" = the root)

    def to_line(self) -> bytes:
        """The entry as one JSON line."""
        data: dict[str, Any] = {"id": self.request_id}
        if self.artifact:
            data.update(artifact=self.artifact, path=self.artifact_path)
        else:
            data.update(endpoint=self.endpoint, message=self.message or {})
        return dumps(data) + b"\n"

    @classmethod
    def from_line(cls, line: bytes) -> Entry:
        """Parse one JSON line (written by :meth:`to_line`)."""
        data = json.loads(line)
        if "artifact" in data:
            return cls(data["id"], artifact=data["artifact"], artifact_path=data.get("path", ""))
        return cls(data["id"], endpoint=data["endpoint"], message=data["message"])


def offline_root() -> Path:
    """The folder of every server's journal: ``$MLTRACK_OFFLINE_DIR`` or the user cache."""
    configured = os.environ.get("MLTRACK_OFFLINE_DIR", "").strip()
    if configured:
        return Path(configured).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME", "").strip() or "~/.cache"
    return Path(cache).expanduser() / "mltrack" / "offline"


def server_folder(url: str, root: Path | None = None) -> Path:
    """The journal folder of the server at ``url``: ``<root>/<host>-<port>[-<prefix>]``."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    name = f"{parts.hostname or 'localhost'}-{port}"
    if parts.path.strip("/"):
        name += "-" + parts.path.strip("/")
    return (root or offline_root()) / _SAFE.sub("_", name)


def _max_bytes() -> int:
    text = os.environ.get("MLTRACK_OFFLINE_MAX_MB", "").strip()
    try:
        value = float(text) if text else DEFAULT_MAX_MB
    except ValueError:
        raise InvalidParameterError(f"MLTRACK_OFFLINE_MAX_MB={text!r} is not a number") from None
    if value <= 0:
        raise InvalidParameterError(f"MLTRACK_OFFLINE_MAX_MB={text!r} must be positive")
    return int(value * 1024 * 1024)


def _torn(handle: BinaryIO) -> bool:
    """Whether the file open in ``handle`` (at its end) does not end with a newline."""
    end = handle.tell()
    handle.seek(end - 1)
    last = handle.read(1)
    handle.seek(end)
    return last != b"\n"


def _parse(line: bytes, journal: Path) -> Entry | None:
    """The entry of one journal line; None for a blank line or one a crash cut short."""
    if not line.strip():
        return None
    try:
        return Entry.from_line(line)
    except (ValueError, KeyError, TypeError):
        logger.warning("Skipping a damaged line in the offline journal %s: %.80r", journal, line)
        return None


def _folder_size(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):
            if path.is_file():
                total += path.stat().st_size
    return total


class OfflineJournal:
    """The journal folder of one tracking server (see the module docstring).

    Args:
        url: The server's URL (without credentials).
        folder: Where the journal lives; default :func:`server_folder` of ``url``.
        max_bytes: The bound of the folder; default ``MLTRACK_OFFLINE_MAX_MB``.
    """

    def __init__(
        self, url: str, *, folder: Path | None = None, max_bytes: int | None = None
    ) -> None:
        self.url = url
        self.folder = folder or server_folder(url)
        self.max_bytes = _max_bytes() if max_bytes is None else max_bytes
        self._lock = threading.RLock()
        self._held = threading.local()  # the runs whose file lock this thread holds
        self._size: int | None = None  # counted on the first append, then kept up to date

    def __repr__(self) -> str:
        return f"OfflineJournal({str(self.folder)!r})"

    # -- files ----------------------------------------------------------------------------------
    def path(self, run_id: str, suffix: str = ".jsonl") -> Path:
        """The file of ``run_id`` with ``suffix`` (``.jsonl``, ``.sent``, ``.failed.jsonl``)."""
        if not _RUN_ID.fullmatch(run_id):
            raise InvalidParameterError(f"Invalid run id {run_id!r} for the offline journal")
        return self.folder / f"{run_id}{suffix}"

    @contextlib.contextmanager
    def locked(self, run_id: str) -> Iterator[None]:
        """Hold the journal of ``run_id`` against other threads and processes."""
        with self._lock:
            held = self._held.__dict__.setdefault("runs", set())
            if run_id in held:  # re-entered by this thread: a second flock would wait for us
                yield
                return
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(self.path(run_id, ".lock"), "a+b") as handle:
                if fcntl is not None:
                    fcntl.flock(handle, fcntl.LOCK_EX)
                held.add(run_id)
                try:
                    yield
                finally:
                    held.discard(run_id)
                    if fcntl is not None:
                        fcntl.flock(handle, fcntl.LOCK_UN)

    def pending_runs(self) -> list[str]:
        """The runs with lines still to send, oldest journal first."""
        if not self.folder.is_dir():
            return []
        journals = [p for p in self.folder.glob("*.jsonl") if not p.name.endswith(".failed.jsonl")]
        journals.sort(key=lambda p: p.stat().st_mtime)
        return [p.name.removesuffix(".jsonl") for p in journals]

    def has_pending(self, run_id: str) -> bool:
        """Whether ``run_id`` has a journal (writes wait in it; later ones must queue behind)."""
        return self.path(run_id).exists()

    # -- writing --------------------------------------------------------------------------------
    def append(self, run_id: str, entry: Entry) -> Path:
        """Append ``entry`` to the journal of ``run_id``; return the journal file.

        Raises:
            StoreError: The journal folder would grow past its bound.
        """
        line = entry.to_line()
        with self.locked(run_id):
            self._reserve(len(line))
            self._write_server_file()
            journal = self.path(run_id)
            with open(journal, "a+b") as handle:
                if handle.tell() and _torn(handle):  # a crash cut the last line: end it
                    line = b"\n" + line
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
        return journal

    def artifact_folder(self, run_id: str, request_id: str) -> Path:
        """A new folder for a copy of an artifact logged offline."""
        folder = self.folder / f"{run_id}.artifacts" / request_id
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _reserve(self, size: int) -> None:
        with self._lock:
            if self._size is None:
                self._size = _folder_size(self.folder)
            if self._size + size > self.max_bytes:
                raise StoreError(
                    f"The offline journal {self.folder} is full ({self._size / 2**20:.1f} MiB of "
                    f"{self.max_bytes / 2**20:.1f} MiB) while {self.url} is unreachable: this "
                    "write was not kept. Bring the server back and run 'mltrack sync', or raise "
                    "MLTRACK_OFFLINE_MAX_MB."
                )
            self._size += size

    def account(self, size: int) -> None:
        """Count ``size`` bytes (an artifact copy) against the bound; refuse past it."""
        self._reserve(size)

    def _write_server_file(self) -> None:
        marker = self.folder / "server.json"
        if not marker.exists():
            marker.write_text(json.dumps({"url": self.url}) + "\n")

    # -- reading and sending --------------------------------------------------------------------
    def unsent(self, run_id: str, limit: int | None = None) -> list[tuple[Entry, int]]:
        """The first ``limit`` lines of ``run_id`` not sent yet, in order, each with the byte
        offset just after it (what :meth:`mark_sent` takes)."""
        with self.locked(run_id):
            journal = self.path(run_id)
            if not journal.exists():
                return []
            out: list[tuple[Entry, int]] = []
            offset = self._sent(run_id)
            with open(journal, "rb") as handle:
                handle.seek(offset)
                for line in handle:
                    offset += len(line)
                    entry = _parse(line, journal)
                    if entry is not None:
                        out.append((entry, offset))
                        if limit is not None and len(out) >= limit:
                            break
            return out

    def _sent(self, run_id: str) -> int:
        """The byte offset up to which the journal of ``run_id`` was sent."""
        try:
            return int(self.path(run_id, ".sent").read_text().strip() or 0)
        except (OSError, ValueError):
            return 0

    def mark_sent(self, run_id: str, offset: int) -> bool:
        """Count the journal as sent up to byte ``offset``; remove it once all is. True if gone."""
        with self.locked(run_id):
            if offset < self.path(run_id).stat().st_size:
                marker = self.path(run_id, ".sent")
                scratch = marker.with_suffix(".sent.tmp")
                scratch.write_text(str(offset))
                os.replace(scratch, marker)  # atomic: a crash leaves the old or the new offset
                return False
            self._remove(run_id)
            return True

    def fail(self, run_id: str, entry: Entry, reason: str) -> None:
        """Keep an entry the server refused in ``<run_id>.failed.jsonl``, with the reason."""
        data = json.loads(entry.to_line())
        data["error"] = reason
        with self.locked(run_id), open(self.path(run_id, ".failed.jsonl"), "ab") as handle:
            handle.write(dumps(data) + b"\n")

    def _remove(self, run_id: str) -> None:
        freed = 0
        for suffix in (".jsonl", ".sent"):
            path = self.path(run_id, suffix)
            with contextlib.suppress(OSError):
                freed += path.stat().st_size
                path.unlink()
        artifacts = self.folder / f"{run_id}.artifacts"
        if artifacts.is_dir():
            import shutil  # rare: only runs that logged artifacts offline

            freed += _folder_size(artifacts)
            shutil.rmtree(artifacts, ignore_errors=True)
        with self._lock:
            if self._size is not None:
                self._size = max(0, self._size - freed)


# The process-wide offline log of each server, by base URL: filled by ``offline_log`` (when a
# REST store opens) and read by ``offline_artifacts`` (when a file upload may go to the journal).
# It lives here, below both, so neither of those modules imports the other at run time.
OFFLINE_LOGS: dict[str, OfflineLog] = {}
OFFLINE_LOGS_LOCK = threading.Lock()
