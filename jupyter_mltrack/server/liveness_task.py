"""The tracking server's liveness sweep: a background task that ends runs whose process died.

Clients of the server (scripts, kernels, other machines) record their process and a heartbeat on
the runs they start (``tracking/liveness.py``). Every ``MLTRACK_HEARTBEAT_TIMEOUT`` seconds
(default 90) each server worker marks KILLED the RUNNING runs whose heartbeat went stale, or
whose owner on the server's own machine is gone. The sweep runs in a worker thread, so requests
are never held up; several workers sweeping the same database is harmless (a run is ended
once, the others see it is no longer RUNNING). ``MLTRACK_RUN_LIVENESS=off`` turns it off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.tracking.heartbeat import heartbeat_timeout
from jupyter_mltrack.tracking.liveness import liveness_enabled, sweep_runs

if TYPE_CHECKING:
    from jupyter_mltrack.store.base import TrackingStore

__all__ = ["liveness_lifespan"]

logger = logging.getLogger(__name__)


def liveness_lifespan(store: TrackingStore) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """Return a Starlette ``lifespan`` that sweeps ``store`` periodically while the app serves."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        task = asyncio.create_task(_sweep_forever(store)) if liveness_enabled() else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    return lifespan


async def _sweep_forever(store: TrackingStore) -> None:
    while True:
        try:
            killed = await asyncio.to_thread(sweep_runs, store)
        except Exception:  # an unreachable database now may answer next time
            logger.warning("The liveness sweep failed", exc_info=True)
        else:
            for run_id, reason in killed:
                logger.info("Marked run %s KILLED: %s", run_id, reason)
        await asyncio.sleep(heartbeat_timeout())
