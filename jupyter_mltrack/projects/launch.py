"""Launching a project run: fetch the source, check the parameters, build the environment,
create the run, then execute the entry point — a notebook with papermill, a command in its own
process tree — now or in the background.

Everything that can be wrong with the request (an unknown Git version, entry point or
parameter, a download that fails, an environment that does not build) fails here before the
run exists, so a bad request never leaves a half-written run behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.projects.command_runner import RunControl
from jupyter_mltrack.tracking.notebook_exec import import_papermill

if TYPE_CHECKING:
    from jupyter_mltrack.entities import Run
    from jupyter_mltrack.environments import Environment, EnvSpec
    from jupyter_mltrack.projects.git_source import ProjectSource
    from jupyter_mltrack.projects.kernels import KernelPool
    from jupyter_mltrack.projects.spec import EntryPoint, ProjectSpec
    from jupyter_mltrack.projects.submitted import SubmittedRun
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = ["DEFAULT_ENV_MANAGER", "launch"]

DEFAULT_ENV_MANAGER = "local"
TAG_PROJECT_URI = "mltrack.project.uri"
TAG_PROJECT_VERSION = "mltrack.project.version"


@dataclass
class _Prepared:
    """Everything decided before the run starts executing."""

    client: TrackingClient
    source: ProjectSource
    spec: ProjectSpec
    entry: EntryPoint
    values: dict[str, Any]
    environment: Environment
    env_manager: str
    kernel: str | None = None


def launch(
    uri: str | os.PathLike[str],
    entry_point: str,
    parameters: Mapping[str, Any] | None,
    *,
    version: str | None = None,
    env_manager: str | None = None,
    experiment_name: str | None = None,
    run_name: str | None = None,
    timeout: float | None = None,
    synchronous: bool = True,
    parent_run_id: str | None = None,
    tags: Mapping[str, str] | None = None,
    kernels: KernelPool | None = None,
    tracking_uri: str | None = None,
) -> Run | SubmittedRun:
    """Run ``entry_point`` of the project at ``uri``; see :func:`projects.run`."""
    from jupyter_mltrack.projects.run_record import create_project_run
    from jupyter_mltrack.projects.submitted import SubmittedRun

    prep = _prepare(uri, entry_point, parameters, version, env_manager, tracking_uri)
    if prep.entry.command is None:
        import_papermill()  # a missing papermill fails here, before any run exists
    download_dir, local_values = _download(prep)
    try:
        run_id = create_project_run(
            prep.client, prep.spec, prep.entry.name, _source_file(prep), prep.values,
            experiment_name=experiment_name, run_name=run_name, parent_run_id=parent_run_id,
            extra_tags={**_tags(prep), **(tags or {})},
        )  # fmt: skip
    except BaseException:
        _remove(download_dir)
        raise

    def job(control: RunControl) -> None:
        try:
            _execute(prep, run_id, local_values, timeout, kernels, control)
        finally:
            _remove(download_dir)

    if synchronous:
        job(RunControl())
        return prep.client.get_run(run_id)
    return SubmittedRun.start(prep.client, prep.client.get_run(run_id), job)


def _prepare(
    uri: str | os.PathLike[str],
    entry_point: str,
    parameters: Mapping[str, Any] | None,
    version: str | None,
    env_manager: str | None,
    tracking_uri: str | None,
) -> _Prepared:
    from jupyter_mltrack.environments import check_manager
    from jupyter_mltrack.projects.execution import _entry_name
    from jupyter_mltrack.projects.git_source import fetch_project
    from jupyter_mltrack.projects.spec import load_project, validate_parameters
    from jupyter_mltrack.tracking.client import TrackingClient

    manager = env_manager or DEFAULT_ENV_MANAGER
    check_manager(manager)  # before any fetch or build: a typo is the cheapest error
    source = fetch_project(os.fspath(uri), version)
    spec = load_project(source.root)
    entry = spec.entry_point(_entry_name(spec, entry_point))
    values = validate_parameters(entry, parameters or {})
    environment = _environment(spec, manager)
    client = TrackingClient(tracking_uri)
    prep = _Prepared(client, source, spec, entry, values, environment, manager)
    if entry.command is None:
        prep.kernel = _kernel(prep)  # may install ipykernel: part of the build, before the run
    return prep


def _environment(spec: ProjectSpec, manager: str) -> Environment:
    """The project's environment under ``manager``, built (once, then cached) before the run."""
    from jupyter_mltrack.environments import EnvSpec, resolve_environment

    env_spec = EnvSpec.from_project_dir(spec.root, spec.environment or None)
    return resolve_environment(env_spec, manager, packages=_own_extras(env_spec))


def _own_extras(env_spec: EnvSpec | None) -> list[str]:
    """The requirements of jupyter_mltrack's extras a spec asks for (``jupyter_mltrack[sklearn]``).

    A built environment links the running jupyter_mltrack instead of installing the spec's
    line for it, so the extras that line names would be lost without this.
    """
    import re
    from importlib import metadata

    wanted: set[str] = set()
    for line in env_spec.dependencies if env_spec is not None else []:
        found = re.match(r"^\s*jupyter[-_.]mltrack\s*\[([^\]]*)\]", line, re.IGNORECASE)
        if found:
            wanted |= {e.strip().lower() for e in found.group(1).split(",") if e.strip()}
    if not wanted:
        return []
    try:
        declared = metadata.requires("jupyter_mltrack") or []
    except metadata.PackageNotFoundError:
        return []
    extras = []
    for requirement in declared:
        base, _, marker = requirement.partition(";")
        extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
        own = re.match(r"^\s*jupyter[-_.]mltrack\b", base, re.IGNORECASE)
        if extra and extra.group(1).lower() in wanted and not own:
            extras.append(base.strip())
    return extras


def _download(prep: _Prepared) -> tuple[str | None, dict[str, Any]]:
    """Local copies of remote ``path`` values, in a folder removed when the run ends."""
    from jupyter_mltrack.projects.remote_params import download_remote_paths, has_remote_paths

    types = {name: p.type for name, p in prep.entry.parameters.items()}
    if not has_remote_paths(types, prep.values):
        return None, dict(prep.values)
    folder = tempfile.mkdtemp(prefix="mltrack-params-")
    try:
        return folder, download_remote_paths(types, prep.values, folder, prep.client.tracking_uri)
    except BaseException:
        _remove(folder)
        raise


def _source_file(prep: _Prepared) -> str:
    from jupyter_mltrack.projects.mlproject import relative_source

    return relative_source(prep.entry, prep.spec.root)


def _tags(prep: _Prepared) -> dict[str, str]:
    """The run's source, version and environment, under our keys and MLflow's."""
    from jupyter_mltrack.projects.execution import TAG_PARAMETER_TYPES
    from jupyter_mltrack.projects.run_record import parameter_types_tag
    from jupyter_mltrack.tracking import tags as t

    source, entry = prep.source, prep.entry
    tags = {
        # The declared types let a re-run from the stored notebook alone validate as this did.
        TAG_PARAMETER_TYPES: parameter_types_tag(entry),
        **prep.environment.describe(),
        TAG_PROJECT_URI: source.uri if source.repo_url else prep.spec.root,
        "mlflow.source.type": "PROJECT",
        "mlflow.source.name": source.uri if source.repo_url else prep.spec.root,
        "mlflow.project.entryPoint": entry.name,
        "mlflow.project.env": prep.env_manager,
        "mlflow.project.backend": "local",
    }
    if source.repo_url and source.commit:
        tags.update({
            t.SOURCE_NAME: source.uri,
            t.GIT_COMMIT: source.commit,
            t.GIT_REPO_URL: source.repo_url,
            t.GIT_DIRTY: "false",
            "mlflow.source.git.commit": source.commit,
            "mlflow.source.git.repoURL": source.repo_url,
            "mlflow.gitRepoURL": source.repo_url,
        })  # fmt: skip
        if source.version:
            tags[TAG_PROJECT_VERSION] = source.version
        if source.branch:
            tags.update({
                t.GIT_BRANCH: source.branch,
                "mlflow.source.git.branch": source.branch,
                "mlflow.gitBranchName": source.branch,
            })  # fmt: skip
    return tags


def _execute(
    prep: _Prepared,
    run_id: str,
    values: Mapping[str, Any],
    timeout: float | None,
    kernels: KernelPool | None,
    control: RunControl,
) -> None:
    if prep.entry.command is not None:
        _execute_command(prep, run_id, values, timeout, control)
    else:
        _execute_notebook(prep, run_id, values, timeout, kernels, control)


def _execute_command(
    prep: _Prepared,
    run_id: str,
    values: Mapping[str, Any],
    timeout: float | None,
    control: RunControl,
) -> None:
    from jupyter_mltrack.projects.command_runner import command_environment, execute_command
    from jupyter_mltrack.projects.mlproject import build_command

    command = build_command(prep.entry, values)
    run = prep.client.get_run(run_id)
    base = prep.environment.environ()
    # `python` in a command is the environment's interpreter (for local: this one), as if
    # the environment were activated.
    bin_dir = os.path.dirname(prep.environment.python)
    base["PATH"] = os.pathsep.join([bin_dir, base.get("PATH", "")])
    env = command_environment(prep.client.tracking_uri, run_id, run.info.experiment_id, base)
    cwd = prep.entry.root or prep.spec.root
    execute_command(
        prep.client, run_id, command, cwd=cwd, env=env, timeout=timeout, control=control
    )


def _execute_notebook(
    prep: _Prepared,
    run_id: str,
    values: Mapping[str, Any],
    timeout: float | None,
    kernels: KernelPool | None,
    control: RunControl,
) -> None:
    from jupyter_mltrack.projects.execution import _execute as execute
    from jupyter_mltrack.projects.kernels import KernelPool

    kernel = prep.kernel or _kernel(prep)
    pool = kernels if kernels is not None else KernelPool()
    control.on_cancel(pool.kill_all)
    try:
        execute(prep.client, run_id, prep.entry.notebook, values, kernel, timeout, pool)
    finally:
        if kernels is None:
            pool.close()


def _kernel(prep: _Prepared) -> str:
    """The kernel to run the notebook in: the project's, or one inside the built environment."""
    from jupyter_mltrack.projects.execution import DEFAULT_KERNEL

    if prep.environment.path is None:
        return prep.spec.kernel or DEFAULT_KERNEL
    name = prep.environment.ensure_kernel()
    # The kernelspec lives in the environment's Jupyter folder; adding it to this process's
    # search path only makes that uniquely named kernel findable.
    extra = prep.environment.env.get("JUPYTER_PATH", "")
    current = os.environ.get("JUPYTER_PATH", "")
    for folder in extra.split(os.pathsep):
        if folder and folder not in current.split(os.pathsep):
            current = os.pathsep.join(p for p in (current, folder) if p)
    os.environ["JUPYTER_PATH"] = current
    return name


def _remove(folder: str | None) -> None:
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
