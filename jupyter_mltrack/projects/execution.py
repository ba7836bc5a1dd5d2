"""Executing a project's notebook entry point in its run: the kernel, the evidence, the outcome.

:func:`_execute` takes a kernel (from a sweep worker's pool, or a new one), runs the notebook
through the one papermill helper (:func:`jupyter_mltrack.tracking.notebook_exec.execute_notebook`),
stores the executed notebook and its HTML rendering whatever happened, and ends the run FINISHED,
FAILED (a cell error or a dead kernel) or KILLED (timeout). :mod:`~jupyter_mltrack.projects.launch`
calls it; the public :func:`jupyter_mltrack.projects.runner.run` sits above both.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.entities import RunStatus, RunTag
from jupyter_mltrack.errors import ProjectExecutionError
from jupyter_mltrack.projects.render import store_notebook
from jupyter_mltrack.projects.spec import ProjectSpec
from jupyter_mltrack.tracking.notebook_exec import execute_notebook, kernel_env, seconds_left

if TYPE_CHECKING:
    from jupyter_mltrack.projects.kernels import KernelPool
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = [
    "DEFAULT_KERNEL",
    "TAG_ENTRY_POINT",
    "TAG_ENVIRONMENT",
    "TAG_ERROR_NAME",
    "TAG_ERROR_VALUE",
    "TAG_FAILED_CELL",
    "TAG_FAILURE_REASON",
    "TAG_NOTEBOOK",
    "TAG_PARAMETER_TYPES",
    "TAG_PROJECT",
    "TAG_PROJECT_ROOT",
    "kernel_setting",
]

logger = logging.getLogger(__name__)

DEFAULT_KERNEL = "python3"
TAG_PROJECT = "mltrack.project.name"
TAG_PROJECT_ROOT = "mltrack.project.root"
TAG_ENTRY_POINT = "mltrack.project.entryPoint"
TAG_NOTEBOOK = "mltrack.project.notebook"
TAG_ENVIRONMENT = "mltrack.project.environment"
TAG_FAILED_CELL = "mltrack.project.failedCell"
TAG_ERROR_NAME = "mltrack.project.errorName"
TAG_ERROR_VALUE = "mltrack.project.errorValue"
TAG_FAILURE_REASON = "mltrack.project.failureReason"
TAG_PARAMETER_TYPES = "mltrack.project.parameterTypes"


def _entry_name(spec: ProjectSpec, name: str) -> str:
    if name not in spec.entry_points and name == "main" and len(spec.entry_points) == 1:
        return next(iter(spec.entry_points))
    return name


def _execute(
    client: TrackingClient,
    run_id: str,
    notebook: str,
    values: Mapping[str, Any],
    kernel: str,
    timeout: float | None,
    kernels: KernelPool | None = None,
) -> None:
    """Execute ``notebook`` for run ``run_id``, store the evidence and end the run.

    The kernel comes from ``kernels`` (a sweep worker's pool, which may hold it pre-started);
    its environment names the tracking URI and the notebook, and :meth:`KernelPool.prepare`
    sets ``MLTRACK_RUN_ID`` in it, so ``mlt.log_*`` resumes the run and ``%%track`` cells nest
    under it. ``timeout`` bounds the whole execution: each cell gets what is left of it.
    """
    from jupyter_mltrack.projects.kernels import KernelPool
    from jupyter_mltrack.tracking.fluent import ENV_RUN_ID
    from jupyter_mltrack.tracking.liveness import own_run

    pool = kernels if kernels is not None else KernelPool()
    cwd, env = kernel_setting(client.tracking_uri, notebook)
    deadline = None if timeout is None else time.monotonic() + timeout
    logger.info("Running %s in run %s with %s", notebook, run_id, dict(values))
    # This process owns the run (the kernel logging into it is its child): a sweep marks it
    # KILLED if this process dies, whatever becomes of the kernel.
    with own_run(client, run_id), tempfile.TemporaryDirectory(prefix="mltrack-project-") as tmp:
        output = Path(tmp) / "notebook.ipynb"
        failure: BaseException | None = None
        km: Any = None
        try:
            km = pool.take(kernel, cwd, env)
            pool.prepare(km, {ENV_RUN_ID: run_id}, cwd, seconds_left(deadline))
            execute_notebook(
                notebook,
                output,
                parameters=values,
                kernel_name=kernel,
                km=km,
                start_timeout=pool.startup_timeout,
                deadline=deadline,
            )
        except KeyboardInterrupt:
            pool.kill_all()  # no graceful shutdown: the event loop may be mid-call
            _end_interrupted(client, run_id, output, notebook, tmp)
            raise
        except Exception as exc:  # every failure of the notebook or its kernel ends the run
            failure = exc
        tail = pool.log_tail(km) if failure is not None and km is not None else ""
        if km is not None and failure is None:
            # It exits while the evidence is stored; ending the run at its exit, as the
            # kernel does, agrees with the FINISHED set here.
            pool.release(km)
        elif km is not None:
            # Killed, not shut down: its exit handlers must not end the run after us.
            pool.stop(km, now=True)
        _store_evidence(client, run_id, output, notebook, tmp)
    if failure is None:
        client.set_terminated(run_id, RunStatus.FINISHED)
        if kernels is None:
            pool.close()
        return
    if kernels is None:
        pool.close()
    error = _failure(failure, notebook, run_id, tail)
    tags = {TAG_ERROR_NAME: error.ename or "", TAG_ERROR_VALUE: _brief(error.evalue or "")}
    if error.cell_index is not None:
        tags[TAG_FAILED_CELL] = str(error.cell_index)
    if error.reason:
        tags[TAG_FAILURE_REASON] = error.reason
    client.log_batch(run_id, tags=[RunTag(key=k, value=v) for k, v in tags.items()])
    killed = error.reason == "timeout"
    client.set_terminated(run_id, RunStatus.KILLED if killed else RunStatus.FAILED)
    raise error from failure


def kernel_setting(tracking_uri: str, notebook: str) -> tuple[str, dict[str, str]]:
    """Return the working folder and environment a kernel for ``notebook``'s runs starts with.

    The run id is left empty: :meth:`KernelPool.prepare` sets it in the started kernel, so a
    kernel pre-started for a sweep fits whichever trial takes it.
    """
    from jupyter_mltrack.tracking.fluent import ENV_RUN_ID

    env = {**kernel_env(tracking_uri, ""), "MLTRACK_NOTEBOOK_PATH": notebook, ENV_RUN_ID: ""}
    return os.path.dirname(notebook), env


def _store_evidence(
    client: TrackingClient, run_id: str, output: Path, notebook: str, tmp: str
) -> None:
    try:
        store_notebook(client, run_id, output if output.is_file() else Path(notebook), tmp)
    except Exception:  # storing evidence must not hide the notebook's own outcome
        logger.exception("Could not store the executed notebook of run %s", run_id)


def _end_interrupted(
    client: TrackingClient, run_id: str, output: Path, notebook: str, tmp: str
) -> None:
    """Mark an interrupted run KILLED first (that must happen), then keep what ran."""
    try:
        client.set_tag(run_id, TAG_FAILURE_REASON, "interrupted")
        client.set_terminated(run_id, RunStatus.KILLED)
    except Exception:  # the sweep's parent marks unfinished children KILLED as well
        logger.exception("Could not mark the interrupted run %s KILLED", run_id)
    _store_evidence(client, run_id, output, notebook, tmp)


def _failure(
    exc: BaseException, notebook: str, run_id: str, tail: str = ""
) -> ProjectExecutionError:
    name = os.path.basename(notebook)
    kind = type(exc).__name__
    if isinstance(exc, ProjectExecutionError) and exc.reason:  # raised by the kernel pool
        reason, ename, evalue = exc.reason, exc.ename or kind, exc.evalue or str(exc)
        cell, what = None, f"{name}: {exc.message}"
    elif kind == "DeadKernelError" or "kernel died" in str(exc).lower():
        reason, ename, cell = "kernel died", kind, None
        evalue = str(exc).strip() + (f"; kernel stderr: {tail}" if tail else "")
        what = f"{name}: the kernel died (e.g. out of memory or os._exit)"
    elif isinstance(exc, TimeoutError) or kind == "CellTimeoutError":
        reason, ename, evalue, cell = "timeout", kind, str(exc).strip(), None
        what = f"{name} timed out"
    else:
        ename = str(getattr(exc, "ename", None) or kind)
        evalue = str(getattr(exc, "evalue", None) or exc).strip()
        cell = getattr(exc, "cell_index", None)
        reason = "cell error" if cell is not None else "execution error"
        where = f" in cell {cell}" if cell is not None else ""
        what = f"{name} failed{where} ({ename}: {_brief(evalue, 200)})"
    return ProjectExecutionError(
        f"{what}; run {run_id}",
        cell_index=cell,
        ename=ename,
        evalue=evalue,
        run_id=run_id,
        reason=reason,
    )


def _brief(text: str, limit: int = 500) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 3] + "..."
