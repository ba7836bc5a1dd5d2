"""The entry points of a project: their data classes and how a file of the project becomes one.

The lowest module of ``projects/``: the formats (:mod:`~jupyter_mltrack.projects.spec` for
``mltrack.yaml`` and inferred projects, :mod:`~jupyter_mltrack.projects.mlproject` for MLflow's
``MLproject``) build these classes, and both use the file convention and the ``parameters``-cell
reader kept here, so neither imports the other back.
"""

from __future__ import annotations

import ast
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_mltrack._types import PathLike
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.projects.params import infer_type

__all__ = [
    "SCRIPT_COMMANDS",
    "EntryPoint",
    "ParameterSpec",
    "ProjectSpec",
    "file_entry_point",
    "notebook_parameters",
]

#: The interpreter of each script suffix an entry point may name.
SCRIPT_COMMANDS = {".py": "python", ".sh": "bash"}


@dataclass(frozen=True)
class ParameterSpec:
    """One declared parameter: its name, type (see ``PARAMETER_TYPES``), default, description."""

    name: str
    type: str
    default: Any
    description: str | None = None


@dataclass(frozen=True)
class EntryPoint:
    """A notebook (absolute path) or a shell command of the project, and its parameters.

    A command entry point (``command`` set, ``notebook`` empty) is a template in Python format
    syntax: declared parameters fill its ``{name}`` fields, undeclared ones are appended as
    ``--name value`` (MLflow's rules).
    """

    name: str
    notebook: str
    parameters: dict[str, ParameterSpec] = field(default_factory=dict)
    command: str | None = None
    #: The project folder of a command entry point: its working directory when it runs.
    root: str = ""


@dataclass(frozen=True)
class ProjectSpec:
    """A loaded project: name, root folder, entry points, environment and kernel name."""

    name: str
    root: str
    entry_points: dict[str, EntryPoint]
    environment: dict[str, Any] = field(default_factory=dict)
    kernel: str | None = None

    def entry_point(self, name: str) -> EntryPoint:
        """Return the entry point ``name``, or the script/notebook file of that name (MLflow's
        convention); raise InvalidParameterError listing the known ones."""
        found = self.entry_points.get(name) or file_entry_point(self.root, name)
        if found is None:
            known = ", ".join(sorted(self.entry_points)) or "none"
            raise InvalidParameterError(
                f"Project {self.name!r} has no entry point {name!r}; entry points: {known} "
                "(or the name of a .py, .sh or .ipynb file in the project folder)"
            )
        return found


def file_entry_point(root: str, name: str) -> EntryPoint | None:
    """Return the entry point that runs the file ``name`` of ``root`` (``.py``, ``.sh``,
    ``.ipynb``), or ``None`` when ``name`` is not such a file."""
    path = (Path(root) / name).resolve()
    if not path.is_file() or not path.is_relative_to(Path(root).resolve()):
        return None
    if path.suffix == ".ipynb":
        return EntryPoint(name=name, notebook=str(path), parameters=notebook_parameters(path))
    runner = SCRIPT_COMMANDS.get(path.suffix)
    if runner is None:
        return None
    command = f"{runner} {shlex.quote(name)}"
    return EntryPoint(name=name, notebook="", command=command, root=str(Path(root).resolve()))


def notebook_parameters(notebook: PathLike) -> dict[str, ParameterSpec]:
    """Return the parameters declared by the ``parameters``-tagged cell of ``notebook``.

    Each top-level ``name = <literal>`` assignment is a parameter whose type is inferred from
    the literal; a trailing ``# comment`` on the line becomes its description.
    """
    for cell in _cells(notebook):
        tags = (cell.get("metadata") or {}).get("tags") or []
        if cell.get("cell_type") == "code" and "parameters" in tags:
            source = cell.get("source", "")
            text = "".join(source) if isinstance(source, list) else str(source)
            return _parse_parameters_cell(text, str(notebook))
    return {}


def _cells(notebook: PathLike) -> list[dict[str, Any]]:
    """The cells of a notebook, read as plain JSON.

    Reading needs no validation, and nbformat's import costs a sweep's parent process ~0.6 s
    of CPU (its jsonschema pulls in optional format checkers). Notebooks older than format 4
    go through nbformat's converter.
    """
    import json

    path = os.fspath(notebook)
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise InvalidParameterError(f"Cannot read notebook {path!r}: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("cells"), list):
        return [cell for cell in data["cells"] if isinstance(cell, dict)]
    import nbformat

    nb = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    return [dict(cell) for cell in nb.cells]


def _parse_parameters_cell(source: str, where: str) -> dict[str, ParameterSpec]:
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise InvalidParameterError(
            f"The parameters cell of {where} does not parse: {exc}"
        ) from None
    lines = source.splitlines()
    params: dict[str, ParameterSpec] = {}
    for node in tree.body:
        target: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        if not isinstance(target, ast.Name) or value is None:
            continue
        try:
            default = ast.literal_eval(value)
        except ValueError:
            continue  # computed defaults are not overridable parameters
        line = lines[node.lineno - 1]
        comment = line.split("#", 1)[1].strip() if "#" in line else None
        params[target.id] = ParameterSpec(target.id, infer_type(default), default, comment or None)
    return params
