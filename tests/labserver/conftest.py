"""One real ``jupyter server`` for all handler tests, serving a seeded root folder."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from lab_seed import Seeded, seed
from lab_server import LabServer, jupyter_server

#: Small, so the seeded 200 kB artifact is over it.
MAX_ARTIFACT_BYTES = 100_000


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """The root folder: the default store ``root/mltrack`` and a project notebook."""
    base = tmp_path_factory.mktemp("lab")
    from jupyter_mltrack.store.registry import clear_store_cache

    found = seed(base / "root", base / "outside")
    clear_store_cache()
    return found


@pytest.fixture(scope="session")
def lab(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """The server (no tracking URI given: it must pick the root folder's default store)."""
    home = tmp_path_factory.mktemp("lab-home")
    with jupyter_server(
        seeded.root, home, f"--MltrackLab.max_artifact_bytes={MAX_ARTIFACT_BYTES}"
    ) as server:
        yield server


@pytest.fixture
def api(lab: LabServer) -> Iterator[httpx.Client]:
    """A token-authenticated client of ``/mltrack/api/``."""
    with lab.client() as client:
        yield client
