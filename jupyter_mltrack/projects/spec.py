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

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jupyter_mltrack._types import PathLike
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.projects.entry_points import (
    SCRIPT_COMMANDS,
    EntryPoint,
    ParameterSpec,
    ProjectSpec,
    notebook_parameters,
)
from jupyter_mltrack.projects.mlproject import command_values, find_mlproject, load_mlproject
from jupyter_mltrack.projects.params import PARAMETER_TYPES, convert_value, infer_type

__all__ = [
    "PROJECT_FILE",
    "EntryPoint",
    "ParameterSpec",
    "ProjectSpec",
    "load_project",
    "notebook_parameters",
    "validate_parameters",
]

PROJECT_FILE = "mltrack.yaml"
_ENV_KEYS = ("requirements", "python_env", "conda")


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
