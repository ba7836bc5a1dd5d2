"""A Jupyter kernel inside a built environment, so notebooks run with the environment's packages.

The kernelspec lives in the environment's own Jupyter data folder
(``<env>/share/jupyter/kernels/mltrack-env-<hash>``), never in the user's: building
environments must not fill ``jupyter kernelspec list`` with entries that outlive them. A process
finds it through ``JUPYTER_PATH`` (which :attr:`Environment.env` sets).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import jupyter_mltrack.environments.cache as cache
from jupyter_mltrack.environments.builders import get_builder

if TYPE_CHECKING:
    from jupyter_mltrack.environments.environment import Environment

__all__ = ["LOCAL_KERNEL", "ensure_kernel", "kernel_name"]

#: The kernel a ``local`` environment runs notebooks in: the default Python kernel.
LOCAL_KERNEL = "python3"
_IPYKERNEL = "ipykernel>=6.29"


def kernel_name(environment: Environment) -> str:
    """The kernelspec name of an isolated environment: unique per spec hash."""
    return f"mltrack-env-{environment.spec_hash}"


def ensure_kernel(environment: Environment) -> str:
    """Install ipykernel in the environment if needed, register its kernelspec, return its name."""
    if environment.path is None:
        return LOCAL_KERNEL
    env_dir = Path(environment.path)
    name = kernel_name(environment)
    spec_file = env_dir / "share" / "jupyter" / "kernels" / name / "kernel.json"
    if spec_file.is_file():
        return name
    with cache.exclusive(env_dir.with_name(env_dir.name + ".lock")):
        if not spec_file.is_file():
            if not _has_ipykernel(environment.python):
                builder = get_builder(environment.manager)
                builder.install(env_dir, [_IPYKERNEL], what="installing ipykernel for notebooks")
            _write_kernelspec(environment, spec_file)
    return name


def _has_ipykernel(python: str) -> bool:
    argv = [python, "-c", "import ipykernel"]
    return subprocess.run(argv, capture_output=True, check=False, timeout=120).returncode == 0


def _write_kernelspec(environment: Environment, spec_file: Path) -> None:
    spec = {
        "argv": [environment.python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python ({environment.manager} {environment.spec_hash[:8]})",
        "language": "python",
        "metadata": {"debugger": True},
        # The kernel's own subprocesses (`!pip`, `!python x.py`) should see the environment too.
        "env": {k: v for k, v in environment.env.items() if k != "JUPYTER_PATH"},
    }
    spec_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = spec_file.with_name(f"kernel.json.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(spec, indent=1), encoding="utf-8")
    os.replace(tmp, spec_file)
