"""Running one entry point of a project as a tracked run of source type PROJECT.

:func:`run` validates the parameters (before any kernel starts), creates the run (params = the
final values, tags = project, entry point, notebook, git facts of the project folder, environment
file; :mod:`~jupyter_mltrack.projects.launch` adds Git sources, environments, commands and
background runs), executes a notebook with papermill in a kernel whose environment points
``mlt.log_*`` and ``%%track`` at that run, stores the executed notebook (``notebook.ipynb``,
widget state stripped) and an HTML rendering (``notebook.html``) whatever happened, and ends the
run FINISHED, FAILED (a cell error or a dead kernel) or KILLED (timeout).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, overload

from jupyter_mltrack.projects.execution import (
    DEFAULT_KERNEL,
    TAG_ENTRY_POINT,
    TAG_ENVIRONMENT,
    TAG_ERROR_NAME,
    TAG_ERROR_VALUE,
    TAG_FAILED_CELL,
    TAG_FAILURE_REASON,
    TAG_NOTEBOOK,
    TAG_PARAMETER_TYPES,
    TAG_PROJECT,
    TAG_PROJECT_ROOT,
    kernel_setting,
)

if TYPE_CHECKING:
    from jupyter_mltrack.entities import Run
    from jupyter_mltrack.projects.kernels import KernelPool
    from jupyter_mltrack.projects.submitted import SubmittedRun

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
    "run",
]


@overload
def run(
    uri: str | os.PathLike[str],
    entry_point: str = ...,
    parameters: Mapping[str, Any] | None = ...,
    experiment_name: str | None = ...,
    run_name: str | None = ...,
    timeout: float | None = ...,
    synchronous: Literal[True] = ...,
    *,
    parent_run_id: str | None = ...,
    tags: Mapping[str, str] | None = ...,
    kernels: KernelPool | None = ...,
    tracking_uri: str | None = ...,
    version: str | None = ...,
    env_manager: str | None = ...,
) -> Run: ...


@overload
def run(
    uri: str | os.PathLike[str],
    entry_point: str = ...,
    parameters: Mapping[str, Any] | None = ...,
    experiment_name: str | None = ...,
    run_name: str | None = ...,
    timeout: float | None = ...,
    *,
    synchronous: Literal[False],
    parent_run_id: str | None = ...,
    tags: Mapping[str, str] | None = ...,
    kernels: KernelPool | None = ...,
    tracking_uri: str | None = ...,
    version: str | None = ...,
    env_manager: str | None = ...,
) -> SubmittedRun: ...


def run(
    uri: str | os.PathLike[str],
    entry_point: str = "main",
    parameters: Mapping[str, Any] | None = None,
    experiment_name: str | None = None,
    run_name: str | None = None,
    timeout: float | None = None,
    synchronous: bool = True,
    *,
    parent_run_id: str | None = None,
    tags: Mapping[str, str] | None = None,
    kernels: KernelPool | None = None,
    tracking_uri: str | None = None,
    version: str | None = None,
    env_manager: str | None = None,
) -> Run | SubmittedRun:
    """Execute ``entry_point`` of the project at ``uri`` as a new PROJECT run; return the run.

    Args:
        uri: The project: a folder (or its ``mltrack.yaml``), or a Git repository
            (``https://host/org/repo.git#sub/dir``, ``file:///srv/repo``, or a local
            repository path with ``version``).
        entry_point: The entry point's name (of ``MLproject`` or ``mltrack.yaml``; notebooks of
            a project without either are named by their stem), or a ``.py``/``.sh``/``.ipynb``
            file of the project; with a single notebook ``"main"`` falls back to it.
        parameters: Overrides of the declared defaults (strings are parsed as the type); a
            command entry point also takes undeclared ones (passed as ``--name value``).
        experiment_name: The experiment (created if missing); default: the parent run's, else
            the current experiment.
        run_name: Default ``<project>-<entry point>``.
        timeout: Seconds the whole entry point may run; past it the kernel or command is
            stopped and the run ends KILLED.
        synchronous: ``False`` returns a :class:`~jupyter_mltrack.projects.SubmittedRun` at once
            (the run exists, RUNNING) and executes in a thread.
        parent_run_id: Make the run a child of this run.
        tags: Extra tags for the run.
        kernels: Where the kernel comes from (a sweep worker's pool keeps the next one
            pre-started); default a fresh kernel for this run.
        tracking_uri: The store of the run; default the current tracking URI.
        version: The Git branch, tag or commit to run (Git URIs only; default the remote's
            ``HEAD``).
        env_manager: ``local`` (default: this interpreter), ``virtualenv``, ``uv`` or
            ``conda``: build the project's declared environment once (cached) and run in it.

    Raises:
        InvalidParameterError: Unknown Git version, entry point or parameter, a value of the
            wrong type, or a remote path that cannot be downloaded (raised before any run,
            kernel or process exists).
        EnvironmentBuildError: The environment did not build (no run is created).
        ProjectExecutionError: The notebook or command failed (cell error, dead kernel,
            non-zero exit status or timeout); the run is ended and its evidence stored.

    Example:
        >>> r = run("notebooks/", "main", {"alpha": 0.1})  # doctest: +SKIP
        >>> r.info.status  # doctest: +SKIP
        'FINISHED'
    """
    from jupyter_mltrack.projects.launch import launch

    return launch(
        uri,
        entry_point,
        parameters,
        version=version,
        env_manager=env_manager,
        experiment_name=experiment_name,
        run_name=run_name,
        timeout=timeout,
        synchronous=synchronous,
        parent_run_id=parent_run_id,
        tags=tags,
        kernels=kernels,
        tracking_uri=tracking_uri,
    )
