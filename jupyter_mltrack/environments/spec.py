"""What an environment holds: a Python version and pip requirements, read from the usual files.

:class:`EnvSpec` is read from MLflow's files, in MLflow's order of preference:

- a project: the ``MLproject``'s ``python_env:`` (or ``conda_env:``) entry, else
  ``python_env.yaml``, else ``requirements.txt``, else ``conda.yaml``;
- a model directory: ``python_env.yaml``, else ``requirements.txt``, else ``conda.yaml``.

``-r other.txt`` lines are read in place, so the spec (and its hash) changes whenever any file it
draws on changes. A ``conda.yaml`` becomes its Python version and its ``pip:`` list, as MLflow's
virtualenv manager does; the conda file itself is kept for the ``conda`` manager.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.models.environment import CONDA_ENV_FILE, PYTHON_ENV_FILE, REQUIREMENTS_FILE

__all__ = ["EnvSpec"]

logger = logging.getLogger(__name__)

_INCLUDE = re.compile(r"^\s*(?:-r|--requirement)(?:\s+|=)(\S+)\s*$")
_PYTHON = re.compile(r"^python\s*(?:==?|>=|~=)?\s*([0-9][0-9.]*)")
_MAX_INCLUDE_DEPTH = 10
#: ``mltrack.yaml``'s ``environment:`` keys and ``MLproject``'s, mapped to the file kind.
_ENTRY_KEYS = {
    "python_env": "python_env",
    "conda_env": "conda",
    "conda": "conda",
    "requirements": "requirements",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvSpec:
    """A Python environment to build: interpreter version, build tools, requirements.

    Attributes:
        python: The Python version asked for (``"3.11.7"``, ``"3.11"``), ``None`` for any.
        build_dependencies: Installed first (``pip``, ``setuptools``, ``wheel`` pins).
        dependencies: pip requirement lines, with ``-r`` includes already read in.
        source: Where the spec came from, for messages and run tags.
        conda_yaml: The text of a conda environment file, when the spec came from one.

    Example:
        >>> spec = EnvSpec.from_project_dir("my_project")  # doctest: +SKIP
        >>> spec.dependencies  # doctest: +SKIP
        ['scikit-learn==1.5.0', 'pandas']
    """

    python: str | None = None
    build_dependencies: list[str] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)
    source: str = ""
    conda_yaml: str | None = None

    @classmethod
    def from_project_dir(
        cls, path: str | os.PathLike[str], mlproject_entry: Mapping[str, Any] | None = None
    ) -> EnvSpec | None:
        """Read the environment a project declares, or ``None`` when it declares none.

        Args:
            path: The project folder.
            mlproject_entry: The parsed ``MLproject`` (or ``mltrack.yaml`` ``environment:``)
                mapping; its ``python_env``, ``conda_env``, ``requirements`` or ``conda`` key
                names the file, relative to ``path``. ``docker_env`` is refused.

        Raises:
            InvalidParameterError: A named file is missing or malformed, or ``docker_env``.
        """
        root = Path(path)
        for key, kind in _ENTRY_KEYS.items():
            value = (mlproject_entry or {}).get(key)
            if value:
                return _read_kind(kind, root / str(value))
        if mlproject_entry and mlproject_entry.get("docker_env"):
            raise InvalidParameterError(
                f"{root}: MLproject declares docker_env, but Docker is not supported here; "
                "declare python_env (a python_env.yaml) instead"
            )
        return _first_present(root)

    @classmethod
    def from_model_dir(cls, path: str | os.PathLike[str]) -> EnvSpec | None:
        """Read a model directory's ``python_env.yaml`` (or ``requirements.txt``/``conda.yaml``).

        Returns ``None`` when the model has none of these files.
        """
        return _first_present(Path(path))

    @classmethod
    def from_python_env(cls, path: str | os.PathLike[str]) -> EnvSpec:
        """Read MLflow's ``python_env.yaml`` (``python``, ``build_dependencies``,
        ``dependencies``)."""
        file = Path(path)
        data = _load_yaml(file)
        python = data.get("python")
        return cls(
            python=None if python is None else str(python),
            build_dependencies=_string_list(data, "build_dependencies", file),
            dependencies=_expand(_string_list(data, "dependencies", file), file.parent, 0),
            source=str(file),
        )

    @classmethod
    def from_requirements(cls, path: str | os.PathLike[str]) -> EnvSpec:
        """Read a pip ``requirements.txt`` (any Python version)."""
        file = Path(path)
        return cls(dependencies=_read_requirement_file(file, 0), source=str(file))

    @classmethod
    def from_conda_yaml(cls, path: str | os.PathLike[str]) -> EnvSpec:
        """Read a conda environment file: its ``python`` version and ``pip:`` requirements.

        Other conda packages cannot be installed with pip; they are left out with a warning
        (the ``conda`` manager installs them from the kept file).
        """
        file = Path(path)
        data = _load_yaml(file)
        python: str | None = None
        pip: list[str] = []
        skipped: list[str] = []
        for item in data.get("dependencies") or []:
            if isinstance(item, dict):
                pip.extend(str(line) for line in item.get("pip") or [])
            elif (match := _PYTHON.match(str(item))) is not None:
                python = match.group(1)
            elif not str(item).startswith("pip"):
                skipped.append(str(item))
        if skipped:
            logger.warning("%s: conda-only packages %s are not installed with pip", file, skipped)
        return cls(
            python=python,
            dependencies=_expand(pip, file.parent, 0),
            source=str(file),
            conda_yaml=file.read_text(encoding="utf-8"),
        )

    def to_text(self) -> str:
        """Return the spec as ``python_env.yaml`` text (what run tags record)."""
        data: dict[str, Any] = {"python": self.python} if self.python else {}
        if self.build_dependencies:
            data["build_dependencies"] = list(self.build_dependencies)
        data["dependencies"] = list(self.dependencies)
        return yaml.safe_dump(data, sort_keys=False, default_flow_style=False)

    def digest(self, *extra: str) -> str:
        """Return a hex sha256 of the spec's content (not its source), plus ``extra`` strings."""
        content = {
            "python": self.python,
            "build": list(self.build_dependencies),
            "deps": list(self.dependencies),
            "conda": self.conda_yaml,
            "extra": list(extra),
        }
        text = json.dumps(content, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _first_present(root: Path) -> EnvSpec | None:
    for name, kind in (
        (PYTHON_ENV_FILE, "python_env"),
        (REQUIREMENTS_FILE, "requirements"),
        (CONDA_ENV_FILE, "conda"),
    ):
        if (root / name).is_file():
            return _read_kind(kind, root / name)
    return None


def _read_kind(kind: str, file: Path) -> EnvSpec:
    if not file.is_file():
        raise InvalidParameterError(
            f"Environment file {str(file)!r} does not exist; fix the path in the project file "
            "or add the file"
        )
    if kind == "python_env":
        return EnvSpec.from_python_env(file)
    if kind == "conda":
        return EnvSpec.from_conda_yaml(file)
    return EnvSpec.from_requirements(file)


def _load_yaml(file: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidParameterError(f"Cannot read environment file {str(file)!r}: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidParameterError(
            f"Environment file {str(file)!r} must hold a YAML mapping, got {type(data).__name__}"
        )
    return data


def _string_list(data: Mapping[str, Any], key: str, file: Path) -> list[str]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise InvalidParameterError(
            f"{file}: {key!r} must be a list of requirement strings, got {value!r}"
        )
    return [str(v) for v in value]


def _read_requirement_file(file: Path, depth: int) -> list[str]:
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InvalidParameterError(
            f"Cannot read requirements file {str(file)!r} ({exc.strerror}); check the path"
        ) from exc
    return _expand(lines, file.parent, depth)


def _expand(lines: Sequence[str], base: Path, depth: int) -> list[str]:
    """Drop blanks and comments and read ``-r file`` includes in place (relative to ``base``)."""
    if depth > _MAX_INCLUDE_DEPTH:
        raise InvalidParameterError(f"Requirements under {base} include each other in a loop")
    out: list[str] = []
    for raw in lines:
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        match = _INCLUDE.match(line)
        if match is None:
            out.append(line)
        else:
            out.extend(_read_requirement_file(base / match.group(1), depth + 1))
    return out
