"""Suite case 5: stores that cannot be used give one clear error each, and are left untouched.

A file that is not a database, a damaged database, a store written by a newer schema, a
read-only store folder and a store whose artifact folder is missing: through the Python API an
``MltrackError`` naming the file or folder and saying what to do; through the CLI one line on
stderr, a non-zero exit and no traceback. Every file of the store is hashed before and after.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from mounts import read_only_view
from reliability_figures import report

import jupyter_mltrack as mlt
from jupyter_mltrack.errors import MltrackError, NotFoundError, StoreError
from jupyter_mltrack.store.sql.store import SqlStore

MLTRACK = [sys.executable, "-m", "jupyter_mltrack.cli.main"]

MAKE_STORE = """\
import sys
import numpy as np
from sklearn.linear_model import LogisticRegression
import jupyter_mltrack as mlt
import jupyter_mltrack.sklearn as mls

mlt.set_tracking_uri(sys.argv[1])
with mlt.start_run() as run:
    mlt.log_metric("acc", 0.5)
    mlt.log_text("hello", "notes/hello.txt")
    mls.log_model(LogisticRegression().fit(np.array([[0.0], [1.0]]), [0, 1]), "model")
print(run.info.run_id)
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A real store with one run, an artifact and a model, closed (no -wal file left)."""
    folder = tmp_path_factory.mktemp("template") / "store"
    uri = f"sqlite:///{folder / 'mltrack.db'}"
    result = subprocess.run(
        [sys.executable, "-c", MAKE_STORE, uri], capture_output=True, text=True, check=True
    )
    return folder, result.stdout.strip().splitlines()[-1]


def _make_store(template: tuple[Path, str], folder: Path) -> str:
    """Copy the template store to ``folder``; return its run id."""
    shutil.copytree(template[0], folder)
    return template[1]


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MLTRACK, *args], capture_output=True, text=True, check=False, cwd=cwd, timeout=120
    )


def _check_cli(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


def _api_error(open_store: Callable[[], object], error: type[MltrackError]) -> str:
    with pytest.raises(error) as info:
        open_store()
    return str(info.value)


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes, not a database\n" * 50)
    folder = tmp_path / "store"
    folder.mkdir()
    (folder / "mltrack.db").write_bytes(os.urandom(8192))  # a store folder holding garbage
    before = _hashes(tmp_path)
    for path, uri in ((notes, f"sqlite:///{notes}"), (folder / "mltrack.db", str(folder))):
        message = _api_error(functools.partial(mlt.TrackingClient, uri), StoreError)
        assert str(path) in message and "not a SQLite database" in message
        assert "Point the tracking URI" in message
        _check_cli(_cli("--tracking-uri", uri, "runs", "list", cwd=tmp_path), str(path))
    assert _hashes(tmp_path) == before
    report("bad-stores not-a-database", files=2, clear_errors=4, overwritten=0)


def test_a_damaged_database(tmp_path: Path, template: tuple[Path, str]) -> None:
    folder = tmp_path / "store"
    _make_store(template, folder)
    db = folder / "mltrack.db"
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xa5" * (4096 - 100)  # page 1: the schema SQLite reads on open
    db.write_bytes(bytes(data))
    before = _hashes(folder)
    message = _api_error(lambda: SqlStore(f"sqlite:///{db}"), StoreError)
    assert str(db) in message and "damaged" in message and "Restore it" in message
    _check_cli(_cli("--tracking-uri", str(folder), "runs", "list", cwd=tmp_path), str(db))
    assert _hashes(folder) == before
    report("bad-stores damaged", clear_errors=2, overwritten=0)


def test_a_store_from_a_newer_schema_is_not_touched(
    tmp_path: Path, template: tuple[Path, str]
) -> None:
    folder = tmp_path / "store"
    _make_store(template, folder)
    db = folder / "mltrack.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0042_from_the_future'"))
    engine.dispose()
    before = _hashes(folder)
    message = _api_error(lambda: SqlStore(f"sqlite:///{db}"), StoreError)
    assert str(db) in message and "0042_from_the_future" in message
    assert "newer version" in message and "pip install -U" in message
    _check_cli(_cli("--tracking-uri", str(folder), "experiments", "list", cwd=tmp_path), "newer")
    assert _hashes(folder) == before
    report("bad-stores newer-schema", clear_errors=2, overwritten=0)


def test_a_read_only_store_folder(tmp_path: Path, template: tuple[Path, str]) -> None:
    folder = tmp_path / "store"
    _make_store(template, folder)
    before = _hashes(folder)
    with read_only_view(folder, tmp_path / "ro") as view:
        db = view / "mltrack.db"
        message = _api_error(lambda: SqlStore(f"sqlite:///{db}"), StoreError)
        assert str(db) in message and f"{view} must be writable" in message
        assert "copy the store folder" in message
        _check_cli(_cli("--tracking-uri", str(view), "runs", "list", cwd=tmp_path), str(view))
    assert _hashes(folder) == before
    report("bad-stores read-only", clear_errors=2, overwritten=0)


def test_a_missing_artifact_folder(tmp_path: Path, template: tuple[Path, str]) -> None:
    folder = tmp_path / "store"
    run_id = _make_store(template, folder)
    artifacts = folder / "artifacts"
    artifacts.rename(tmp_path / "elsewhere")  # as if the copy left it behind
    before = _hashes(folder)
    client = mlt.TrackingClient(str(folder))
    message = _api_error(
        lambda: client.download_artifacts(run_id, "notes/hello.txt"), NotFoundError
    )
    assert f"the folder {artifacts} is missing" in message
    assert "copy its artifact folder along with the database" in message
    from jupyter_mltrack import pyfunc

    mlt.set_tracking_uri(str(folder))
    message = _api_error(lambda: pyfunc.load_model(f"runs:/{run_id}/model"), NotFoundError)
    assert str(artifacts) in message
    inputs = tmp_path / "in.csv"
    inputs.write_text("x\n1.0\n")
    result = _cli(
        "--tracking-uri", str(folder), "models", "predict", "-m", f"runs:/{run_id}/model",
        "-i", str(inputs), cwd=tmp_path,
    )  # fmt: skip
    _check_cli(result, str(artifacts), "is missing")
    after = _hashes(folder)  # this process still has the store open: its -wal/-shm may exist
    assert {name: after[name] for name in before} == before
    assert set(after) - set(before) <= {"mltrack.db-wal", "mltrack.db-shm"}
    assert not artifacts.exists()  # nothing recreated it empty
    report("bad-stores missing-artifacts", clear_errors=3, overwritten=0)
