"""The project format: ``MLproject``, ``mltrack.yaml``, or entry points inferred from files.

A project is a folder of notebooks and scripts. An MLflow ``MLproject`` file wins when present
(see :mod:`~jupyter_mltrack.projects.mlproject`: command entry points). With an
``mltrack.yaml`` at its root::

    name: churn
    entry_points:
      main:
        notebook: train.ipynb
        parameters:
          alpha: {type: float, default: 0.5, description: Regularisation strength}
          data: {type: path, default: data.csv}
    environment: {requirements: requirements.txt}
    kernel: python3

Without it every ``.ipynb`` in the folder is an entry point named by its stem, whose parameters
are the assignments of its papermill ``parameters``-tagged cell (defaults read with
:func:`ast.literal_eval`, types inferred from them). In every project, as in MLflow, an entry
point named like a ``.py``, ``.sh`` or ``.ipynb`` file of the folder runs that file.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_mltrack._types import PathLike
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.projects.params import PARAMETER_TYPES, convert_value, infer_type

__all__ = [
    "PROJECT_FILE",
    "EntryPoint",
    "ParameterSpec",
    "ProjectSpec",
    "load_project",
    "validate_parameters",
]

PROJECT_FILE = "mltrack.yaml"
_ENV_KEYS = ("requirements", "python_env", "conda")


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
        from jupyter_mltrack.projects.mlproject import file_entry_point

        found = self.entry_points.get(name) or file_entry_point(self.root, name)
        if found is None:
            known = ", ".join(sorted(self.entry_points)) or "none"
            raise InvalidParameterError(
                f"Project {self.name!r} has no entry point {name!r}; entry points: {known} "
                "(or the name of a .py, .sh or .ipynb file in the project folder)"
            )
        return found


def load_project(path: PathLike) -> ProjectSpec:
    """Load the project in folder ``path`` (or the folder of ``path`` if it is ``mltrack.yaml``).

    Raises:
        InvalidParameterError: The folder does not exist, ``mltrack.yaml`` is malformed, or
            there is no notebook to run.

    Example:
        >>> spec = load_project("notebooks/")  # doctest: +SKIP
        >>> sorted(spec.entry_points)  # doctest: +SKIP
        ['evaluate', 'main']
    """
    root = Path(os.fspath(path)).expanduser().resolve()
    if root.is_file() and root.name == PROJECT_FILE:
        root = root.parent
    if not root.is_dir():
        raise InvalidParameterError(f"Project folder {str(root)!r} does not exist")
    from jupyter_mltrack.projects.mlproject import find_mlproject, load_mlproject

    mlproject = find_mlproject(root)
    if mlproject is not None:
        return load_mlproject(root, mlproject)
    config = root / PROJECT_FILE
    if config.is_file():
        return _from_yaml(root, config)
    return _inferred(root)


def validate_parameters(entry: EntryPoint, values: Mapping[str, Any]) -> dict[str, Any]:
    """Return the final typed values of ``entry``'s parameters: defaults overridden by ``values``.

    Strings (from the command line) are parsed as the declared type; local ``path`` values
    become absolute and must exist, remote ones (``s3://``, ``runs:/``...) are kept for the
    runner to download. Relative paths are taken against the notebook's folder for notebook
    entry points and, as in MLflow, against the working directory for command entry points
    (their defaults against the project folder). A command entry point accepts undeclared
    parameters (kept as strings, passed as ``--name value``).

    Raises:
        InvalidParameterError: An unknown name (the message lists the declared ones) or a value
            that does not parse as its type (the message names the parameter).

    Example:
        >>> validate_parameters(entry, {"alpha": "0.1"})  # doctest: +SKIP
        {'alpha': 0.1, 'epochs': 10}
    """
    if not isinstance(values, Mapping):
        raise InvalidParameterError(
            f"parameters must be a mapping of name to value, got {type(values).__name__}"
        )
    unknown = sorted(str(k) for k in values if k not in entry.parameters)
    if entry.command is not None:
        from jupyter_mltrack.projects.mlproject import command_values

        return command_values(entry, values)
    if unknown:
        declared = ", ".join(sorted(entry.parameters)) or "none"
        raise InvalidParameterError(
            f"Unknown parameter(s) {', '.join(map(repr, unknown))} for entry point "
            f"{entry.name!r}; declared parameters: {declared}"
        )
    base = os.path.dirname(entry.notebook)
    final: dict[str, Any] = {}
    for name, param in entry.parameters.items():
        value = values.get(name, param.default)
        final[name] = convert_value(name, param.type, value, base_dir=base)
    return final


def _from_yaml(root: Path, config: Path) -> ProjectSpec:
    import yaml

    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InvalidParameterError(f"{config} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidParameterError(f"{config} must hold a mapping, got {type(data).__name__}")
    name = str(data.get("name") or root.name)
    raw_entries = data.get("entry_points") or {}
    if not isinstance(raw_entries, dict) or not raw_entries:
        raise InvalidParameterError(f"{config}: 'entry_points' must be a non-empty mapping")
    entries = {
        str(key): _yaml_entry(root, config, str(key), value) for key, value in raw_entries.items()
    }
    environment = data.get("environment") or {}
    if not isinstance(environment, dict):
        raise InvalidParameterError(f"{config}: 'environment' must be a mapping")
    bad = sorted(set(environment) - set(_ENV_KEYS))
    if bad:
        raise InvalidParameterError(
            f"{config}: unknown environment key(s) {bad}; expected one of {list(_ENV_KEYS)}"
        )
    kernel = data.get("kernel")
    return ProjectSpec(
        name=name,
        root=str(root),
        entry_points=entries,
        environment={str(k): str(v) for k, v in environment.items()},
        kernel=None if kernel is None else str(kernel),
    )


def _yaml_entry(root: Path, config: Path, name: str, value: Any) -> EntryPoint:
    if isinstance(value, str):
        value = {"notebook": value}
    if not isinstance(value, dict) or "notebook" not in value:
        raise InvalidParameterError(f"{config}: entry point {name!r} needs a 'notebook:' path")
    notebook = (root / str(value["notebook"])).resolve()
    if notebook.suffix != ".ipynb" or not notebook.is_file():
        raise InvalidParameterError(
            f"{config}: entry point {name!r} notebook {str(notebook)!r} is not an existing .ipynb"
        )
    raw_params = value.get("parameters") or {}
    if not isinstance(raw_params, dict):
        raise InvalidParameterError(f"{config}: parameters of {name!r} must be a mapping")
    params: dict[str, ParameterSpec] = {}
    for pname, pdef in raw_params.items():
        pname = str(pname)
        if not pname.isidentifier():
            raise InvalidParameterError(
                f"{config}: parameter name {pname!r} of {name!r} is not a Python identifier"
            )
        if not isinstance(pdef, dict):  # shorthand "alpha: 0.5"
            pdef = {"default": pdef}
        ptype = str(pdef.get("type") or infer_type(pdef.get("default")))
        if ptype not in PARAMETER_TYPES:
            raise InvalidParameterError(
                f"{config}: parameter {pname!r} of {name!r} has unknown type {ptype!r}; "
                f"types: {', '.join(PARAMETER_TYPES)}"
            )
        description = pdef.get("description")
        params[pname] = ParameterSpec(
            pname, ptype, pdef.get("default"), None if description is None else str(description)
        )
    return EntryPoint(name=name, notebook=str(notebook), parameters=params)


def _inferred(root: Path) -> ProjectSpec:
    from jupyter_mltrack.projects.mlproject import SCRIPT_COMMANDS

    notebooks = sorted(p for p in root.glob("*.ipynb") if not p.name.startswith("."))
    scripts = [p for p in root.iterdir() if p.suffix in SCRIPT_COMMANDS and p.is_file()]
    if not notebooks and not scripts:
        raise InvalidParameterError(
            f"{str(root)!r} has no {PROJECT_FILE} and no .ipynb notebooks to run "
            "(nor an MLproject file or .py/.sh scripts)"
        )
    entries = {
        p.stem: EntryPoint(name=p.stem, notebook=str(p), parameters=notebook_parameters(p))
        for p in notebooks
    }
    return ProjectSpec(name=root.name, root=str(root), entry_points=entries)


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
