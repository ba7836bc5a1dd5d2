"""MLproject files and MLflow's file conventions: parsing, commands, and command runs."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from jupyter_mltrack.cli.main import main
from jupyter_mltrack.errors import InvalidParameterError, ProjectExecutionError
from jupyter_mltrack.projects import load_project, run, validate_parameters
from jupyter_mltrack.projects.mlproject import build_command
from jupyter_mltrack.tracking.client import TrackingClient

MLPROJECT = """\
name: tutorial
python_env: python_env.yaml
entry_points:
  main:
    parameters:
      alpha: {type: float, default: 0.5}
      label: {type: string, default: "a b"}
      data_file: path
    command: "python train.py --alpha {alpha} --label {label} {data_file}"
  shell:
    parameters:
      n: {type: float, default: 2}
    command: "bash step.sh {n}"
"""

TRAIN = """\
import argparse, json, os, sys
import jupyter_mltrack as mlt
parser = argparse.ArgumentParser()
parser.add_argument("--alpha", type=float)
parser.add_argument("--label")
parser.add_argument("data_file")
parser.add_argument("--epochs", default="none")
args = parser.parse_args()
print("training with", args.alpha, flush=True)
with mlt.start_run() as active:
    mlt.log_metric("score", args.alpha * 2)
    mlt.log_param("epochs_seen", args.epochs)
    mlt.log_dict({"cwd": os.getcwd(), "label": args.label, "data": args.data_file,
                  "python": sys.executable}, "seen.json")
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
    (root / "MLproject").write_text(MLPROJECT)
    (root / "python_env.yaml").write_text("python: '3.11'\ndependencies: []\n")
    (root / "train.py").write_text(TRAIN)
    (root / "step.sh").write_text('echo "step $1 in $(pwd)"; echo "run=$MLTRACK_RUN_ID"\n')
    (root / "data.csv").write_text("a\n1\n")
    return root


def test_mlproject_is_loaded_with_commands_and_environment(project: Path) -> None:
    spec = load_project(project)
    assert spec.name == "tutorial"
    assert spec.environment == {"python_env": "python_env.yaml"}
    main_entry = spec.entry_point("main")
    assert main_entry.notebook == "" and main_entry.command is not None
    assert main_entry.parameters["alpha"].default == 0.5
    assert main_entry.parameters["data_file"].type == "path"
    assert main_entry.parameters["data_file"].default is None  # shorthand: type only
    assert main_entry.root == str(project.resolve())


def test_command_quotes_values_and_appends_extra_parameters(project: Path, tmp_path: Path) -> None:
    entry = load_project(project).entry_point("main")
    values = validate_parameters(entry, {"data_file": "proj/data.csv", "epochs": "3; rm -rf /"})
    # Relative paths given by the caller are relative to the caller's cwd (tmp_path here).
    assert values["data_file"] == str(project / "data.csv")
    command = build_command(entry, values)
    assert command == (
        f"python train.py --alpha 0.5 --label 'a b' {shlex.quote(str(project / 'data.csv'))}"
        " --epochs '3; rm -rf /'"
    )
    assert shlex.split(command)[-1] == "3; rm -rf /"


def test_missing_required_parameter_and_bad_types_fail_before_running(project: Path) -> None:
    entry = load_project(project).entry_point("main")
    with pytest.raises(InvalidParameterError, match=r"No value given for the parameter.*data_file"):
        validate_parameters(entry, {})
    with pytest.raises(InvalidParameterError, match="'alpha' must be of type float"):
        validate_parameters(entry, {"alpha": "high", "data_file": "proj/data.csv"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("entry_points:\n  main:\n    parameters: {}\n", "needs a 'command:'"),
        ("entry_points:\n  main:\n    command: 'python t.py {x}'\n", r"undeclared.*\['x'\]"),
        ("docker_env: {image: x}\nentry_points: {}\n", "docker_env is not supported"),
        (
            "entry_points:\n  main:\n    parameters: {a: complex}\n    command: 'echo {a}'\n",
            "unknown type 'complex'",
        ),
        ("entry_points: [1]\n", "must be a mapping"),
        ("name: [unclosed\n", "not valid YAML"),
    ],
)
def test_malformed_mlproject_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "MLproject").write_text(text)
    with pytest.raises(InvalidParameterError, match=message):
        load_project(tmp_path)


def test_conventions_without_mlproject(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("print('hi')\n")
    (tmp_path / "prep.sh").write_text("echo prep\n")
    spec = load_project(tmp_path)
    assert spec.entry_point("train.py").command == "python train.py"
    assert spec.entry_point("prep.sh").command == "bash prep.sh"
    entry = spec.entry_point("train.py")
    assert build_command(entry, validate_parameters(entry, {"lr": 0.1, "name": "x y"})) == (
        "python train.py --lr 0.1 --name 'x y'"
    )
    with pytest.raises(InvalidParameterError, match="must be letters, digits"):
        validate_parameters(entry, {"x; rm -rf ~": "1"})
    with pytest.raises(InvalidParameterError, match=r"no entry point 'other\.txt'"):
        spec.entry_point("other.txt")


@pytest.mark.slow
def test_command_run_logs_into_the_project_run(
    project: Path, client: TrackingClient, capfd: pytest.CaptureFixture[str]
) -> None:
    finished = run(
        project,
        parameters={"data_file": str(project / "data.csv"), "alpha": "0.25", "epochs": "7"},
        experiment_name="cmd",
    )
    assert finished.info.status == "FINISHED"
    run_id = finished.info.run_id
    data = client.get_run(run_id).data
    # The command's own start_run() resumed the project run: one run, everything in it.
    assert data.metrics == {"score": 0.5}
    assert data.params["alpha"] == "0.25" and data.params["epochs"] == "7"
    assert data.params["epochs_seen"] == "7"
    assert data.tags["mltrack.source.type"] == "PROJECT"
    assert data.tags["mlflow.project.entryPoint"] == "main"
    assert data.tags["mltrack.project.exitCode"] == "0"
    assert "mltrack.project.notebook" not in data.tags
    assert data.tags["mltrack.project.environment"] == str(project / "python_env.yaml")
    assert len(client.search_runs([finished.info.experiment_id])) == 1
    seen = json.loads(Path(client.download_artifacts(run_id, "seen.json")).read_text())
    assert seen["cwd"] == str(project) and seen["label"] == "a b"
    log = Path(client.download_artifacts(run_id, "command.log")).read_text()
    assert "training with 0.25" in log
    assert "training with 0.25" in capfd.readouterr().out  # streamed to our stdout too


@pytest.mark.slow
def test_failing_command_fails_the_run_with_its_output(
    tmp_path: Path, client: TrackingClient
) -> None:
    (tmp_path / "boom.sh").write_text("echo 'about to fail'\nexit 3\n")
    with pytest.raises(ProjectExecutionError, match="exited with status 3") as info:
        run(tmp_path, "boom.sh")
    assert "about to fail" in info.value.message
    failed = client.get_run(str(info.value.run_id))
    assert failed.info.status == "FAILED"
    assert failed.data.tags["mltrack.project.exitCode"] == "3"
    assert failed.data.tags["mltrack.project.failureReason"] == "exit status 3"


@pytest.mark.slow
def test_timeout_kills_the_whole_process_tree(tmp_path: Path, client: TrackingClient) -> None:
    pid_file = tmp_path / "child.pid"
    (tmp_path / "hang.sh").write_text(f"sleep 300 &\necho $! > {pid_file}\nwait\n")
    with pytest.raises(ProjectExecutionError, match="timed out") as info:
        run(tmp_path, "hang.sh", timeout=2)
    assert client.get_run(str(info.value.run_id)).info.status == "KILLED"
    child = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):  # the grandchild died with its group
        _wait_gone(child)


def _wait_gone(pid: int) -> None:
    import time

    for _ in range(100):
        os.kill(pid, 0)  # raises ProcessLookupError once it is gone
        time.sleep(0.05)


@pytest.mark.slow
def test_mlflow_variables_point_at_our_server(tmp_path: Path) -> None:
    from rest_server import serve_app

    from jupyter_mltrack.server import create_app, open_server_store

    backing = open_server_store(f"sqlite:///{tmp_path / 'server.db'}")
    live = serve_app(create_app(backing, str(tmp_path / "artifacts")))
    try:
        (tmp_path / "show.py").write_text(
            "import json, os\n"
            "names = [k for k in os.environ if 'RUN_ID' in k or 'TRACKING' in k]\n"
            "print(json.dumps({k: os.environ[k] for k in names}))\n"
        )
        done = run(tmp_path, "show.py", tracking_uri=live.url)
        log = TrackingClient(live.url).download_artifacts(done.info.run_id, "command.log")
        seen = json.loads(Path(log).read_text().strip().splitlines()[-1])
    finally:
        live.stop()
    assert seen["MLFLOW_RUN_ID"] == seen["MLTRACK_RUN_ID"] == done.info.run_id
    assert seen["MLFLOW_TRACKING_URI"] == seen["MLTRACK_TRACKING_URI"] == live.url


@pytest.mark.slow
def test_python_in_a_command_is_this_interpreter(tmp_path: Path, client: TrackingClient) -> None:
    (tmp_path / "which.py").write_text("import sys; print('PY=' + sys.executable)\n")
    done = run(tmp_path, "which.py")
    log = Path(client.download_artifacts(done.info.run_id, "command.log")).read_text()
    assert f"PY={os.path.dirname(sys.executable)}" in log


def test_cli_run_and_describe_an_mlproject(project: Path, client: TrackingClient) -> None:
    described = CliRunner().invoke(main, ["projects", "describe", str(project)])
    assert described.exit_code == 0, described.output
    assert "python train.py --alpha {alpha}" in described.output
    bad = CliRunner().invoke(main, ["run", str(project), "-P", "alpha=0.1"])
    assert bad.exit_code != 0 and "data_file" in bad.output
    assert client.search_runs(["0"]) == []  # nothing was created for a bad request


@pytest.mark.slow
@pytest.mark.kernel
def test_an_mlproject_entry_point_can_be_a_notebook(tmp_path: Path, client: TrackingClient) -> None:
    from test_project_spec import write_notebook

    (tmp_path / "MLproject").write_text(
        "name: nb\nentry_points:\n  report:\n    parameters:\n      x: {type: float, default: 1}\n"
        "    command: report.ipynb\n  plain:\n    notebook: report.ipynb\n"
    )
    write_notebook(
        tmp_path / "report.ipynb", "x = 0.0",
        "import jupyter_mltrack as mlt\nmlt.log_metric('twice', x * 2)",
    )  # fmt: skip
    spec = load_project(tmp_path)
    assert spec.entry_point("plain").parameters["x"].type == "float"  # from the notebook's cell
    done = run(tmp_path, "report", {"x": "2.5"})
    assert done.data.metrics == {"twice": 5.0}
    assert done.data.tags["mltrack.project.notebook"] == str(tmp_path / "report.ipynb")
    assert "notebook.ipynb" in {f.path for f in client.list_artifacts(done.info.run_id)}


@pytest.mark.slow
@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM"])
def test_ctrl_c_on_mltrack_run_kills_the_command_tree(tmp_path: Path, signame: str) -> None:
    import signal
    import subprocess
    import time

    pid_file = tmp_path / "child.pid"
    (tmp_path / "hang.sh").write_text(f"sleep 300 &\necho $! > {pid_file}\nwait\n")
    uri = f"sqlite:///{tmp_path / 'mltrack.db'}"
    cli = subprocess.Popen(
        [sys.executable, "-m", "jupyter_mltrack.cli.main", "run", str(tmp_path), "-e", "hang.sh"],
        env={**os.environ, "MLTRACK_TRACKING_URI": uri},
        start_new_session=True,  # a terminal's foreground job: Ctrl-C reaches its group
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not pid_file.exists() or not pid_file.read_text().strip():
            assert time.monotonic() < deadline and cli.poll() is None, "the command never started"
            time.sleep(0.1)
        if signame == "SIGINT":  # Ctrl-C in a terminal: the whole foreground group
            os.killpg(cli.pid, signal.SIGINT)
        else:  # a service manager stops the process
            os.kill(cli.pid, signal.SIGTERM)
        output, _ = cli.communicate(timeout=60)
    finally:
        if cli.poll() is None:
            os.killpg(cli.pid, signal.SIGKILL)
    assert cli.returncode == (130 if signame == "SIGINT" else 143), output
    (killed,) = TrackingClient(uri).search_runs(["0"])
    assert killed.info.status == "KILLED"
    assert killed.data.tags["mltrack.project.failureReason"] == "interrupted"
    with pytest.raises(ProcessLookupError):
        _wait_gone(int(pid_file.read_text()))


def test_extras_of_our_own_package_reach_the_built_environment() -> None:
    from jupyter_mltrack.environments import EnvSpec
    from jupyter_mltrack.projects.launch import _own_extras

    asked = EnvSpec(dependencies=["jupyter_mltrack[sklearn]", "numpy"])
    names = {line.split(">")[0] for line in _own_extras(asked)}
    assert names == {"scikit-learn", "skops"}
    assert _own_extras(EnvSpec(dependencies=["jupyter_mltrack", "numpy"])) == []
    assert _own_extras(None) == []


@pytest.mark.slow
@pytest.mark.server
def test_unchanged_mlflow_code_logs_into_the_project_run(
    tmp_path: Path, mlflow_python: Path
) -> None:
    from rest_server import serve_app

    from jupyter_mltrack.server import create_app, open_server_store

    (tmp_path / "MLproject").write_text(
        "name: mlflow-code\nentry_points:\n  main:\n    parameters:\n"
        "      alpha: {type: float, default: 0.5}\n"
        f"    command: '{mlflow_python} train_mlflow.py {{alpha}}'\n"
    )
    (tmp_path / "train_mlflow.py").write_text(
        "import sys\nimport mlflow\n\n"
        "with mlflow.start_run():\n"
        "    mlflow.log_metric('loss', float(sys.argv[1]) / 2)\n"
        "    mlflow.set_tag('client', 'mlflow ' + mlflow.__version__)\n"
    )
    backing = open_server_store(f"sqlite:///{tmp_path / 'server.db'}")
    live = serve_app(create_app(backing, str(tmp_path / "artifacts")))
    try:
        done = run(tmp_path, parameters={"alpha": 0.8}, tracking_uri=live.url)
        client = TrackingClient(live.url)
        runs = client.search_runs([done.info.experiment_id])
    finally:
        live.stop()
    assert [r.info.run_id for r in runs] == [done.info.run_id]  # no second run
    assert done.info.status == "FINISHED"
    assert done.data.metrics == {"loss": 0.4}
    assert done.data.tags["client"].startswith("mlflow 3.")


@pytest.mark.slow
def test_a_sweep_runs_a_command_entry_point(tmp_path: Path, client: TrackingClient) -> None:
    from jupyter_mltrack.projects import sweep

    (tmp_path / "fit.py").write_text(
        "import sys\nimport jupyter_mltrack as mlt\nalpha = float(sys.argv[2])\n"
        "with mlt.start_run():\n    mlt.log_metric('score', -((alpha - 2) ** 2))\n"
    )
    parent, table = sweep(
        tmp_path, "fit.py", grid={"alpha": "1,2,4"}, max_parallel=2, metric="score",
        progress=False,
    )  # fmt: skip
    assert parent.info.status == "FINISHED"
    assert list(table["status"]) == ["FINISHED"] * 3
    assert table["alpha"].iloc[0] == "2"  # best first
