"""``path`` and ``uri`` parameters: made absolute, and remote paths downloaded before the run."""

from __future__ import annotations

import json
from pathlib import Path

import fsspec
import pytest

from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.projects import load_project, run, validate_parameters
from jupyter_mltrack.tracking.client import TrackingClient

MLPROJECT = """\
name: paths
entry_points:
  main:
    parameters:
      data: {type: path, default: defaults/data.txt}
      out: {type: uri, default: ""}
    command: "python read.py {data} {out}"
  listing:
    parameters:
      model: path
    command: "python listing.py {model}"
"""
LISTING = """\
import os, sys
import jupyter_mltrack as mlt
with mlt.start_run():
    mlt.log_dict({"files": sorted(os.listdir(sys.argv[1]))}, "listing.json")
"""
READ = """\
import json, os, sys
import jupyter_mltrack as mlt
data = sys.argv[1]
with mlt.start_run():
    mlt.log_dict({"path": data, "text": open(data).read(), "out": sys.argv[2:]}, "seen.json")
"""


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TrackingClient:
    uri = f"sqlite:///{tmp_path / 'mltrack.db'}"
    monkeypatch.setenv("MLTRACK_TRACKING_URI", uri)
    return TrackingClient(uri)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "defaults").mkdir(parents=True)
    (root / "MLproject").write_text(MLPROJECT)
    (root / "read.py").write_text(READ)
    (root / "listing.py").write_text(LISTING)
    (root / "defaults" / "data.txt").write_text("default data")
    return root


def _seen(client: TrackingClient, run_id: str) -> dict[str, object]:
    seen: dict[str, object] = json.loads(
        Path(client.download_artifacts(run_id, "seen.json")).read_text()
    )
    return seen


def test_relative_values_are_absolute(project: Path, tmp_path: Path) -> None:
    entry = load_project(project).entry_point("main")
    (tmp_path / "mine.txt").write_text("x")  # the test's cwd is tmp_path
    defaults = validate_parameters(entry, {})
    assert defaults["data"] == str(project / "defaults" / "data.txt")  # default: project folder
    given = validate_parameters(entry, {"data": "mine.txt", "out": "results/out"})
    assert given["data"] == str(tmp_path / "mine.txt")  # given: the caller's cwd, as MLflow
    assert given["out"] == str(tmp_path / "results" / "out")
    remote = validate_parameters(entry, {"data": "s3://bucket/key.csv", "out": "s3://b/o"})
    assert remote == {"data": "s3://bucket/key.csv", "out": "s3://b/o"}  # kept to download
    with pytest.raises(InvalidParameterError, match="does not exist"):
        validate_parameters(entry, {"data": "missing.txt"})


@pytest.mark.slow
def test_memory_uri_is_downloaded_and_the_param_keeps_the_uri(
    project: Path, client: TrackingClient
) -> None:
    with fsspec.open("memory://inputs/data.txt", "w") as handle:
        handle.write("from memory")
    done = run(project, parameters={"data": "memory://inputs/data.txt"})
    seen = _seen(client, done.info.run_id)
    assert seen["text"] == "from memory"
    assert not str(seen["path"]).startswith("memory:")
    assert not Path(str(seen["path"])).exists()  # the download folder went with the run
    assert client.get_run(done.info.run_id).data.params["data"] == "memory://inputs/data.txt"


@pytest.mark.slow
def test_runs_uri_is_downloaded_from_the_runs_artifacts(
    project: Path, client: TrackingClient, tmp_path: Path
) -> None:
    source = client.create_run("0")
    (tmp_path / "prepared.txt").write_text("prepared by another run")
    client.log_artifact(source.info.run_id, str(tmp_path / "prepared.txt"), "data")
    uri = f"runs:/{source.info.run_id}/data/prepared.txt"
    done = run(project, parameters={"data": uri})
    assert _seen(client, done.info.run_id)["text"] == "prepared by another run"


def test_a_remote_path_that_does_not_download_creates_no_run(
    project: Path, client: TrackingClient
) -> None:
    with pytest.raises(InvalidParameterError, match="Parameter 'data': cannot download"):
        run(project, parameters={"data": "memory://nowhere/missing.txt"})
    with pytest.raises(InvalidParameterError, match="Parameter 'data': cannot download"):
        run(project, parameters={"data": "runs:/0123456789abcdef0123456789abcdef/x.txt"})
    assert client.search_runs(["0"]) == []


@pytest.mark.slow
def test_models_uri_is_downloaded_from_the_registry(project: Path, client: TrackingClient) -> None:
    import jupyter_mltrack as mlt
    from jupyter_mltrack.pyfunc import PythonModel, log_model

    class Echo(PythonModel):  # type: ignore[misc]
        def predict(self, context: object, model_input: object, params: object = None) -> object:
            return model_input

    with mlt.start_run():
        log_model("model", python_model=Echo(), registered_model_name="echo")
    done = run(project, "listing", {"model": "models:/echo/1"})
    listing = json.loads(
        Path(client.download_artifacts(done.info.run_id, "listing.json")).read_text()
    )
    assert "MLmodel" in listing["files"]
    assert client.get_run(done.info.run_id).data.params["model"] == "models:/echo/1"
