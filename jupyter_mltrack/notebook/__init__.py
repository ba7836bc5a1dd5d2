"""The notebook layer: ``%load_ext jupyter_mltrack`` registers ``%%track``, ``%mltrack``, rich
displays and the notebook context provider, then marks runs of dead kernels KILLED.

Example:
    In a notebook::

        %load_ext jupyter_mltrack

        %%track --name baseline
        max_depth = 5
        ...
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["load_ipython_extension", "unload_ipython_extension"]

logger = logging.getLogger(__name__)

_LOADED_ATTR = "_mltrack_loaded"
PROVIDER_NAME = "notebook"


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics, displays and context provider on ``ipython`` (idempotent)."""
    if getattr(ipython, _LOADED_ATTR, False):
        return
    from jupyter_mltrack.notebook.cell_run import optional
    from jupyter_mltrack.notebook.context import NotebookContextProvider
    from jupyter_mltrack.notebook.magics import TrackMagics
    from jupyter_mltrack.tracking.context import register_context_provider

    ipython.register_magics(TrackMagics(ipython))
    register_context_provider(NotebookContextProvider(ipython.user_ns), name=PROVIDER_NAME)
    for module, name in (
        ("jupyter_mltrack.notebook.line_magic", "register_line_magic"),
        ("jupyter_mltrack.notebook.displays", "install_rich_displays"),
    ):
        hook = optional(module, name)
        if hook is not None:
            try:
                hook(ipython)
            except Exception:
                logger.warning("%s.%s failed", module, name, exc_info=True)
    _sweep()
    setattr(ipython, _LOADED_ATTR, True)


def _sweep() -> None:
    from jupyter_mltrack.tracking.liveness import sweep_dead_runs

    try:
        killed = sweep_dead_runs()
    except Exception:  # an unreachable store must not break loading the extension
        logger.warning("Could not check for runs of dead kernels", exc_info=True)
        return
    if killed:
        logger.info("Marked %d run(s) of dead kernels KILLED", len(killed))


def unload_ipython_extension(ipython: Any) -> None:
    """Forget the notebook context provider; magics stay until the kernel restarts."""
    from jupyter_mltrack.tracking.context import unregister_context_provider

    unregister_context_provider(PROVIDER_NAME)
    setattr(ipython, _LOADED_ATTR, False)
