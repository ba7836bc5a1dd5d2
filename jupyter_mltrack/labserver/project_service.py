"""Notebook parameters and "run as project" for the Lab API, Tornado-free.

A notebook under the server's root folder runs as an entry point of the project formed by its
folder (``mltrack.yaml`` there, or every notebook of the folder by stem), through the projects
runner with ``synchronous=False``: the run exists (RUNNING) when :meth:`ProjectService.start`
returns, and papermill executes the notebook in the runner's background thread.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.labserver.paths import confined_notebook

if TYPE_CHECKING:
    from jupyter_mltrack.projects.spec import EntryPoint

__all__ = ["ProjectService"]


def _entry_point(notebook: str) -> EntryPoint:
    from jupyter_mltrack.projects.spec import load_project

    spec = load_project(os.path.dirname(notebook))
    for entry in spec.entry_points.values():
        if os.path.realpath(entry.notebook) == notebook:
            return entry
    raise InvalidParameterError(
        f"{os.path.basename(notebook)!r} is not an entry point of the project {spec.name!r} "
        f"(its mltrack.yaml lists: {', '.join(sorted(spec.entry_points))})"
    )


def _json_default(value: Any) -> Any:
    """A parameter default as JSON: tuples become lists, anything else exotic its repr."""
    if isinstance(value, tuple):
        return [_json_default(v) for v in value]
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return repr(value)
    return value


class ProjectService:
    """Read a notebook's parameters and start it as a project run.

    Args:
        root_dir: The Jupyter server's root folder; every path is confined to it.
        tracking_uri: The store the project run is created in.
    """

    def __init__(self, root_dir: str, tracking_uri: str) -> None:
        self.root_dir = os.path.realpath(root_dir)
        self.tracking_uri = tracking_uri

    def parameters(self, path: object) -> dict[str, Any]:
        """Return ``{name: {default, type, description}}`` of the notebook's parameters."""
        entry = _entry_point(confined_notebook(self.root_dir, path))
        return {
            "parameters": {
                name: {
                    "default": _json_default(spec.default),
                    "type": spec.type,
                    "description": spec.description,
                }
                for name, spec in entry.parameters.items()
            }
        }

    def start(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create the project run of ``body["path"]`` and start it; return its id at once."""
        from jupyter_mltrack.projects.runner import run

        notebook = confined_notebook(self.root_dir, body.get("path"))
        parameters = body.get("parameters") or {}
        if not isinstance(parameters, Mapping):
            raise InvalidParameterError("parameters must be an object of name -> value")
        experiment = body.get("experiment")
        if experiment is not None and (not isinstance(experiment, str) or not experiment.strip()):
            raise InvalidParameterError("experiment must be a non-empty experiment name")
        entry = _entry_point(notebook)
        started = run(
            os.path.dirname(notebook),
            entry.name,
            dict(parameters),
            experiment_name=experiment.strip() if experiment else None,
            synchronous=False,
            tracking_uri=self.tracking_uri,
        )
        return {
            "run_id": started.info.run_id,
            "status": started.info.status.value,
            "experiment_id": started.info.experiment_id,
            "run_name": started.info.run_name,
        }
