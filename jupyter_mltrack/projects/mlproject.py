"""MLflow's project format: ``MLproject`` files with command entry points, and file conventions.

An ``MLproject`` file as MLflow writes it::

    name: tutorial
    python_env: python_env.yaml          # or conda_env: conda.yaml
    entry_points:
      main:
        parameters:
          alpha: {type: float, default: 0.5}
          data_file: path                # shorthand: the type, no default (required)
        command: "python train.py --alpha {alpha} {data_file}"
      report:
        command: report.ipynb            # a notebook: run with papermill, not a shell

Commands are Python format strings: each declared parameter's value fills ``{name}`` after
:func:`shlex.quote`, and parameters the entry point does not declare are appended as
``--name value``. Without an ``MLproject``, an entry point named like a file of the project runs
it: ``.py`` with Python, ``.sh`` with bash, ``.ipynb`` with papermill.
"""

from __future__ import annotations

import os
import re
import shlex
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.projects.entry_points import (
    SCRIPT_COMMANDS,
    EntryPoint,
    ParameterSpec,
    ProjectSpec,
    file_entry_point,
    notebook_parameters,
)
from jupyter_mltrack.projects.params import PARAMETER_TYPES, convert_value, format_param

__all__ = [
    "MLPROJECT_FILES",
    "SCRIPT_COMMANDS",
    "build_command",
    "command_values",
    "file_entry_point",
    "find_mlproject",
    "load_mlproject",
]

MLPROJECT_FILES = ("MLproject", "mlproject")
#: How a script named as an entry point runs (MLflow's conventions).
#: ``MLproject`` environment keys -> the keys of :attr:`ProjectSpec.environment`.
_ENVIRONMENTS = {"python_env": "python_env", "conda_env": "conda"}
_EXTRA_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def find_mlproject(root: Path) -> Path | None:
    """Return the ``MLproject`` file of folder ``root``, or ``None``."""
    for name in MLPROJECT_FILES:
        if (root / name).is_file():
            return root / name
    return None


def load_mlproject(root: Path, path: Path) -> ProjectSpec:
    """Load the ``MLproject`` file ``path`` of project folder ``root``.

    Raises:
        InvalidParameterError: The file is not valid YAML, an entry point has no command, a
            parameter has an unknown type, a command names an undeclared parameter, or the
            project asks for a Docker environment.
    """
    data = _read_yaml(path)
    if "docker_env" in data:
        raise InvalidParameterError(
            f"{path}: docker_env is not supported (no container engine); declare a "
            "python_env (python_env.yaml) or conda_env instead"
        )
    environment: dict[str, Any] = {}
    for key, ours in _ENVIRONMENTS.items():
        if data.get(key):
            environment[ours] = str(data[key])
    raw_entries = data.get("entry_points") or {}
    if not isinstance(raw_entries, dict):
        raise InvalidParameterError(f"{path}: 'entry_points' must be a mapping")
    entries = {str(k): _entry(root, path, str(k), v) for k, v in raw_entries.items()}
    return ProjectSpec(
        name=str(data.get("name") or root.name),
        root=str(root),
        entry_points=entries,
        environment=environment,
    )


def command_values(entry: EntryPoint, values: Mapping[str, Any]) -> dict[str, Any]:
    """Return the typed values of a command entry point: declared parameters (defaults filled
    in, paths absolute) followed by undeclared ones as given.

    A relative path given by the caller is taken against the working directory, as MLflow
    does; a relative default against the project folder, where the project keeps its files.

    Raises:
        InvalidParameterError: A declared parameter without default has no value, or a value
            does not parse as its type.
    """
    missing = [n for n, p in entry.parameters.items() if p.default is None and n not in values]
    if missing:
        raise InvalidParameterError(
            f"No value given for the parameter(s) {', '.join(map(repr, missing))} of entry "
            f"point {entry.name!r}; pass them with -P name=value"
        )
    root = entry.root or None
    final: dict[str, Any] = {}
    for name, param in entry.parameters.items():
        given = name in values
        value = values[name] if given else param.default
        base = None if given else root
        final[name] = convert_value(name, param.type, value, base_dir=base)
    for name, value in values.items():
        if name not in entry.parameters:
            if not _EXTRA_NAME.match(str(name)):  # it becomes "--name" on a shell line
                raise InvalidParameterError(
                    f"Parameter name {name!r} of entry point {entry.name!r} must be letters, "
                    "digits, '_', '-' or '.'"
                )
            final[str(name)] = value if isinstance(value, str) else format_param(value)
    return final


def build_command(entry: EntryPoint, values: Mapping[str, Any]) -> str:
    """Return the shell command of ``entry`` for ``values`` (from :func:`command_values`, with
    remote paths already replaced by local copies).

    Example:
        >>> build_command(entry, {"alpha": 0.5, "epochs": "3"})  # doctest: +SKIP
        "python train.py --alpha 0.5 --epochs 3"
    """
    if entry.command is None:
        raise InvalidParameterError(f"Entry point {entry.name!r} is a notebook, not a command")
    quoted = {k: shlex.quote(_text(v)) for k, v in values.items()}
    declared = {k: v for k, v in quoted.items() if k in entry.parameters}
    extra = [f"--{k} {v}" for k, v in quoted.items() if k not in entry.parameters]
    return " ".join([entry.command.format(**declared), *extra])


def _text(value: Any) -> str:
    return value if isinstance(value, str) else format_param(value)


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InvalidParameterError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidParameterError(f"{path} must hold a mapping, got {type(data).__name__}")
    return data


def _entry(root: Path, path: Path, name: str, value: Any) -> EntryPoint:
    if not isinstance(value, dict):
        raise InvalidParameterError(f"{path}: entry point {name!r} must be a mapping")
    params = _parameters(path, name, value.get("parameters") or {})
    notebook = value.get("notebook") or _notebook_command(value.get("command"))
    if notebook:
        return _notebook_entry(root, path, name, str(notebook), params)
    command = value.get("command")
    if not isinstance(command, str) or not command.strip():
        raise InvalidParameterError(f"{path}: entry point {name!r} needs a 'command:'")
    fields = {f for _, f, _, _ in string.Formatter().parse(command) if f}
    undeclared = sorted(fields - set(params))
    if undeclared:
        raise InvalidParameterError(
            f"{path}: the command of {name!r} uses undeclared parameter(s) {undeclared}; "
            f"declare them under 'parameters:' (declared: {sorted(params) or 'none'})"
        )
    return EntryPoint(
        name=name, notebook="", parameters=params, command=command.strip(), root=str(root)
    )


def _notebook_command(command: Any) -> str | None:
    """The notebook a command names when the command is just one ``.ipynb`` path."""
    if not isinstance(command, str):
        return None
    parts = shlex.split(command)
    return parts[0] if len(parts) == 1 and parts[0].endswith(".ipynb") else None


def _notebook_entry(
    root: Path, path: Path, name: str, notebook: str, params: dict[str, ParameterSpec]
) -> EntryPoint:
    full = (root / notebook).resolve()
    if full.suffix != ".ipynb" or not full.is_file():
        raise InvalidParameterError(
            f"{path}: entry point {name!r} notebook {str(full)!r} is not an existing .ipynb"
        )
    return EntryPoint(name=name, notebook=str(full), parameters=params or notebook_parameters(full))


def _parameters(path: Path, entry: str, raw: Any) -> dict[str, ParameterSpec]:
    if not isinstance(raw, dict):
        raise InvalidParameterError(f"{path}: parameters of {entry!r} must be a mapping")
    params: dict[str, ParameterSpec] = {}
    for name, spec in raw.items():
        # MLflow's shorthand "data_file: path" gives the type and no default.
        spec = {"type": spec} if isinstance(spec, str) else spec
        if not isinstance(spec, dict):
            raise InvalidParameterError(
                f"{path}: parameter {name!r} of {entry!r} must be a type or a mapping "
                "like {type: float, default: 0.1}"
            )
        ptype = str(spec.get("type") or "string")
        if ptype not in PARAMETER_TYPES:
            raise InvalidParameterError(
                f"{path}: parameter {name!r} of {entry!r} has unknown type {ptype!r}; "
                f"types: {', '.join(PARAMETER_TYPES)}"
            )
        description = spec.get("description")
        params[str(name)] = ParameterSpec(
            str(name), ptype, spec.get("default"), None if description is None else str(description)
        )
    return params


def relative_source(entry: EntryPoint, root: str) -> str:
    """The file a run of ``entry`` records as its source: the notebook or ``MLproject``."""
    if entry.notebook:
        return entry.notebook
    found = find_mlproject(Path(root))
    return str(found) if found is not None else os.path.join(root, entry.name)
