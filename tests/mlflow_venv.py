"""The real MLflow, in its own virtualenv, for every test that compares with it.

Uses ``<repo>/.bench/mlflow-venv`` if it exists, else creates it with pip (about 1-2 minutes).
If pip fails the tests skip, except under ``CI=true`` where that is a failure.
"""

from __future__ import annotations

import os
import subprocess
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MLFLOW_VENV = REPO / ".bench" / "mlflow-venv"
# boto3: the mlflow client's S3 artifact repository (tests/server/test_s3_artifacts.py).
# xgboost-cpu, lightgbm, torch: flavor interop (torch: the CPU build on the machines' disk).
MLFLOW_PACKAGES = [
    "mlflow==3.17.2",
    "scikit-learn",
    "skops",
    "boto3",
    "xgboost-cpu",
    "lightgbm",
    "torch==2.13.0",
]


def _create_venv() -> Path:
    python = MLFLOW_VENV / "bin" / "python"
    venv.EnvBuilder(with_pip=True, clear=True).create(MLFLOW_VENV)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *MLFLOW_PACKAGES],
        check=True,
        capture_output=True,
        timeout=1200,
    )
    return python


def _add_missing(python: Path) -> None:
    names = [p.split("==")[0] for p in MLFLOW_PACKAGES]
    check = f"import importlib.metadata as m\nfor n in {names!r}: m.version(n)\nprint(True)"
    found = subprocess.run([str(python), "-c", check], capture_output=True, text=True, timeout=60)
    if found.stdout.strip() != "True":
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *MLFLOW_PACKAGES],
            check=True,
            capture_output=True,
            timeout=1200,
        )


@pytest.fixture(scope="session")
def mlflow_python() -> Path:
    """Return the python executable of a virtualenv with MLflow 3.17.2 and MLFLOW_PACKAGES."""
    python = MLFLOW_VENV / "bin" / "python"
    try:
        if python.exists():
            _add_missing(python)  # a virtualenv made before a package joined the list
            return python
        return _create_venv()
    except (subprocess.SubprocessError, OSError) as exc:
        message = f"could not create the MLflow virtualenv at {MLFLOW_VENV}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture
def run_mlflow(mlflow_python, tmp_path):  # type: ignore[no-untyped-def]
    """Return ``run(script, **env)``: execute Python code with MLflow's interpreter in tmp_path."""

    def run(script: str) -> str:
        env = {
            **os.environ,
            "MLFLOW_ALLOW_PICKLE_DESERIALIZATION": "true",
            "PYTHONPATH": str(REPO),  # custom models saved here subclass our PythonModel
            "PYTHONWARNINGS": "ignore",
        }
        done = subprocess.run(
            [str(mlflow_python), "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"MLflow script failed:\n{done.stderr[-4000:]}"
        return done.stdout

    return run
