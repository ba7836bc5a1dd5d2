"""rerun(): a project run and a %%track run re-executed, with metric deltas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook
from test_project_spec import write_notebook

from jupyter_mltrack.cli.main import main
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.projects import run
from jupyter_mltrack.projects.rerun import (
    CHANGED_TAG,
    MAX_DELTA_TAG,
    RERUN_OF_TAG,
    SOURCE_TAG,
    compare_metrics,
    rerun,
)
from jupyter_mltrack.tracking.client import TrackingClient

pytestmark = [pytest.mark.kernel, pytest.mark.slow]
PROJECT = Path(__file__).resolve().parents[2] / "notebooks"


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TrackingClient:
    uri = f"sqlite:///{tmp_path / 'mltrack.db'}"
    monkeypatch.setenv("MLTRACK_TRACKING_URI", uri)
    monkeypatch.chdir(tmp_path)
    return TrackingClient(uri)


def test_rerun_reproduces_a_seeded_project_run(client: TrackingClient, tmp_path: Path) -> None:
    original = run(PROJECT, "main", {"n_estimators": 10}, experiment_name="repro")
    same = rerun(original.info.run_id)
    assert same.info.run_id != original.info.run_id
    assert same.data.tags[RERUN_OF_TAG] == original.info.run_id
    assert same.data.params["n_estimators"] == "10"
    deltas = compare_metrics(original, same)
    assert {d.key for d in deltas} >= {"accuracy", "roc_auc"}
    assert all(d.delta == 0 for d in deltas)
    assert float(same.data.tags[MAX_DELTA_TAG]) == 0.0
    report = json.loads(
        Path(
            client.download_artifacts(same.info.run_id, "reproducibility.json", tmp_path)
        ).read_text()
    )
    assert {row["key"] for row in report["metrics"]} == {d.key for d in deltas}

    other = rerun(original.info.run_id, {"n_estimators": 3})
    assert other.data.params["n_estimators"] == "3"
    assert compare_metrics(original, other)[0].delta is not None
    assert any(d.delta for d in compare_metrics(original, other))

    result = CliRunner().invoke(main, ["rerun", original.info.run_id, "-P", "max_depth=1"])
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.output and "Re-ran" in result.output


def test_rerun_of_a_track_cell(client: TrackingClient, tmp_path: Path) -> None:
    nb = new_notebook(
        cells=[
            new_code_cell("%load_ext jupyter_mltrack\nimport jupyter_mltrack as mlt"),
            new_code_cell("base = 20"),
            new_code_cell("%%track --name cell --quiet\nmlt.log_metric('score', base * 2)"),
        ]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    NotebookClient(nb, kernel_name="python3", timeout=60).execute()
    (original,) = client.search_runs("0", "attributes.run_name = 'cell'")
    assert original.data.metrics["score"] == 40

    again = rerun(original.info.run_id)
    assert again.data.tags[RERUN_OF_TAG] == original.info.run_id
    assert again.data.metrics["score"] == 40
    changed = rerun(original.info.run_id, {"base": "5"})
    assert changed.data.metrics["score"] == 10
    assert [d.delta for d in compare_metrics(original, changed)] == [-30]


def test_a_run_without_a_notebook_cannot_be_rerun(client: TrackingClient) -> None:
    plain = client.create_run("0")
    with pytest.raises(InvalidParameterError, match=r"no notebook\.ipynb or cell\.py"):
        rerun(plain.info.run_id)


FOLDER_YAML = """\
name: folder
entry_points:
  main:
    notebook: main.ipynb
    parameters:
      data: {type: path, default: data.csv}
      scale: {type: float, default: 1.0}
"""
READS_DATA = """\
import os
import jupyter_mltrack as mlt
mlt.log_metric("score", scale * len(open(data).read()))
mlt.set_tag("cwd", os.getcwd())
"""


def test_rerun_prefers_the_project_folder_and_checks_paths(
    client: TrackingClient, tmp_path: Path
) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "mltrack.yaml").write_text(FOLDER_YAML)
    (project / "data.csv").write_text("abcd")
    write_notebook(project / "main.ipynb", "data = 'data.csv'\nscale = 1.0", READS_DATA)
    original = run(project, parameters={"scale": 2})
    assert original.data.metrics["score"] == 8.0

    same = rerun(original.info.run_id)
    assert same.data.tags[SOURCE_TAG] == "project folder"
    assert same.data.tags["cwd"] == str(project.resolve())  # the kernel works in the folder
    assert same.data.metrics["score"] == 8.0 and CHANGED_TAG not in same.data.tags

    # The folder's notebook is what runs now, and the re-run says it is not what ran first.
    write_notebook(project / "main.ipynb", "data = 'data.csv'\nscale = 1.0", READS_DATA + "#")
    assert rerun(original.info.run_id).data.tags[CHANGED_TAG] == "true"

    # A recorded path that is gone stops the re-run before any run starts, naming the fix.
    (project / "data.csv").unlink()
    before = len(client.search_runs([original.info.experiment_id]))
    with pytest.raises(InvalidParameterError, match=r"parameter 'data' .* -P data=PATH"):
        rerun(original.info.run_id)
    assert len(client.search_runs([original.info.experiment_id])) == before

    # Without the folder: the stored notebook, with the recorded types (data is still a path).
    moved = tmp_path / "moved"
    project.rename(moved)
    with pytest.raises(InvalidParameterError, match="-P data=PATH"):
        rerun(original.info.run_id)
    (moved / "data.csv").write_text("abcdef")
    fallback = rerun(original.info.run_id, {"data": "moved/data.csv"})  # relative to the cwd
    assert fallback.data.tags[SOURCE_TAG] == "stored notebook"
    assert fallback.data.params["data"] == str(moved / "data.csv")
    assert fallback.data.metrics["score"] == 12.0
