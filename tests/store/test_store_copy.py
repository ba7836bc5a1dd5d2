"""A store folder copied or moved elsewhere is self-contained: everything reads from the copy.

The original folder is deleted before the copy is opened (in a fresh process), so a location
still pointing at it could not be read.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from jupyter_mltrack.store.sql.engine import create_engine
from jupyter_mltrack.store.sql.migrate import upgrade_to
from jupyter_mltrack.store.sql.store import SqlStore
from jupyter_mltrack.store.sql.store_folder import LOCATION_COLUMNS, rebase_moved_store

WRITE = """\
import json, os, sys
import numpy as np
from sklearn.linear_model import LogisticRegression
import jupyter_mltrack as mlt
import jupyter_mltrack.sklearn as mls

mlt.set_tracking_uri(sys.argv[1])
X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
with mlt.start_run() as run:
    mlt.log_text("hello", "notes/hello.txt")
    info = mls.log_model(LogisticRegression().fit(X, y), "model", registered_model_name="clf")
model_dir = mlt.TrackingClient().download_artifacts(run.info.run_id, "model")
mlt.register_model(model_dir, "by_path")  # a version whose source is a path in the store
print(json.dumps({"run_id": run.info.run_id, "model_id": getattr(info, "model_id", None)}))
"""

READ = """\
import json, sys
import numpy as np
import jupyter_mltrack as mlt
import jupyter_mltrack.pyfunc as pyfunc

mlt.set_tracking_uri(sys.argv[1])
run_id = sys.argv[2]
client = mlt.TrackingClient()
run = client.get_run(run_id)
X = np.array([[0.0], [3.0]])
out = {
    "artifact_uri": run.info.artifact_uri,
    "experiment": client.get_experiment(run.info.experiment_id).artifact_location,
    "text": open(client.download_artifacts(run_id, "notes/hello.txt")).read(),
    "runs_uri": pyfunc.load_model(f"runs:/{run_id}/model").predict(X).tolist(),
    "models_uri": pyfunc.load_model("models:/clf/1").predict(X).tolist(),
    "by_path": pyfunc.load_model("models:/by_path/1").predict(X).tolist(),
    "source": mlt.RegistryClient().get_model_version("by_path", 1).source,
}
print(json.dumps(out))
"""


def _python(code: str, *args: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _all_locations(db: Path) -> list[str]:
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        values = [
            value
            for table, column in LOCATION_COLUMNS
            for value in conn.execute(sa.text(f"SELECT {column} FROM {table}")).scalars()
        ]
    engine.dispose()
    return values


@pytest.mark.parametrize("how", ["copy", "move"])
def test_a_copied_or_moved_store_reads_everything_from_its_new_folder(
    tmp_path: Path, how: str
) -> None:
    original = tmp_path / "first" / "mltrack"
    written = _python(WRITE, f"sqlite:///{original / 'mltrack.db'}")
    target = tmp_path / "second" / "mltrack"
    target.parent.mkdir()
    if how == "copy":
        subprocess.run(["cp", "-r", str(original), str(target)], check=True)
        shutil.rmtree(original)  # nothing may still be read from here
    else:
        subprocess.run(["mv", str(original), str(target)], check=True)

    read = _python(READ, f"sqlite:///{target / 'mltrack.db'}", str(written["run_id"]))

    assert str(read["artifact_uri"]).startswith(f"{target}/artifacts/0/")
    assert read["experiment"] == f"{target}/artifacts/0"
    assert read["text"] == "hello"
    assert read["runs_uri"] == read["models_uri"] == read["by_path"] == [0, 1]
    assert str(read["source"]).startswith(str(target))
    locations = _all_locations(target / "mltrack.db")
    assert len(locations) >= 4  # experiment, run, logged model, model versions
    assert not [value for value in locations if str(original) in value]


def test_opening_a_store_where_it_was_written_rewrites_nothing(tmp_path: Path) -> None:
    db = tmp_path / "s" / "mltrack.db"
    store = SqlStore(f"sqlite:///{db}")
    store.create_experiment("e")
    assert rebase_moved_store(store.engine, str(db)) == 0
    # The same folder through a symlink is not a move.
    link = tmp_path / "link"
    link.symlink_to(db.parent)
    assert rebase_moved_store(store.engine, str(link / "mltrack.db")) == 0
    store.close()


def test_locations_outside_the_store_folder_stay_as_they_are(tmp_path: Path) -> None:
    db = tmp_path / "s" / "mltrack.db"
    store = SqlStore(f"sqlite:///{db}")
    outside = store.create_experiment("outside", artifact_location="/data/elsewhere")
    store.close()
    shutil.copytree(db.parent, tmp_path / "copy")
    copy = SqlStore(f"sqlite:///{tmp_path / 'copy' / 'mltrack.db'}")
    assert copy.get_experiment(outside).artifact_location == "/data/elsewhere"
    assert copy.get_experiment("0").artifact_location == f"{tmp_path}/copy/artifacts/0"
    copy.close()


def test_a_store_copied_before_the_upgrade_is_migrated_into_its_folder(tmp_path: Path) -> None:
    old = tmp_path / "old"
    engine = create_engine(f"sqlite:///{old / 'mltrack.db'}")
    upgrade_to(engine, "0009_client_requests")
    run_uri = f"{old}/artifacts/0/{'a' * 32}/artifacts"
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO experiments (experiment_id, name, artifact_location, "
                "lifecycle_stage, creation_time, last_update_time) "
                "VALUES (0, 'Default', :loc, 'active', 1, 1)"
            ),
            {"loc": f"{old}/artifacts/0"},
        )
        conn.execute(
            sa.text(
                "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, "
                "lifecycle_stage, artifact_uri) "
                "VALUES (:id, 'r', 0, 'u', 'FINISHED', 1, 'active', :uri)"
            ),
            {"id": "a" * 32, "uri": run_uri},
        )
    engine.dispose()
    (old / "artifacts" / "0").mkdir(parents=True)
    shutil.copytree(old, tmp_path / "new")
    shutil.rmtree(old)

    store = SqlStore(f"sqlite:///{tmp_path / 'new' / 'mltrack.db'}")
    run = store.get_run("a" * 32)
    assert run.info.artifact_uri == f"{tmp_path}/new/artifacts/0/{'a' * 32}/artifacts"
    store.close()


def test_opening_an_unmoved_store_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "s" / "mltrack.db"
    SqlStore(f"sqlite:///{db}").close()
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    SqlStore(f"sqlite:///{db}").close()
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
