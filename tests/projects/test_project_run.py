"""Running a project entry point with papermill: a PROJECT run with params, tags and evidence."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from test_project_spec import YAML, write_notebook

from jupyter_mltrack.cli.main import main
from jupyter_mltrack.errors import InvalidParameterError, ProjectExecutionError
from jupyter_mltrack.projects import run
from jupyter_mltrack.tracking.client import TrackingClient

pytestmark = pytest.mark.kernel

CHECK_TYPES = """\
import json, os
import jupyter_mltrack as mlt
seen = {k: type(v).__name__ for k, v in
        dict(epochs=epochs, alpha=alpha, fast=fast, layers=layers, opts=opts, data=data).items()}
assert isinstance(layers, list) and isinstance(opts, dict), seen
assert os.path.isabs(data) and os.path.exists(data)
mlt.log_dict({"types": seen, "opts": opts, "layers": layers}, "seen.json")
mlt.log_metric("score", alpha * epochs)
"""


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TrackingClient:
    uri = f"sqlite:///{tmp_path / 'mltrack.db'}"
    monkeypatch.setenv("MLTRACK_TRACKING_URI", uri)
    return TrackingClient(uri)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "mltrack.yaml").write_text(YAML)
    (root / "data.csv").write_text("a\n1\n")
    (root / "requirements.txt").write_text("numpy\n")
    write_notebook(root / "train.ipynb", "epochs = 1", CHECK_TYPES)
    return root


def _artifacts(client: TrackingClient, run_id: str) -> set[str]:
    return {f.path for f in client.list_artifacts(run_id)}


@pytest.mark.slow
def test_typed_parameters_arrive_and_run_is_recorded(
    project: Path, client: TrackingClient, tmp_path: Path
) -> None:
    finished = run(
        project,
        parameters={"epochs": "4", "alpha": 0.25, "fast": "yes", "opts": {"k": [1, 2]}},
        experiment_name="projects",
    )
    assert finished.info.status == "FINISHED"
    assert client.get_experiment(finished.info.experiment_id).name == "projects"
    run_id = finished.info.run_id
    data = client.get_run(run_id).data
    assert data.metrics["score"] == 1.0
    assert data.params["epochs"] == "4" and data.params["fast"] == "true"
    assert json.loads(data.params["opts"]) == {"k": [1, 2]}
    assert data.params["data"] == str((project / "data.csv").resolve())
    tags = data.tags
    assert tags["mltrack.source.type"] == "PROJECT"
    assert tags["mltrack.project.name"] == "demo"
    assert tags["mltrack.project.entryPoint"] == "main"
    assert tags["mltrack.project.notebook"] == str((project / "train.ipynb").resolve())
    assert tags["mltrack.project.environment"] == str((project / "requirements.txt").resolve())
    assert tags["mltrack.runName"] == "demo-main"
    assert {"notebook.ipynb", "notebook.html", "seen.json"} <= _artifacts(client, run_id)
    seen_file = Path(client.download_artifacts(run_id, "seen.json", str(tmp_path)))
    seen = json.loads(seen_file.read_text())
    assert seen["types"] == {
        "epochs": "int", "alpha": "float", "fast": "bool", "layers": "list",
        "opts": "dict", "data": "str",
    }  # fmt: skip
    assert seen["opts"] == {"k": [1, 2]} and seen["layers"] == [8, 4]


def test_validation_errors_happen_before_any_run(project: Path, client: TrackingClient) -> None:
    with pytest.raises(InvalidParameterError, match="declared parameters"):
        run(project, parameters={"nope": 1})
    with pytest.raises(InvalidParameterError, match="Parameter 'epochs' must be of type int"):
        run(project, parameters={"epochs": "many"})
    with pytest.raises(InvalidParameterError, match="does not exist"):
        run(project, parameters={"data": "missing.csv"})
    with pytest.raises(InvalidParameterError, match="no entry point 'other'"):
        run(project, entry_point="other")
    assert client.search_runs([e.experiment_id for e in client.search_experiments()]) == []


@pytest.mark.slow
def test_track_cells_become_child_runs(tmp_path: Path, client: TrackingClient) -> None:
    git = ["git", "-C", str(tmp_path), "-c", "user.email=t@e.st", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", "-b", "trunk"], check=True)
    write_notebook(
        tmp_path / "nb.ipynb",
        "n = 2",
        "%load_ext jupyter_mltrack",
        "%%track --name step\nimport jupyter_mltrack as mlt\nmlt.log_metric('inner', n)",
    )
    subprocess.run([*git, "add", "nb.ipynb"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], check=True)
    parent = run(tmp_path, run_name="outer")
    children = client.search_runs(
        [parent.info.experiment_id],
        filter_string=f"tags.mltrack.parentRunId = '{parent.info.run_id}'",
    )
    assert len(children) == 1
    assert children[0].data.metrics["inner"] == 2.0
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["mltrack.project.entryPoint"] == "nb"
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    assert parent.data.tags["mltrack.source.git.commit"] == head.stdout.strip()
    assert parent.data.tags["mltrack.source.git.branch"] == "trunk"
    assert parent.data.tags["mltrack.source.git.dirty"] == "false"


@pytest.mark.slow
def test_asynchronous_run_returns_the_running_run(tmp_path: Path, client: TrackingClient) -> None:
    write_notebook(tmp_path / "main.ipynb", "x = 1", "import time\ntime.sleep(1)")
    started = run(tmp_path, synchronous=False)
    assert started.info.status == "RUNNING"
    deadline = time.monotonic() + 60
    while client.get_run(started.info.run_id).info.status == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert client.get_run(started.info.run_id).info.status == "FINISHED"


@pytest.mark.slow
def test_cell_error_fails_the_run(tmp_path: Path, client: TrackingClient) -> None:
    write_notebook(tmp_path / "main.ipynb", "x = 1", "y = 2", "raise ValueError('bad x')")
    with pytest.raises(ProjectExecutionError, match="ValueError: bad x") as info:
        run(tmp_path)
    err = info.value
    assert err.ename == "ValueError" and err.evalue == "bad x" and err.cell_index is not None
    failed = client.get_run(str(err.run_id))
    assert failed.info.status == "FAILED"
    assert failed.data.tags["mltrack.project.errorName"] == "ValueError"
    assert failed.data.tags["mltrack.project.errorValue"] == "bad x"
    assert failed.data.tags["mltrack.project.failedCell"] == str(err.cell_index)
    assert {"notebook.ipynb", "notebook.html"} <= _artifacts(client, failed.info.run_id)


@pytest.mark.slow
def test_dead_kernel_fails_the_run(tmp_path: Path, client: TrackingClient) -> None:
    write_notebook(tmp_path / "main.ipynb", "x = 1", "import os\nos._exit(1)")
    with pytest.raises(ProjectExecutionError, match="kernel died") as info:
        run(tmp_path)
    failed = client.get_run(str(info.value.run_id))
    assert failed.info.status == "FAILED"
    assert failed.data.tags["mltrack.project.failureReason"] == "kernel died"
    assert "notebook.ipynb" in _artifacts(client, failed.info.run_id)


@pytest.mark.slow
def test_timeout_kills_the_run(tmp_path: Path, client: TrackingClient) -> None:
    write_notebook(tmp_path / "main.ipynb", "x = 1", "import time\ntime.sleep(60)")
    with pytest.raises(ProjectExecutionError, match="timed out") as info:
        run(tmp_path, timeout=2)
    killed = client.get_run(str(info.value.run_id))
    assert killed.info.status == "KILLED"
    assert killed.data.tags["mltrack.project.failureReason"] == "timeout"


@pytest.mark.slow
def test_timeout_bounds_the_whole_notebook(tmp_path: Path, client: TrackingClient) -> None:
    # No cell reaches the timeout alone; together they do (a per-cell limit would finish).
    naps = ["import time\ntime.sleep(1.5)"] * 4
    write_notebook(tmp_path / "main.ipynb", "x = 1", *naps, "print('never')")
    started = time.monotonic()
    with pytest.raises(ProjectExecutionError, match="timed out") as info:
        run(tmp_path, timeout=3)
    elapsed = time.monotonic() - started
    killed = client.get_run(str(info.value.run_id))
    assert killed.info.status == "KILLED"
    assert killed.data.tags["mltrack.project.failureReason"] == "timeout"
    assert 3 <= elapsed < 30  # bounded by the timeout plus kernel start and evidence
    executed = Path(client.download_artifacts(killed.info.run_id, "notebook.ipynb", tmp_path))
    outputs = "".join(str(cell.get("outputs", "")) for cell in nbformat.read(executed, 4).cells)
    assert "never" not in outputs


@pytest.mark.slow
def test_cli_run_success_and_failure(tmp_path: Path, client: TrackingClient) -> None:
    write_notebook(
        tmp_path / "main.ipynb",
        "k = 1",
        "import jupyter_mltrack as mlt\nassert k > 0, 'k must be positive'\nmlt.log_metric('k', k)",
    )
    ok = CliRunner().invoke(main, ["run", str(tmp_path), "-P", "k=3", "--run-name", "cli"])
    assert ok.exit_code == 0, ok.output
    (found,) = client.search_runs(["0"], filter_string="attributes.run_name = 'cli'")
    assert found.data.metrics["k"] == 3.0
    assert found.info.run_id in ok.output
    bad = CliRunner().invoke(main, ["run", str(tmp_path), "-e", "main", "-P", "k=-1"])
    assert bad.exit_code == 1
    assert bad.output.count("\n") == 1 and "AssertionError: k must be positive" in bad.output
    usage = CliRunner().invoke(main, ["run", str(tmp_path), "-P", "k"])
    assert usage.exit_code == 2
