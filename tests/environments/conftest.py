"""Fixtures of the environment tests: one folder of built environments for the whole session.

Building an environment takes seconds (uv) to tens of seconds (pip), so every test that needs
one shares ``shared_env_root``; the folder sits under pytest's session base directory, so tests
in other folders that use the same path share the builds too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_mltrack.environments import ENV_ROOT_ENV


@pytest.fixture(scope="session")
def shared_env_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.getbasetemp() / "mltrack-envs"
    root.mkdir(exist_ok=True)
    return root


@pytest.fixture(autouse=True)
def _env_root(shared_env_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The root conftest removes every MLTRACK_* variable before each test; point at the shared
    # folder again after it.
    monkeypatch.setenv(ENV_ROOT_ENV, str(shared_env_root))
