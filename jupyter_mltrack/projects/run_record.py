"""Creating the record of a project run: a PROJECT run with its params and source tags.

The run gets the final parameter values as params (remote ``path`` values as the URI given,
so a re-run downloads them again), the declared types (so a re-run validates as this run
did), the project, entry point and source file, the project folder's git facts, and the
environment file; callers add their own tags (Git source, environment) on top.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.entities import Param, SourceType
from jupyter_mltrack.projects.params import format_param
from jupyter_mltrack.projects.spec import _ENV_KEYS, EntryPoint, ProjectSpec
from jupyter_mltrack.tracking import tags as t

if TYPE_CHECKING:
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = ["create_project_run", "parameter_types_tag"]

_GIT_TAGS = (t.GIT_COMMIT, t.GIT_BRANCH, t.GIT_DIRTY, t.GIT_REPO_URL)


def parameter_types_tag(entry: EntryPoint) -> str:
    """The JSON of ``{name: type}`` stored on the run (``mltrack.project.parameterTypes``)."""
    return json.dumps({name: p.type for name, p in entry.parameters.items()}, sort_keys=True)


def create_project_run(
    client: TrackingClient,
    spec: ProjectSpec,
    entry_name: str,
    source_file: str,
    values: Mapping[str, Any],
    *,
    experiment_name: str | None,
    run_name: str | None,
    parent_run_id: str | None,
    extra_tags: Mapping[str, str] | None,
) -> str:
    """Create the RUNNING run of ``entry_name`` with params and tags; return its id."""
    import jupyter_mltrack.projects.execution as r
    from jupyter_mltrack.tracking.context import git_tags
    from jupyter_mltrack.tracking.fluent_experiments import _get_or_create, current_experiment_id

    if experiment_name is not None:
        experiment_id = _get_or_create(client, experiment_name).experiment_id
    elif parent_run_id is not None:
        experiment_id = client.get_run(parent_run_id).info.experiment_id
    else:
        experiment_id = current_experiment_id(client)
    project_git = git_tags(source_file)
    run_tags: dict[str, str] = {
        t.SOURCE_TYPE: SourceType.PROJECT.value,
        t.SOURCE_NAME: source_file,
        r.TAG_PROJECT: spec.name,
        r.TAG_PROJECT_ROOT: spec.root,
        r.TAG_ENTRY_POINT: entry_name,
        **({r.TAG_NOTEBOOK: source_file} if source_file.endswith(".ipynb") else {}),
        **project_git,
    }
    env_file = _environment_file(spec)
    if env_file:
        run_tags[r.TAG_ENVIRONMENT] = env_file
    if parent_run_id is not None:
        run_tags[t.PARENT_RUN_ID] = parent_run_id
    run_tags.update(extra_tags or {})
    created = client.create_run(
        experiment_id, tags=run_tags, run_name=run_name or f"{spec.name}-{entry_name}"
    )
    run_id = created.info.run_id
    # The caller's own git facts (context tags) do not describe the project folder.
    for key in _GIT_TAGS:
        if key in created.data.tags and key not in run_tags:
            client.delete_tag(run_id, key)
    params = [Param(key=k, value=format_param(v)) for k, v in values.items()]
    if params:
        client.log_batch(run_id, params=params)
    return run_id


def _environment_file(spec: ProjectSpec) -> str | None:
    for key in _ENV_KEYS:
        value = spec.environment.get(key)
        if value:
            return str((Path(spec.root) / str(value)).resolve())
    return None
