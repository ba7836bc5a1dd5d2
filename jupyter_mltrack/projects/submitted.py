"""A project run executing in the background: ``projects.run(..., synchronous=False)``.

The run exists (RUNNING) when :func:`~jupyter_mltrack.projects.run` returns; a thread of this
process executes it (a notebook in its kernel, a command in its process tree) and ends it. A
driver can start independent steps at once and wait for each before submitting what depends
on it, as with MLflow's ``SubmittedRun``::

    a = run(".", "train", {"alpha": 0.1}, synchronous=False)
    b = run(".", "train", {"alpha": 1.0}, synchronous=False)
    if all(s.wait() for s in (a, b)): ...
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from jupyter_mltrack.entities import RunStatus
from jupyter_mltrack.errors import ProjectExecutionError
from jupyter_mltrack.projects.command_runner import RunControl

if TYPE_CHECKING:
    from jupyter_mltrack.entities import Run, RunInfo
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = ["SubmittedRun"]

logger = logging.getLogger(__name__)

_TAG_REASON = "mltrack.project.failureReason"


class SubmittedRun:
    """A project run started asynchronously: wait for it, poll it, or cancel it.

    Attributes:
        run_id: The run's id (it exists in the store from the start).
        info: The run's info as submitted (status RUNNING); :meth:`get_status` is current.
        error: The run's failure once it ended FAILED or KILLED, else ``None``.

    Example:
        >>> submitted = run("proj", "train", synchronous=False)  # doctest: +SKIP
        >>> submitted.wait()  # doctest: +SKIP
        True
    """

    def __init__(self, client: TrackingClient, run: Run, control: RunControl) -> None:
        self._client = client
        self.run_id = run.info.run_id
        self.info: RunInfo = run.info
        self.error: ProjectExecutionError | None = None
        self._control = control
        self._thread: threading.Thread | None = None

    @classmethod
    def start(
        cls,
        client: TrackingClient,
        run: Run,
        job: Callable[[RunControl], None],
    ) -> SubmittedRun:
        """Start ``job(control)`` in a thread; it executes run ``run`` and ends it."""
        submitted = cls(client, run, RunControl())
        thread = threading.Thread(
            target=submitted._execute, args=(job,), name=f"mltrack-project-{submitted.run_id}"
        )
        submitted._thread = thread
        thread.start()
        return submitted

    def _execute(self, job: Callable[[RunControl], None]) -> None:
        try:
            job(self._control)
        except ProjectExecutionError as exc:
            self.error = exc
            if not self._control.cancelled:
                logger.warning("%s", exc.message)
        except Exception as exc:  # the thread's last word: record it rather than lose it
            message = f"Run {self.run_id} failed: {exc}"
            self.error = ProjectExecutionError(message, run_id=self.run_id)
            logger.exception("Project run %s failed", self.run_id)
            self._end_if_running(RunStatus.FAILED)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the run ended; return whether it FINISHED.

        Args:
            timeout: Seconds to wait at most; ``False`` is returned if it is still running.

        A Ctrl-C while waiting cancels the run (its tree is killed, it ends KILLED).
        """
        if self._thread is not None:
            try:
                self._thread.join(timeout)
            except KeyboardInterrupt:
                self.cancel()
                raise
            if self._thread.is_alive():
                return False
        return self.get_status() == RunStatus.FINISHED

    def get_status(self) -> RunStatus:
        """Return the run's status in the store now (RUNNING until it ended)."""
        return RunStatus(self._client.get_run(self.run_id).info.status)

    def cancel(self) -> None:
        """Stop the run: kill its kernel or process tree, wait for it, and end it KILLED.

        A run that already ended keeps its status.
        """
        if self._thread is None or not self._thread.is_alive():
            return
        self._control.cancel()
        while self._thread.is_alive():
            # A kernel or process registered after the first kill is killed on registration.
            self._thread.join(0.5)
        self._client.set_tag(self.run_id, _TAG_REASON, "cancelled")
        self._client.set_terminated(self.run_id, RunStatus.KILLED)

    def _end_if_running(self, status: RunStatus) -> None:
        try:
            if self.get_status() == RunStatus.RUNNING:
                self._client.set_terminated(self.run_id, status)
        except Exception:  # nothing more to do from a background thread
            logger.exception("Could not end run %s", self.run_id)

    def __repr__(self) -> str:
        return f"SubmittedRun(run_id={self.run_id!r})"
