"""Resolve an :class:`EnvSpec` into a usable :class:`Environment`, building it once if needed.

``resolve_environment(spec, "local")`` is the running interpreter. Any other manager builds an
isolated environment from the spec into ``$MLTRACK_ENV_ROOT/<hash>`` (see
:mod:`~jupyter_mltrack.environments.cache` for how concurrent builds are kept apart) and reuses it
for every later call with the same spec.

Every isolated environment also gets jupyter_mltrack itself, so code running in it can log to the
run and the scoring server can start in it (see :mod:`~jupyter_mltrack.environments.host`).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jupyter_mltrack.environments.cache as cache
from jupyter_mltrack._version import __version__
from jupyter_mltrack.environments.builders import (
    ISOLATED_MANAGERS,
    Builder,
    env_python,
    get_builder,
)
from jupyter_mltrack.environments.host import (
    ensure_package_link,
    link_package,
    merged_requirements,
)
from jupyter_mltrack.environments.spec import EnvSpec
from jupyter_mltrack.errors import EnvironmentBuildError, InvalidParameterError

__all__ = [
    "ENV_MANAGERS",
    "TAG_ENV_HASH",
    "TAG_ENV_MANAGER",
    "TAG_ENV_PYTHON",
    "TAG_ENV_SOURCE",
    "TAG_ENV_SPEC",
    "Environment",
    "resolve_environment",
]

#: Every ``env_manager`` value: ``local`` (the running interpreter) and the isolated ones.
ENV_MANAGERS = ("local", *ISOLATED_MANAGERS)
TAG_ENV_MANAGER = "mltrack.env.manager"
TAG_ENV_HASH = "mltrack.env.hash"
TAG_ENV_SPEC = "mltrack.env.spec"
TAG_ENV_SOURCE = "mltrack.env.source"
TAG_ENV_PYTHON = "mltrack.env.python"
_HASH_LENGTH = 20
_MAX_TAG = 5000


@dataclass(frozen=True, slots=True, kw_only=True)
class Environment:
    """A Python environment to run code in: its interpreter and the variables that activate it.

    Attributes:
        manager: ``local``, ``virtualenv``, ``uv`` or ``conda``.
        python: The interpreter's path.
        env: Variables to set on top of the caller's environment to run inside it (empty for
            ``local``): ``VIRTUAL_ENV``, ``PATH`` with its ``bin`` first, ``JUPYTER_PATH``.
        spec_hash: The hash of the spec (and manager) the environment was built from; ``""``
            for ``local`` without a spec.
        spec: The spec, ``None`` when there was none.
        path: The environment's folder (``None`` for ``local``).

    Example:
        >>> env = resolve_environment(EnvSpec.from_project_dir("proj"), "virtualenv")
        >>> subprocess.run([env.python, "train.py"], env=env.environ())  # doctest: +SKIP
    """

    manager: str
    python: str
    env: dict[str, str] = field(default_factory=dict)
    spec_hash: str = ""
    spec: EnvSpec | None = None
    path: str | None = None
    python_version: str = field(default_factory=platform.python_version)

    def environ(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """Return ``base`` (default ``os.environ``) with this environment's variables set."""
        merged = {**(os.environ if base is None else base), **self.env}
        if self.path is not None:
            merged.pop("PYTHONHOME", None)  # would point the env's interpreter at another stdlib
        return merged

    def describe(self) -> dict[str, str]:
        """Return the tags that record this environment on a run (manager, hash, spec text)."""
        tags = {TAG_ENV_MANAGER: self.manager, TAG_ENV_PYTHON: self.python_version}
        if self.spec_hash:
            tags[TAG_ENV_HASH] = self.spec_hash
        if self.spec is not None:
            tags[TAG_ENV_SPEC] = self.spec.to_text()[:_MAX_TAG]
            if self.spec.source:
                tags[TAG_ENV_SOURCE] = self.spec.source
        return tags

    def ensure_kernel(self) -> str:
        """Return the name of a Jupyter kernel running in this environment (for papermill).

        For an isolated environment, installs ``ipykernel`` into it when missing and writes a
        kernelspec named ``mltrack-env-<hash>`` into the environment's own Jupyter data folder,
        which :attr:`env`'s ``JUPYTER_PATH`` names: a process looking the kernel up must have
        that variable set. ``local`` returns ``python3``.
        """
        from jupyter_mltrack.environments.kernel import ensure_kernel

        return ensure_kernel(self)


def resolve_environment(
    spec: EnvSpec | None,
    env_manager: str,
    *,
    env_root: str | os.PathLike[str] | None = None,
    packages: Sequence[str] = (),
) -> Environment:
    """Return the environment ``spec`` describes under ``env_manager``, building it if needed.

    Args:
        spec: What to install; ``None`` for an environment with only jupyter_mltrack's needs.
        env_manager: ``local`` (the running interpreter: nothing is built or checked),
            ``virtualenv``, ``uv`` or ``conda``.
        env_root: Where built environments live (default ``$MLTRACK_ENV_ROOT``, else
            ``~/.cache/mltrack/envs``).
        packages: Extra distributions the caller's code needs in the environment (e.g.
            ``["uvicorn", "starlette"]`` to serve), with our version bounds.

    Raises:
        InvalidParameterError: Unknown ``env_manager``.
        EnvironmentBuildError: The manager's tool is missing, or the build failed (the message
            names the requirement that failed).

    Example:
        >>> env = resolve_environment(EnvSpec.from_model_dir("model"), "virtualenv")
        >>> env.python  # doctest: +SKIP
        '/root/.cache/mltrack/envs/3f9c.../bin/python'
    """
    check_manager(env_manager)
    if env_manager == "local":
        digest = spec.digest("local")[:_HASH_LENGTH] if spec is not None else ""
        return Environment(manager="local", python=sys.executable, spec_hash=digest, spec=spec)
    builder = get_builder(env_manager)
    requirements = merged_requirements(spec, packages)
    digest = _digest(spec, env_manager, requirements)
    env_dir = cache.env_root(env_root) / digest
    record = cache.read_marker(env_dir)
    if record is None:
        record = _build_locked(builder, spec, requirements, env_dir)
    else:
        ensure_package_link(env_dir)  # the installation that built it may be gone
    return _environment(env_manager, spec, digest, env_dir, record)


def _digest(spec: EnvSpec | None, manager: str, requirements: Sequence[str]) -> str:
    base = spec if spec is not None else EnvSpec()
    # The running Python's minor version counts when the spec leaves the version open.
    python = base.python or f"{sys.version_info[0]}.{sys.version_info[1]}"
    return base.digest(manager, python, *requirements)[:_HASH_LENGTH]


def _build_locked(
    builder: Builder, spec: EnvSpec | None, requirements: list[str], env_dir: Path
) -> dict[str, object]:
    builder.require()  # a missing tool is one clear error, before any lock or folder
    with cache.exclusive(env_dir.with_name(env_dir.name + ".lock")):
        record = cache.read_marker(env_dir)
        if record is not None:  # another process built it while we waited for the lock
            return record
        cache.remove_partial(env_dir)
        started = time.monotonic()
        try:
            builder.create(env_dir, spec)
            if spec is not None and spec.build_dependencies:
                builder.install(env_dir, spec.build_dependencies, what="installing build tools")
            builder.install(env_dir, requirements, what="installing the requirements")
            link_package(env_dir)
            record = {
                "manager": builder.name,
                "python_version": _python_version(env_dir),
                "spec": spec.to_text() if spec else "",
                "source": spec.source if spec else "",
                "requirements": requirements,
                "build_seconds": round(time.monotonic() - started, 3),
                "mltrack_version": __version__,
                "built_by": os.getpid(),
            }
            cache.write_marker(env_dir, record)
        except BaseException:
            cache.remove_partial(env_dir)  # never leave a half-built environment behind
            raise
    return record


def _environment(
    manager: str, spec: EnvSpec | None, digest: str, env_dir: Path, record: Mapping[str, object]
) -> Environment:
    bin_dir = str(env_dir / "bin")
    jupyter = os.pathsep.join(
        filter(None, [str(env_dir / "share" / "jupyter"), os.environ.get("JUPYTER_PATH")])
    )
    env = {
        "VIRTUAL_ENV": str(env_dir),
        "PATH": os.pathsep.join(filter(None, [bin_dir, os.environ.get("PATH")])),
        "JUPYTER_PATH": jupyter,
        "PYTHONNOUSERSITE": "1",
    }
    return Environment(
        manager=manager,
        python=str(env_python(env_dir)),
        env=env,
        spec_hash=digest,
        spec=spec,
        path=str(env_dir),
        python_version=str(record.get("python_version") or ""),
    )


def _python_version(env_dir: Path) -> str:
    argv = [str(env_python(env_dir)), "-c", "import platform; print(platform.python_version())"]
    result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    if result.returncode != 0:
        raise EnvironmentBuildError(
            f"The new environment's interpreter does not start: {result.stderr.strip()}"
        )
    return result.stdout.strip()


def check_manager(env_manager: str) -> None:
    """Raise :class:`InvalidParameterError` unless ``env_manager`` is a known manager."""
    if env_manager not in ENV_MANAGERS:
        raise InvalidParameterError(
            f"Unknown environment manager {env_manager!r}; use one of: {', '.join(ENV_MANAGERS)}"
        )
