"""The heartbeat of tracked cells' runs: the process's one timer, as for every fluent run.

A tracked cell's run is started with ``mlt.start_run``, which records the kernel as its owner and
registers it with the process heartbeat timer (``tracking.heartbeat``); :func:`beating` only
makes sure a run is beaten while a cell runs, and adds no thread of its own.
"""

from __future__ import annotations

from jupyter_mltrack.tracking.heartbeat import beating

__all__ = ["beating"]
