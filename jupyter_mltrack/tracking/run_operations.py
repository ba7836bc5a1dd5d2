"""What a ``TrackingClient`` write made with ``synchronous=False`` returns, as in MLflow.

MLflow's client returns a ``RunOperations`` from ``log_batch``/``log_metric``/``log_param``/
``set_tag`` with ``synchronous=False`` (or ``MLFLOW_ENABLE_ASYNC_LOGGING=true``); its ``wait()``
blocks until the write is done and raises if it failed. Here the metric points of such a call go
to the fluent API's background writer (:mod:`jupyter_mltrack.tracking.batching`), so both paths
share one buffer, one thread and one fast store write; ``wait()`` flushes that writer.
"""

from __future__ import annotations

import os

from jupyter_mltrack.tracking.batching import BATCHER

__all__ = ["ENV_ASYNC_LOGGING", "RunOperations", "wants_async"]

#: The fluent API's switch; for the client only an explicit true value makes writes async.
ENV_ASYNC_LOGGING = "MLTRACK_ASYNC_LOGGING"

_TRUE = frozenset({"1", "true", "yes", "on"})


def wants_async(synchronous: bool | None) -> bool:
    """Decide whether a client write is queued: ``synchronous`` if given, else the env switch.

    The client writes at the call unless asked otherwise: with ``synchronous=None`` only an
    explicit ``MLTRACK_ASYNC_LOGGING=true`` (``1``, ``yes``, ``on``) queues, as MLflow's
    ``MLFLOW_ENABLE_ASYNC_LOGGING`` does. (The fluent API, unlike the client, buffers by default.)
    """
    if synchronous is not None:
        return not synchronous
    return os.environ.get(ENV_ASYNC_LOGGING, "").strip().lower() in _TRUE


class RunOperations:
    """The pending writes of one client call made with ``synchronous=False``.

    Metric points are buffered by the background writer; params and tags were written at the
    call already. A failed background write is raised by :meth:`wait`, by the next asynchronous
    client call or fluent call, or by ``flush()``, whichever comes first (the writer keeps one
    pending failure per process, so ``wait()`` also reports a failure of other queued points).

    Example:
        >>> ops = client.log_batch(run_id, metrics=points, synchronous=False)  # doctest: +SKIP
        >>> ops.wait()  # the points are stored now, or StoreError says why not  # doctest: +SKIP
    """

    __slots__ = ("_queued",)

    def __init__(self, queued: bool) -> None:
        self._queued = queued

    def wait(self) -> None:
        """Block until this call's points are stored.

        Raises:
            StoreError: The background writer failed to store points (these or others queued
                before them); the cause is chained. Those points were dropped.
        """
        if self._queued:
            BATCHER.flush()  # returns once every point queued before it is written
        BATCHER.raise_error()

    def __repr__(self) -> str:
        return f"RunOperations(queued={self._queued})"


#: Returned for asynchronous calls that queued nothing (their writes were done at the call).
DONE = RunOperations(False)
