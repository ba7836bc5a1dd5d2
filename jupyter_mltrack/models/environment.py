"""The environment files of a model: ``requirements.txt``, ``python_env.yaml``, ``conda.yaml``.

Versions come from :mod:`importlib.metadata` for just the packages a flavor names, so writing the
files takes milliseconds (MLflow imports the model in a subprocess to find them, which takes
seconds). The file formats are MLflow's.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path

import yaml

from jupyter_mltrack.errors import InvalidParameterError

__all__ = [
    "CONDA_ENV_FILE",
    "PYTHON_ENV_FILE",
    "REQUIREMENTS_FILE",
    "infer_pip_requirements",
    "write_environment_files",
]

logger = logging.getLogger(__name__)

REQUIREMENTS_FILE = "requirements.txt"
PYTHON_ENV_FILE = "python_env.yaml"
CONDA_ENV_FILE = "conda.yaml"
_BUILD_PACKAGES = ("pip", "setuptools", "wheel")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _python_version() -> str:
    return ".".join(str(part) for part in sys.version_info[:3])


def _installed_version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _distribution_for(name: str) -> tuple[str, str] | None:
    """Return (distribution name, version) for a distribution or import name."""
    try:
        dist = metadata.distribution(name)
        return str(dist.metadata["Name"]), dist.version
    except metadata.PackageNotFoundError:
        pass
    owners = metadata.packages_distributions().get(name, [])  # import name, e.g. "sklearn"
    for owner in owners:
        version = _installed_version(owner)
        if version is not None:
            return owner, version
    return None


def infer_pip_requirements(packages: Iterable[str]) -> list[str]:
    """Pin each package to its installed version, e.g. ``["scikit-learn==1.9.1"]``.

    Names may be distribution names (``scikit-learn``) or import names (``sklearn``). Local
    version labels (``+cu121``) are dropped because pip indexes do not serve them; packages that
    are not installed are left out with a warning.
    """
    pins: list[str] = []
    for package in packages:
        found = _distribution_for(package)
        if found is None:
            logger.warning("Package %r is not installed; leaving it out of requirements", package)
            continue
        name, version = found
        pins.append(f"{name}=={version.split('+', 1)[0]}")
    return _deduplicate(pins)


def _requirement_name(requirement: str) -> str:
    match = _NAME.match(requirement)
    name = match.group(1) if match else requirement.strip()
    return re.sub(r"[-_.]+", "-", name).lower()


def _deduplicate(requirements: Iterable[str]) -> list[str]:
    """Keep one line per package; a later line for the same package replaces an earlier one."""
    by_name: dict[str, str] = {}
    for line in requirements:
        line = line.strip()
        if line and not line.startswith("#"):
            key = line if line.startswith("-") else _requirement_name(line)
            by_name.pop(key, None)
            by_name[key] = line
    return list(by_name.values())


def _read_requirements(value: str | os.PathLike[str] | Sequence[str]) -> list[str]:
    if isinstance(value, str | os.PathLike):
        path = Path(value)
        if not path.is_file():
            raise InvalidParameterError(
                f"Requirements file {str(path)!r} does not exist; pass a list of requirement "
                "strings or an existing requirements file"
            )
        return path.read_text(encoding="utf-8").splitlines()
    return list(value)


def write_environment_files(
    model_dir: str | os.PathLike[str],
    *,
    pip_requirements: str | os.PathLike[str] | Sequence[str] | None = None,
    extra_pip_requirements: str | os.PathLike[str] | Sequence[str] | None = None,
    default_packages: Iterable[str] = (),
) -> list[str]:
    """Write ``requirements.txt``, ``python_env.yaml`` and ``conda.yaml`` into ``model_dir``.

    Args:
        model_dir: The model directory.
        pip_requirements: The full requirement list (or a requirements file), replacing the
            inferred one.
        extra_pip_requirements: Requirements added to the inferred ones.
        default_packages: Packages the flavor needs; pinned to their installed versions.

    Returns:
        The requirement lines written to ``requirements.txt``.
    """
    if pip_requirements is not None and extra_pip_requirements is not None:
        raise InvalidParameterError(
            "Pass either pip_requirements (the full list) or extra_pip_requirements (added to "
            "the inferred list), not both"
        )
    if pip_requirements is not None:
        requirements = _deduplicate(_read_requirements(pip_requirements))
    else:
        extra = [] if extra_pip_requirements is None else _read_requirements(extra_pip_requirements)
        requirements = _deduplicate([*infer_pip_requirements(default_packages), *extra])
    root = Path(model_dir)
    root.mkdir(parents=True, exist_ok=True)
    (root / REQUIREMENTS_FILE).write_text("\n".join(requirements), encoding="utf-8")
    (root / PYTHON_ENV_FILE).write_text(_python_env_yaml(), encoding="utf-8")
    (root / CONDA_ENV_FILE).write_text(_conda_yaml(requirements), encoding="utf-8")
    return requirements


def _python_env_yaml() -> str:
    build = []
    for package in _BUILD_PACKAGES:
        version = _installed_version(package)
        build.append(package if version is None else f"{package}=={version}")
    env = {
        "python": _python_version(),
        "build_dependencies": build,
        "dependencies": [f"-r {REQUIREMENTS_FILE}"],
    }
    return yaml.safe_dump(env, sort_keys=False, default_flow_style=False)


def _conda_yaml(requirements: list[str]) -> str:
    pip_version = _installed_version("pip")
    # `<=` as MLflow writes it: conda-forge may lag behind the newest pip on PyPI.
    pip = "pip" if pip_version is None else f"pip<={pip_version}"
    env = {
        "name": "mlflow-env",
        "channels": ["conda-forge"],
        "dependencies": [f"python={_python_version()}", pip, {"pip": requirements}],
    }
    return yaml.safe_dump(env, default_flow_style=False)
