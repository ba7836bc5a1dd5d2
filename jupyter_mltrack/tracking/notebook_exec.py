"""Execute a notebook with papermill in a kernel that logs into a run: the one papermill helper.

Project runs (``projects/runner``), re-runs (``projects/rerun``) and gated promotion's validation
notebooks (``registry/promotion``) all execute notebooks through :func:`execute_notebook`, with
the same papermill options and the same kernel environment (:func:`kernel_env`). It lives in the
tracking layer because that environment is the tracking contract (tracking URI, run id,
synchronous logging) and because both the registry and the projects layer may import it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jupyter_mltrack.errors import MissingDependencyError
from jupyter_mltrack.tracking.fluent import ENV_ASYNC_LOGGING, ENV_RUN_ID
from jupyter_mltrack.tracking.uri import ENV_TRACKING_URI

__all__ = [
    "KERNEL_NAME",
    "execute_notebook",
    "import_papermill",
    "kernel_env",
    "kernel_manager_class",
    "seconds_left",
]

#: The kernel of the running interpreter (jupyter_client maps it to ``sys.executable``); notebooks
#: run in it unless a project or its environment names another.
KERNEL_NAME = "python3"


def import_papermill(feature: str = "running notebooks") -> Any:
    """Return the papermill module, or raise MissingDependencyError naming the extra."""
    try:
        import papermill
    except ImportError:
        raise MissingDependencyError("papermill", extra="notebook", feature=feature) from None
    return papermill


def kernel_env(tracking_uri: str, run_id: str) -> dict[str, str]:
    """Return the variables that make a kernel's ``mlt.log_*`` calls log into ``run_id``.

    Logging is synchronous there: every metric is in the store when the cell returns.
    """
    return {ENV_TRACKING_URI: tracking_uri, ENV_RUN_ID: run_id, ENV_ASYNC_LOGGING: "false"}


def kernel_manager_class(env: Mapping[str, str], cwd: str) -> type[Any]:
    """Return a kernel manager that starts the kernel with ``env`` added, in ``cwd``.

    papermill's ``cwd`` option changes this process's working directory, and its kernel
    inherits this process's environment; passing both to the kernel alone keeps the caller free
    of process-wide side effects.
    """
    from jupyter_client.manager import AsyncKernelManager

    extra = dict(env)

    class RunKernelManager(AsyncKernelManager):  # type: ignore[misc]
        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            kw["env"] = {**os.environ, **(kw.get("env") or {}), **extra}
            kw.setdefault("cwd", cwd)
            await super().start_kernel(**kw)

    return RunKernelManager


def seconds_left(deadline: float | None) -> float | None:
    """Seconds left until ``deadline`` (at least a hair, since 0 means "no limit" to nbclient)."""
    return None if deadline is None else max(deadline - time.monotonic(), 0.01)


def execute_notebook(
    notebook: str | Path,
    output: str | Path,
    *,
    parameters: Mapping[str, Any] | None = None,
    kernel_name: str = KERNEL_NAME,
    km: Any = None,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    start_timeout: float | None = None,
    deadline: float | None = None,
) -> None:
    """Execute ``notebook`` with papermill into ``output``; papermill's errors propagate.

    Args:
        notebook: The notebook to execute.
        output: Where papermill writes the executed notebook (may equal ``notebook``).
        parameters: Values papermill injects after the ``parameters`` cell (as literals).
        kernel_name: The kernel to start (ignored when ``km`` is given).
        km: An already started kernel manager (a project's kernel pool hands one in).
        env: Variables added to a kernel started here (see :func:`kernel_env`).
        cwd: The working folder of a kernel started here.
        start_timeout: Seconds to wait for the kernel to start.
        deadline: A :func:`time.monotonic` time bounding the whole execution: each cell gets
            what is left of it.

    Raises:
        MissingDependencyError: papermill is not installed.
    """
    papermill = import_papermill()
    options: dict[str, Any] = {"kernel_name": kernel_name, "language": "python"}
    options["progress_bar"] = False
    if parameters is not None:
        options["parameters"] = dict(parameters)  # Python objects: papermill writes literals
    if km is not None:
        options["km"] = km
    elif env is not None or cwd is not None:
        options["kernel_manager_class"] = kernel_manager_class(env or {}, cwd or os.getcwd())
    if start_timeout is not None:
        options["start_timeout"] = start_timeout
    if deadline is not None:
        options["timeout_func"] = lambda cell: seconds_left(deadline)
    papermill.execute_notebook(str(notebook), str(output), **options)
