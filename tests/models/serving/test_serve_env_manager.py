"""``mltrack models serve/predict --env-manager``: a model runs with its own library versions.

The model pins ``six==1.16.0`` (this test environment has another six) and predicts
``six.__version__``: served in a virtualenv built from its requirements it answers the pinned
version, served locally it answers the installed one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import six
from serverproc import free_port, stop, wait_healthy

from jupyter_mltrack import pyfunc
from jupyter_mltrack.environments import ENV_ROOT_ENV
from jupyter_mltrack.environments.model_env import model_environment

PINNED = "1.16.0"
pytestmark = [pytest.mark.slow, pytest.mark.server]


@pytest.fixture(scope="module")
def six_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pyfunc model that predicts the six version it runs with; it pins six==1.16.0."""
    assert six.__version__ != PINNED, "the test needs a six other than the pinned one"

    class SixVersion(pyfunc.PythonModel):  # defined here so cloudpickle stores it by value
        def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
            import six as six_in_model

            return [six_in_model.__version__] * len(model_input)

    path = tmp_path_factory.mktemp("six_model") / "model"
    pyfunc.save_model(path, python_model=SixVersion(), extra_pip_requirements=[f"six=={PINNED}"])
    return path


@pytest.fixture(scope="module")
def env_root(tmp_path_factory: pytest.TempPathFactory, six_model: Path) -> Path:
    """The folder of built environments, with the model's virtualenv built in advance.

    Building takes tens of seconds; doing it here keeps it out of the servers' start-up wait.
    The folder is the one tests/environments uses, so a session builds each spec once.
    """
    root = tmp_path_factory.getbasetemp() / "mltrack-envs"
    root.mkdir(exist_ok=True)
    model_environment(six_model, "virtualenv", env_root=root)
    return root


def cli_env(env_root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLTRACK_")}
    return {**env, ENV_ROOT_ENV: str(env_root)}


def serve(model: Path, manager: str, env_root: Path, cwd: Path) -> Iterator[str]:
    port = free_port()
    log = cwd / f"serve-{manager}.log"
    argv = ["models", "serve", "-m", str(model), "-p", str(port), "--env-manager", manager]
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_mltrack", *argv],
            cwd=cwd,
            env=cli_env(env_root),
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log)
        yield url
    finally:
        assert stop(proc, signal.SIGINT) == 0, log.read_text()


def ask(url: str) -> list[str]:
    body = {"dataframe_split": {"columns": ["x"], "data": [[1], [2]]}}
    response = httpx.post(f"{url}/invocations", json=body, timeout=30)
    assert response.status_code == 200, response.text
    predictions: list[str] = response.json()["predictions"]
    return predictions


@pytest.mark.parametrize(("manager", "expected"), [("virtualenv", PINNED), ("local", None)])
def test_serve_answers_with_the_environment_s_version(
    manager: str, expected: str | None, six_model: Path, env_root: Path, tmp_path: Path
) -> None:
    for url in serve(six_model, manager, env_root, tmp_path):
        assert ask(url) == [expected or six.__version__] * 2


def test_predict_in_the_model_environment(six_model: Path, env_root: Path, tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text("x\n1\n2\n3\n")
    argv = ["models", "predict", "-m", str(six_model), "-i", "in.csv", "-o", "out.csv"]
    for manager, expected in (("virtualenv", PINNED), ("local", six.__version__)):
        result = subprocess.run(
            [sys.executable, "-m", "jupyter_mltrack", *argv, "--env-manager", manager],
            cwd=tmp_path,
            env=cli_env(env_root),
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "out.csv").read_text().split() == ["prediction", *[expected] * 3]


def test_a_model_whose_requirements_cannot_install(tmp_path: Path, env_root: Path) -> None:
    model = tmp_path / "broken"
    pyfunc.save_model(model, python_model=pyfunc.PythonModel(), pip_requirements=["six==99.0.0"])
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter_mltrack",
            "models",
            "serve",
            "-m",
            str(model),
            "--env-manager",
            "virtualenv",
        ],
        env=cli_env(env_root),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "'six==99.0.0'" in result.stderr and "Traceback" not in result.stderr
