"""The environment managers that build isolated environments: ``virtualenv``, ``uv``, ``conda``.

Each builder creates an empty environment for an interpreter and installs requirement lines into
it. ``virtualenv`` needs nothing beyond the standard library and pip: ``python -m venv
--without-pip`` takes milliseconds, and the running interpreter's pip installs into the new
environment with ``pip --python`` (seeding pip into every environment costs seconds). ``uv`` does
the same with the ``uv`` binary; ``conda`` is used only when a ``conda`` executable is on
``PATH``.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from jupyter_mltrack.environments.failures import failed_requirement, output_tail
from jupyter_mltrack.environments.interpreters import find_python
from jupyter_mltrack.environments.spec import EnvSpec
from jupyter_mltrack.errors import EnvironmentBuildError, InvalidParameterError

__all__ = ["ISOLATED_MANAGERS", "Builder", "get_builder"]

logger = logging.getLogger(__name__)

#: Seconds one pip/uv/conda call may take (large wheels on a slow index).
_TIMEOUT = 1800


def _run(argv: Sequence[str], *, manager: str, what: str, env: dict[str, str] | None = None) -> str:
    """Run a build tool; on failure raise one error naming the requirement that failed."""
    logger.info("%s: %s", manager, " ".join(argv))
    try:
        result = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            check=False,
            env=env,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EnvironmentBuildError(
            f"Could not build the {manager} environment ({what}): {exc}", manager=manager
        ) from exc
    output = f"{result.stdout}\n{result.stderr}"
    if result.returncode != 0:
        raise _build_error(manager, what, output)
    return output


def _build_error(manager: str, what: str, output: str) -> EnvironmentBuildError:
    tail = output_tail(output)
    found = failed_requirement(output)
    if found is None:
        message = f"Building the {manager} environment failed while {what}:\n{tail}"
        return EnvironmentBuildError(message, manager=manager, output_tail=tail)
    package, reason = found
    message = (
        f"Building the {manager} environment failed on the requirement {package!r} ({reason}); "
        f"fix or unpin it in the environment file. {manager} said:\n{tail}"
    )
    return EnvironmentBuildError(message, manager=manager, package=package, output_tail=tail)


class Builder:
    """Creates environments and installs requirements into them with one tool."""

    name = ""

    def available(self) -> bool:
        """Whether the tool this builder needs is installed."""
        return True

    def require(self) -> None:
        """Raise :class:`EnvironmentBuildError` saying how to install the missing tool."""

    def create(self, env_dir: Path, spec: EnvSpec | None) -> None:
        """Create an empty environment at ``env_dir`` with the spec's Python."""
        raise NotImplementedError

    def install(self, env_dir: Path, requirements: Sequence[str], *, what: str) -> None:
        """Install requirement lines into the environment at ``env_dir``."""
        if not requirements:
            return
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
            handle.write("\n".join(requirements) + "\n")
        try:
            self._install_file(env_dir, handle.name, what=what)
        finally:
            os.unlink(handle.name)

    def _install_file(self, env_dir: Path, requirements_file: str, *, what: str) -> None:
        raise NotImplementedError

    def _interpreter(self, spec: EnvSpec | None) -> str:
        version = spec.python if spec else None
        python = find_python(version)
        if python is None:
            raise EnvironmentBuildError(
                f"Python {version} (asked for by {spec.source if spec else 'the spec'}) is not "
                "installed here; install it (e.g. `pyenv install "
                f"{version}`), change the version in the environment file, or use "
                "env_manager='uv', which can fetch Python versions",
                manager=self.name,
            )
        return python


def env_python(env_dir: Path) -> Path:
    """The interpreter of an environment built at ``env_dir``."""
    return env_dir / "bin" / "python"


class VirtualenvBuilder(Builder):
    """``python -m venv`` plus pip (the ``virtualenv`` package is not needed)."""

    name = "virtualenv"

    def create(self, env_dir: Path, spec: EnvSpec | None) -> None:
        python = self._interpreter(spec)
        # Seeding pip takes seconds; the running interpreter's pip can install into the env.
        no_pip = ["--without-pip"] if _host_pip() else []
        argv = [python, "-m", "venv", *no_pip, str(env_dir)]
        _run(argv, manager=self.name, what="creating the virtual environment")

    def _install_file(self, env_dir: Path, requirements_file: str, *, what: str) -> None:
        target = str(env_python(env_dir))
        if _host_pip():
            pip = [sys.executable, "-m", "pip", "--python", target]
        else:  # the running interpreter has no pip: the environment was seeded with one
            pip = [target, "-m", "pip"]
        argv = [*pip, "install", "--disable-pip-version-check", "-r", requirements_file]
        _run(argv, manager=self.name, what=what)


def _host_pip() -> bool:
    return importlib.util.find_spec("pip") is not None


class UvBuilder(Builder):
    """``uv venv`` plus ``uv pip install`` (much faster than pip; needs the ``uv`` binary)."""

    name = "uv"

    def available(self) -> bool:
        return _uv() is not None

    def require(self) -> None:
        self._uv()

    def create(self, env_dir: Path, spec: EnvSpec | None) -> None:
        version = spec.python if spec else None
        python = find_python(version) or version or sys.executable
        argv = [self._uv(), "venv", "--quiet", "--python", python, str(env_dir)]
        _run(argv, manager=self.name, what="creating the virtual environment")

    def _install_file(self, env_dir: Path, requirements_file: str, *, what: str) -> None:
        target = str(env_python(env_dir))
        argv = [self._uv(), "pip", "install", "--python", target, "-r", requirements_file]
        _run(argv, manager=self.name, what=what)

    def _uv(self) -> str:
        uv = _uv()
        if uv is None:
            raise EnvironmentBuildError(
                "env_manager='uv' needs the uv tool, which is not installed; "
                "install it with: pip install uv",
                manager=self.name,
            )
        return uv


def _uv() -> str | None:
    """The ``uv`` binary: on PATH, or installed beside the running interpreter (``pip install
    uv`` puts it in the virtual environment's ``bin``, which need not be on PATH)."""
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.exists() else shutil.which("uv")


class CondaBuilder(Builder):
    """``conda env create`` from the spec's conda file (only when ``conda`` is installed)."""

    name = "conda"

    def available(self) -> bool:
        return shutil.which("conda") is not None

    def require(self) -> None:
        self._conda()

    def _conda(self) -> str:
        conda = shutil.which("conda")
        if conda is None:
            raise EnvironmentBuildError(
                "env_manager='conda' needs a conda installation, and no `conda` is on PATH on "
                "this machine; use env_manager='virtualenv' or 'uv' (they build from a "
                "conda.yaml's Python version and pip packages), or install conda",
                manager=self.name,
            )
        return conda

    def create(self, env_dir: Path, spec: EnvSpec | None) -> None:
        conda = self._conda()
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
            handle.write(_conda_file_text(spec))
        try:
            argv = [conda, "env", "create", "--quiet", "--prefix", str(env_dir), "-f", handle.name]
            _run(argv, manager=self.name, what="creating the conda environment")
        finally:
            os.unlink(handle.name)

    def _install_file(self, env_dir: Path, requirements_file: str, *, what: str) -> None:
        argv = [str(env_python(env_dir)), "-m", "pip", "install", "-r", requirements_file]
        _run(argv, manager=self.name, what=what)


def _conda_file_text(spec: EnvSpec | None) -> str:
    if spec is not None and spec.conda_yaml:
        return spec.conda_yaml
    python = (spec.python if spec else None) or f"{sys.version_info[0]}.{sys.version_info[1]}"
    pip = list(spec.dependencies) if spec else []
    import yaml  # only the conda path writes YAML here

    deps: list[object] = [f"python={python}", "pip"]
    if pip:
        deps.append({"pip": pip})
    return yaml.safe_dump({"dependencies": deps})


_BUILDERS: dict[str, type[Builder]] = {
    "virtualenv": VirtualenvBuilder,
    "uv": UvBuilder,
    "conda": CondaBuilder,
}
#: The managers that build an environment of their own (``local`` uses the current one).
ISOLATED_MANAGERS = tuple(_BUILDERS)


def get_builder(manager: str) -> Builder:
    """Return the builder of an isolated environment manager.

    Raises:
        InvalidParameterError: ``manager`` is not one of :data:`ISOLATED_MANAGERS`.
    """
    try:
        return _BUILDERS[manager]()
    except KeyError:
        known = ", ".join(["local", *ISOLATED_MANAGERS])
        raise InvalidParameterError(
            f"Unknown environment manager {manager!r}; use one of: {known}"
        ) from None
