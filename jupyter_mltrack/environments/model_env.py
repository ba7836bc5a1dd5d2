"""The environment a model is scored in: built from the model's own environment files.

A model logged with other library versions than the ones installed here is served (or scored
in batch) by the ``mltrack`` command line running inside an environment built from the model's
``python_env.yaml`` / ``requirements.txt``; the scoring server's own packages are added to it.
"""

from __future__ import annotations

import os

from jupyter_mltrack.environments.environment import Environment, resolve_environment
from jupyter_mltrack.environments.spec import EnvSpec

__all__ = ["SCORING_PACKAGES", "model_environment", "scoring_command"]

#: What ``mltrack models serve``/``predict`` need besides the model's requirements. One set for
#: both, so a model served and scored in batch shares one built environment.
SCORING_PACKAGES = ("starlette", "uvicorn")


def model_environment(
    model_dir: str | os.PathLike[str],
    env_manager: str,
    *,
    env_root: str | os.PathLike[str] | None = None,
) -> Environment:
    """Return the environment (built once, then reused) to score the model at ``model_dir`` in.

    A model without environment files gets an environment with only jupyter_mltrack's needs.

    Example:
        >>> env = model_environment("/models/forest", "virtualenv")  # doctest: +SKIP
    """
    spec = EnvSpec.from_model_dir(model_dir)
    return resolve_environment(spec, env_manager, env_root=env_root, packages=SCORING_PACKAGES)


def scoring_command(
    environment: Environment, model_dir: str, command: str, args: list[str]
) -> list[str]:
    """Return the ``mltrack models <command>`` command line that runs inside ``environment``."""
    return [environment.python, "-m", "jupyter_mltrack", "models", command, "-m", model_dir, *args]
