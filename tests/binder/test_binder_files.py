"""binder/ stays true to CI, and repo2docker reads it the way the emulation assumes.

The pins must be what CI tests (the interpreter running this suite), and the Dockerfile
repo2docker renders for the repository (``--no-build``: no Docker needed) must install
``binder/requirements.txt`` after copying the repository in (its ``.`` line needs the
sources), then run ``binder/postBuild``, on CI's Python.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
BINDER = REPO / "binder"
REGENERATE = ".venv/bin/python binder/pin_requirements.py > binder/requirements.txt"


def _pin_module() -> ModuleType:
    path = BINDER / "pin_requirements.py"
    spec = importlib.util.spec_from_file_location("pin_requirements", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_requirements_are_the_versions_ci_tests() -> None:
    """binder/requirements.txt is exactly what pin_requirements.py renders from this env."""
    expected = _pin_module().render()
    actual = (BINDER / "requirements.txt").read_text()
    stale = sorted(set(actual.splitlines()) ^ set(expected.splitlines()))
    assert actual == expected, f"binder/requirements.txt is stale ({stale}); run: {REGENERATE}"


def test_requirements_install_the_repository_with_the_tutorial_extras() -> None:
    """The local ``.`` line carries the extras the tutorials import (models, serving, Voila)."""
    lines = (BINDER / "requirements.txt").read_text().splitlines()
    local = [line for line in lines if line.startswith(".[")]
    assert local == [".[sklearn,models,serve,server,notebook,dashboard,dask]"]
    assert "jupyterlab==" + _installed("jupyterlab") in lines


def test_runtime_is_the_python_ci_tests() -> None:
    """runtime.txt names CI's Python (repo2docker's default is 3.10, below requires-python)."""
    wanted = f"python-{sys.version_info.major}.{sys.version_info.minor}"
    assert (BINDER / "runtime.txt").read_text().strip() == wanted


def test_post_build_is_a_bash_script_repo2docker_can_execute() -> None:
    """repo2docker runs ``./binder/postBuild``: it needs a shebang (it sets the mode itself)."""
    first = (BINDER / "postBuild").read_text().splitlines()[0]
    assert first == "#!/usr/bin/env bash"
    assert os.access(BINDER / "postBuild", os.X_OK)


def _installed(name: str) -> str:
    from importlib.metadata import version

    return version(name)


@pytest.mark.slow
def test_repo2docker_dockerfile_installs_then_runs_post_build() -> None:
    """repo2docker's own Dockerfile for the repository orders the steps as the emulation does."""
    if importlib.util.find_spec("repo2docker") is None:
        message = "jupyter-repo2docker is not installed (it is in the dev extra)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    done = subprocess.run(
        [
            *(sys.executable, "-m", "repo2docker", "--no-build", "--no-run", "--debug"),
            *("--user-id", "1000", "--user-name", "jovyan", str(REPO)),  # as on mybinder.org
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert f"Building conda environment for python={python}" in done.stderr
    lines = [line.strip() for line in done.stdout.splitlines()]
    # The repository is the visitor's: building the package in-tree (its Lab extension goes
    # into labextension/ and jupyter_mltrack/labextension/) needs it writable by pip's user.
    copy_repo = lines.index("COPY --chown=1000:1000 src/ ${REPO_DIR}/")
    pip = lines.index(
        'RUN ${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir -r "binder/requirements.txt"'
    )
    assert lines[copy_repo:pip].count("USER ${NB_USER}") == 1
    post_build = lines.index("RUN ./binder/postBuild")
    assert copy_repo < pip < post_build
    # With a binder/ folder the root pyproject.toml is not installed a second time.
    assert not any(line.endswith("pip install --no-cache-dir .") for line in lines)
