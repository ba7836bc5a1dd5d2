"""Python environments for projects and models: read a spec, build it once, run code in it.

Example:
    >>> from jupyter_mltrack.environments import EnvSpec, resolve_environment
    >>> spec = EnvSpec.from_model_dir("my_model")  # its python_env.yaml / requirements.txt
    >>> env = resolve_environment(spec, "virtualenv")  # built once, then reused  # doctest: +SKIP
    >>> subprocess.run([env.python, "-c", "import sklearn"], env=env.environ())  # doctest: +SKIP

``env_manager`` is ``local`` (the running interpreter), ``virtualenv`` (``python -m venv`` and
pip), ``uv`` (needs ``pip install uv``) or ``conda`` (needs ``conda`` on ``PATH``). Built
environments live in ``$MLTRACK_ENV_ROOT`` (default ``~/.cache/mltrack/envs``), one folder per
spec hash.
"""

from __future__ import annotations

from jupyter_mltrack.environments.cache import ENV_ROOT_ENV
from jupyter_mltrack.environments.environment import (
    ENV_MANAGERS,
    TAG_ENV_HASH,
    TAG_ENV_MANAGER,
    TAG_ENV_PYTHON,
    TAG_ENV_SOURCE,
    TAG_ENV_SPEC,
    Environment,
    check_manager,
    resolve_environment,
)
from jupyter_mltrack.environments.spec import EnvSpec

__all__ = [
    "ENV_MANAGERS",
    "ENV_ROOT_ENV",
    "TAG_ENV_HASH",
    "TAG_ENV_MANAGER",
    "TAG_ENV_PYTHON",
    "TAG_ENV_SOURCE",
    "TAG_ENV_SPEC",
    "EnvSpec",
    "Environment",
    "check_manager",
    "resolve_environment",
]
