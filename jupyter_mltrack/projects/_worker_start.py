"""Start sweep workers without running the caller's main module in them.

multiprocessing's fork server and spawn start methods send every child the parent's "main
module" (``__main__``'s file or module name) and the child imports it as ``__mp_main__``, so
that functions defined in a script can be unpickled. Our workers only ever run functions of
this package, but a script that calls ``sweep()`` at its top level (no
``if __name__ == "__main__":`` guard) would be executed again in every worker: its output
printed twice, and its nested ``sweep()`` call refused by multiprocessing, ending the sweep in
``BrokenProcessPool``.

:func:`worker_context` is a fork-server context of our own: its processes are launched with
the preparation data minus the main module, and they fork from a fork server of our own that
preloaded :mod:`~jupyter_mltrack.projects._worker_preload` (never ``__main__``). The caller's
own fork server, if any, and its preload list are left alone.

The launch reuses CPython's fork-server ``Popen`` and overrides only ``_launch``, which is
small and has had the same shape since Python 3.4 (a test runs real sweeps from a plain
script, ``python -c``, a notebook kernel and the CLI to keep it honest).
"""

from __future__ import annotations

import io
import multiprocessing
import os
from multiprocessing import context, forkserver, popen_forkserver, reduction, spawn, util
from typing import Any

__all__ = ["CONTEXT_NAME", "MAIN_MODULE_KEYS", "register_context_name", "worker_context"]

#: The name :func:`register_context_name` gives our context in ``multiprocessing.get_context``.
CONTEXT_NAME = "mltrack-forkserver"
#: Preparation-data keys that make a child import the parent's main module.
MAIN_MODULE_KEYS = ("init_main_from_name", "init_main_from_path")
_PRELOAD = ["jupyter_mltrack.projects._worker_preload"]
_server = forkserver.ForkServer()
_server.set_forkserver_preload(_PRELOAD)


def preparation_data(name: str) -> dict[str, Any]:
    """What a child needs to set itself up like its parent, except the parent's main module."""
    data: dict[str, Any] = spawn.get_preparation_data(name)
    for key in MAIN_MODULE_KEYS:
        data.pop(key, None)
    return data


class _Popen(popen_forkserver.Popen):  # type: ignore[misc, name-defined]
    """CPython's fork-server launch, minus the main module, through our own fork server."""

    def _launch(self, process_obj: Any) -> None:
        prep_data = preparation_data(process_obj._name)
        buf = io.BytesIO()
        context.set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            context.set_spawning_popen(None)
        self.sentinel, w = _server.connect_to_new_process(self._fds)  # type: ignore[attr-defined]
        # As in CPython: a duplicate of the data pipe's write end tells the child its parent
        # is alive.
        parent_w = os.dup(w)
        self.finalizer = util.Finalize(
            self,
            util.close_fds,  # type: ignore[attr-defined]
            (parent_w, self.sentinel),
        )
        with open(w, "wb", closefd=True) as file:
            file.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _Process(context.ForkServerProcess):  # type: ignore[misc, name-defined]
    _start_method = "forkserver"

    @staticmethod
    def _Popen(process_obj: Any) -> Any:
        return _Popen(process_obj)


class _Context(context.ForkServerContext):  # type: ignore[misc, name-defined]
    _name = "forkserver"
    Process = _Process


def worker_context() -> Any:
    """The multiprocessing context sweep workers are started with.

    Our fork server where the platform has fork servers (every POSIX system), else spawn
    (Windows), which does send the main module: there a script must guard its ``sweep()``.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    return _Context()


def register_context_name() -> str | None:
    """Make our context reachable as ``multiprocessing.get_context(CONTEXT_NAME)``.

    For libraries that take a start method by name, such as ``dask.distributed``'s
    ``distributed.worker.multiprocessing-method``. Returns None where there is no fork server.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    # multiprocessing looks names up in this table and has no public way to add one.
    concrete: dict[str, Any] = context._concrete_contexts  # type: ignore[attr-defined]
    concrete.setdefault(CONTEXT_NAME, _Context())
    return CONTEXT_NAME
