"""A seeded SQLite tracking store for the widget tests (fixture ``seeded``, also reused elsewhere).

Layout (start times are fixed, one second apart, in this order)::

    churn      rf-1, rf-2, gbm-1 (FINISHED; params model/n_estimators/max_depth or lr;
                                   metrics acc and loss with 10-step histories; tags team)
               failed-1 (FAILED), live-1 (RUNNING; loss history of 5 points)
               sweep (parent) -> sweep-a, sweep-b (nested: mltrack.parentRunId)
               cell-1, cell-2 (%%track-style: notebook tags, cell.py and slice.py artifacts;
                               the two cells differ in one line)
    vision     cnn-1, cnn-2 (metric top1, param arch)
    empty      no runs
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from widget_seed import Seeded, seed

from jupyter_mltrack import TrackingClient


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """The seeded store, built once per session; tests get copies through ``seeded``."""
    return seed(f"sqlite:///{tmp_path_factory.mktemp('seeded') / 'mltrack.db'}")


@pytest.fixture
def seeded(tmp_path: Path, seeded_template: Seeded) -> Seeded:
    """A private copy of the seeded SQLite store (see the module docstring).

    The database (with its WAL files) and its ``artifacts/`` folder are copied: the store is
    self-contained, and opening the copy points its artifact locations into the copy.
    """
    source = Path(seeded_template.uri.removeprefix("sqlite:///"))
    target = tmp_path / "mltrack.db"
    for path in source.parent.glob(source.name + "*"):  # mltrack.db, -wal, -shm
        shutil.copyfile(path, target.parent / path.name)
    if (source.parent / "artifacts").is_dir():
        shutil.copytree(source.parent / "artifacts", tmp_path / "artifacts")
    uri = f"sqlite:///{target}"
    return Seeded(
        uri=uri,
        client=TrackingClient(uri),
        experiments=dict(seeded_template.experiments),
        runs=dict(seeded_template.runs),
        clock=seeded_template.clock,
    )


@pytest.fixture
def empty_store(tmp_path) -> TrackingClient:  # type: ignore[no-untyped-def]
    """A client on a fresh SQLite store with only the Default experiment."""
    return TrackingClient(f"sqlite:///{tmp_path / 'empty.db'}")


@pytest.fixture
def closed_port() -> int:
    """A 127.0.0.1 port nobody listens on (bound once to pick it, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def closed_port_uri(closed_port: int) -> str:
    """A PostgreSQL URI on a 127.0.0.1 port nobody listens on."""
    return f"postgresql+psycopg://nobody@127.0.0.1:{closed_port}/none?connect_timeout=2"
