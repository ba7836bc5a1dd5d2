"""Offline-safe writes of the REST store: send a write, or keep it in the journal and send later.

:meth:`OfflineLog.write` sends a run's write with a fresh client request id. When the server
stays unreachable after the HTTP client's retries (:class:`ServerUnreachable`), the write goes
to the run's journal (``offline.py``) with that same id, a warning says once per run that the
run is logging offline, and a background thread sends the journal in order as soon as the
server answers. While a run has a journal, its later writes queue behind it there, so the
server sees them in logging order. At interpreter exit what is left is sent if the server is
back; otherwise it waits for ``mltrack sync``.

Only writes into existing runs are journaled: runs are created by the server (MLflow's ids are
server-made), so ``start_run`` needs the server and fails clearly while it is unreachable.

Settings: ``MLTRACK_OFFLINE_LOGGING=false`` turns this off (writes then fail as before);
``MLTRACK_OFFLINE_RETRY_SECONDS`` (default 5) is how often the sender tries the server.
"""

from __future__ import annotations

import atexit
import dataclasses
import logging
import os
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.entities import LifecycleStage, RunInfo, RunStatus
from jupyter_mltrack.errors import MltrackError, StoreError
from jupyter_mltrack.store.rest.offline import (
    OFFLINE_LOGS,
    OFFLINE_LOGS_LOCK,
    Entry,
    OfflineJournal,
)
from jupyter_mltrack.store.rest.wire import ServerUnreachable, new_request_id

if TYPE_CHECKING:
    from jupyter_mltrack.store.rest.http import HttpClient

__all__ = [
    "OfflineLog",
    "OfflineLoggingWarning",
    "SendResult",
    "offline_enabled",
    "offline_log_for",
    "offline_run_info",
    "send_journal",
]

logger = logging.getLogger(__name__)

#: Journal lines sent per lock hold: writers of the run wait at most this long to append.
CHUNK = 50
_ALREADY_APPLIED = "REQUEST_ALREADY_APPLIED"


class OfflineLoggingWarning(UserWarning):
    """A run is logging into the offline journal because its tracking server is unreachable."""


def offline_enabled() -> bool:
    """Whether writes to an unreachable server are journaled (``MLTRACK_OFFLINE_LOGGING``)."""
    text = os.environ.get("MLTRACK_OFFLINE_LOGGING", "").strip().lower()
    return text not in ("0", "false", "no", "off")


def _retry_seconds() -> float:
    try:
        return max(0.1, float(os.environ.get("MLTRACK_OFFLINE_RETRY_SECONDS", "") or 5))
    except ValueError:
        return 5.0


@dataclass(slots=True)
class SendResult:
    """What sending a run's journal did: lines sent, refused by the server, and left over."""

    sent: int = 0
    failed: int = 0
    left: int = 0


def send_entry(http: HttpClient, journal: OfflineJournal, run_id: str, entry: Entry) -> None:
    """Send one journal line with its own request id (a retry of it is applied once)."""
    if entry.artifact:
        from jupyter_mltrack.store.rest.offline_artifacts import upload_entry

        upload_entry(http, journal, run_id, entry)
        return
    http.call("POST", entry.endpoint, entry.message, request_id=entry.request_id)


def send_journal(http: HttpClient, journal: OfflineJournal, run_id: str) -> SendResult:
    """Send the unsent lines of ``run_id`` in order, a chunk per lock hold.

    A line the server refuses (bad value, deleted run) is moved to ``<run_id>.failed.jsonl``
    with the reason and counted as failed; an unreachable server stops the sending.

    Raises:
        ServerUnreachable: The server did not answer; the lines not sent stay in the journal.
        StoreError: The server failed (5xx); the lines not sent stay in the journal.
    """
    result = SendResult()
    while True:
        with journal.locked(run_id):
            chunk = journal.unsent(run_id, CHUNK)
            if not chunk:
                return result
            sent_to = 0
            try:
                for entry, offset in chunk:
                    try:
                        send_entry(http, journal, run_id, entry)
                        result.sent += 1
                    except StoreError:
                        raise  # unreachable or failing: try again later
                    except MltrackError as exc:
                        if exc.error_code != _ALREADY_APPLIED:
                            journal.fail(run_id, entry, f"{exc.error_code}: {exc.message}")
                            result.failed += 1
                            logger.warning("The server refused an offline write: %s", exc.message)
                    sent_to = offset
            finally:
                if sent_to:
                    journal.mark_sent(run_id, sent_to)


class OfflineLog:
    """Send-or-journal for the writes of one server's runs, with a background sender.

    Args:
        url: The server URL as given (credentials in it are used by the sender too).
        http: The store's HTTP client (its base URL names the journal folder).
    """

    def __init__(self, url: str, http: HttpClient) -> None:
        from jupyter_mltrack.store.rest.http import HttpClient

        self.journal = OfflineJournal(http.base_url)
        # The sender probes with one try and a short timeout; the backoff is its own loop.
        self.sender = HttpClient(url, max_retries=0, timeout=min(http.timeout, 30.0))
        self._runs: set[str] = set()  # runs this process journaled (the others are sync's)
        self._warned: set[str] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        atexit.register(self.close)

    def write(
        self, run_id: str, endpoint: str, message: dict[str, Any], send: Callable[[str], Any]
    ) -> Any:
        """Call ``send(request_id)``, or journal the write; None when journaled.

        Raises:
            StoreError: The journal is full (the write was not kept).
        """
        request_id = new_request_id()
        entry = Entry(request_id, endpoint=endpoint, message=message)
        if self.journal.has_pending(run_id):  # earlier writes wait there: keep the order
            self.keep(run_id, entry, None)
            return None
        try:
            return send(request_id)
        except ServerUnreachable as exc:
            self.keep(run_id, entry, exc)  # the same id: if it did arrive, it applies once
            return None

    def keep(self, run_id: str, entry: Entry, cause: Exception | None) -> None:
        """Append ``entry`` to the journal of ``run_id`` and make sure the sender runs."""
        journal = self.journal.append(run_id, entry)
        with self._lock:
            self._runs.add(run_id)
            first = run_id not in self._warned
            self._warned.add(run_id)
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._loop, name="mltrack-offline-sender", daemon=True
                )
                self._thread.start()
        if first:
            why = f" ({cause})" if cause is not None else ""
            warnings.warn(
                f"The tracking server {self.journal.url} is unreachable{why}: run {run_id} is "
                f"logging offline to {journal}. Its metrics, params, tags and artifacts are "
                "sent in order when the server answers again; if this process ends first, "
                "run 'mltrack sync'.",
                OfflineLoggingWarning,
                stacklevel=4,
            )

    def pending(self) -> list[str]:
        """The runs of this process that still have journal lines."""
        with self._lock:
            runs = sorted(self._runs)
        return [run_id for run_id in runs if self.journal.has_pending(run_id)]

    def send_pending(self) -> SendResult:
        """Try once to send this process's journals; stop at the first unreachable server."""
        total = SendResult()
        for run_id in self.pending():
            try:
                result = send_journal(self.sender, self.journal, run_id)
            except StoreError:
                total.left += len(self.journal.unsent(run_id))
                break
            total.sent += result.sent
            total.failed += result.failed
        return total

    def _loop(self) -> None:
        while not self._stop.wait(_retry_seconds()):
            self.send_pending()
            if not self.pending():
                return

    def close(self) -> None:
        """Stop the sender; send what is left if the server answers, else say where it waits."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=60)
        self.send_pending()
        for run_id in self.pending():
            left = len(self.journal.unsent(run_id))
            logger.warning(
                "%d write(s) of run %s are still in the offline journal %s; run 'mltrack sync' "
                "once %s answers.",
                left,
                run_id,
                self.journal.path(run_id),
                self.journal.url,
            )


def offline_run_info(
    info: RunInfo | None,
    run_id: str,
    status: RunStatus | None,
    end_time: int | None,
    run_name: str | None,
) -> RunInfo:
    """The info an offline update will give the run (from its last known info, if any)."""
    if info is None:  # never read in this process: the fields the update names, blanks else
        info = RunInfo(run_id=run_id, experiment_id="", run_name="", user_id="",
                       status=RunStatus.RUNNING, start_time=0, end_time=None, artifact_uri="",
                       lifecycle_stage=LifecycleStage.ACTIVE)  # fmt: skip
    changes: dict[str, Any] = {"status": RunStatus.parse(status)} if status is not None else {}
    if end_time is not None:
        changes["end_time"] = end_time
    if run_name is not None:
        changes["run_name"] = run_name
    return dataclasses.replace(info, **changes)


def offline_log_for(url: str, http: HttpClient) -> OfflineLog | None:
    """The process-wide offline log of a server (None when offline logging is turned off)."""
    if not offline_enabled():
        return None
    with OFFLINE_LOGS_LOCK:
        log = OFFLINE_LOGS.get(http.base_url)
        if log is None:
            log = OFFLINE_LOGS[http.base_url] = OfflineLog(url, http)
        return log
