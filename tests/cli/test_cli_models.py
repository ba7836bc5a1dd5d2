"""``mltrack models predict`` on CSV, Parquet and JSON files; ``mltrack models serve`` for real."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
from click.testing import Result
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier

from jupyter_mltrack.models import infer_signature
from jupyter_mltrack.pyfunc import PythonModel
from jupyter_mltrack.pyfunc import save_model as save_pyfunc
from jupyter_mltrack.sklearn import save_model

Cli = Callable[..., Result]
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def iris() -> tuple[pd.DataFrame, pd.Series]:
    features, target = load_iris(return_X_y=True, as_frame=True)
    return features, target


@pytest.fixture(scope="module")
def forest(iris: tuple[pd.DataFrame, pd.Series]) -> RandomForestClassifier:
    return RandomForestClassifier(n_estimators=10, random_state=0).fit(*iris)


@pytest.fixture(scope="module")
def model_dir(
    tmp_path_factory: pytest.TempPathFactory,
    iris: tuple[pd.DataFrame, pd.Series],
    forest: RandomForestClassifier,
) -> Path:
    path = tmp_path_factory.mktemp("cli-models") / "forest"
    save_model(forest, path, signature=infer_signature(iris[0], forest.predict(iris[0])))
    return path


@pytest.fixture
def sample(iris: tuple[pd.DataFrame, pd.Series]) -> pd.DataFrame:
    return iris[0].iloc[::10]


def read_predictions(text: str) -> list[int]:
    frame = pd.read_csv(io.StringIO(text))
    assert list(frame.columns) == ["prediction"]
    return frame["prediction"].tolist()


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_predict_writes_a_csv_of_predictions(
    cli: Cli,
    model_dir: Path,
    sample: pd.DataFrame,
    forest: RandomForestClassifier,
    tmp_path: Path,
    suffix: str,
) -> None:
    source = tmp_path / f"input{suffix}"
    if suffix == ".csv":
        sample.to_csv(source, index=False)
    elif suffix == ".parquet":
        sample.to_parquet(source)
    else:
        source.write_text(json.dumps({"dataframe_split": sample.to_dict(orient="split")}))
    out = tmp_path / "out.csv"
    result = cli("models", "predict", "-m", str(model_dir), "-i", str(source), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert read_predictions(out.read_text()) == forest.predict(sample).tolist()
    assert f"Wrote {len(sample)} predictions to {out}" in result.stderr


def test_predict_without_output_prints_csv_to_stdout(
    cli: Cli, model_dir: Path, sample: pd.DataFrame, forest: RandomForestClassifier, tmp_path: Path
) -> None:
    source = tmp_path / "rows.json"
    source.write_text(sample.to_json(orient="records"))  # a plain list of row objects
    result = cli("models", "predict", "-m", str(model_dir), "-i", str(source))
    assert result.exit_code == 0, result.output
    assert read_predictions(result.stdout) == forest.predict(sample).tolist()


def test_content_type_overrides_the_extension(
    cli: Cli, model_dir: Path, sample: pd.DataFrame, tmp_path: Path
) -> None:
    source = tmp_path / "data.txt"
    sample.to_csv(source, index=False)
    assert cli("models", "predict", "-m", str(model_dir), "-i", str(source)).exit_code == 1
    result = cli("models", "predict", "-m", str(model_dir), "-i", str(source), "-t", "csv")
    assert result.exit_code == 0, result.output
    assert len(read_predictions(result.stdout)) == len(sample)


class Scaled(PythonModel):
    """Returns the ``x`` column, renamed ``scaled``, times the ``factor`` param."""

    def predict(
        self, context: object, model_input: pd.DataFrame, params: dict[str, float] | None = None
    ) -> pd.DataFrame:
        factor = (params or {}).get("factor", 1.0)
        return model_input[["x"]].rename(columns={"x": "scaled"}) * factor


def test_params_from_the_option_and_the_payload(cli: Cli, tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    save_pyfunc(
        tmp_path / "m",
        python_model=Scaled(),
        signature=infer_signature(frame, params={"factor": 1.0}),
    )
    source = tmp_path / "in.json"
    payload = {"dataframe_split": frame.to_dict(orient="split"), "params": {"factor": 2.0}}
    source.write_text(json.dumps(payload))
    base = ["models", "predict", "-m", str(tmp_path / "m"), "-i", str(source)]
    assert cli(*base).stdout == "scaled\n2.0\n4.0\n"
    assert cli(*base, "--params", '{"factor": 10}').stdout == "scaled\n10.0\n20.0\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--params", "{oops"], "--params is not valid JSON"),
        (["--params", "[1]"], "--params must be a JSON object"),
    ],
)
def test_bad_params_option_is_a_one_line_error(
    cli: Cli, model_dir: Path, sample: pd.DataFrame, tmp_path: Path, args: list[str], message: str
) -> None:
    source = tmp_path / "in.csv"
    sample.to_csv(source, index=False)
    result = cli("models", "predict", "-m", str(model_dir), "-i", str(source), *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {message}")
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_columns_are_a_one_line_error_naming_them(
    cli: Cli, model_dir: Path, sample: pd.DataFrame, tmp_path: Path
) -> None:
    source = tmp_path / "in.csv"
    sample.drop(columns=["petal width (cm)"]).to_csv(source, index=False)
    result = cli("models", "predict", "-m", str(model_dir), "-i", str(source))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "petal width (cm)" in result.stderr


@pytest.mark.parametrize(
    ("content", "suffix", "fragment"),
    [
        (b"{broken", ".json", "JSON"),
        (b'{"foo": []}', ".json", "exactly one of"),
        (b"not parquet", ".parquet", "Parquet"),
    ],
)
def test_unreadable_input_is_a_one_line_error(
    cli: Cli, model_dir: Path, tmp_path: Path, content: bytes, suffix: str, fragment: str
) -> None:
    source = tmp_path / f"in{suffix}"
    source.write_bytes(content)
    result = cli("models", "predict", "-m", str(model_dir), "-i", str(source))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and fragment in result.stderr


def test_unknown_model_is_a_one_line_error(cli: Cli, sample: pd.DataFrame, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    sample.to_csv(source, index=False)
    result = cli("models", "predict", "-m", str(tmp_path / "nowhere"), "-i", str(source))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "nowhere" in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def serve_process() -> Iterator[Callable[..., tuple[subprocess.Popen[bytes], str]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> tuple[subprocess.Popen[bytes], str]:
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        command = [sys.executable, "-m", "jupyter_mltrack.cli.main", "models", "serve"]
        proc = subprocess.Popen(
            [*command, *args, "--port", str(port)], env=env, stderr=subprocess.PIPE,
            start_new_session=True,
        )  # fmt: skip
        started.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(f"{url}/ping", timeout=1).status_code == 200:
                    return proc, url
            except httpx.TransportError:
                time.sleep(0.1)
        return proc, url

    yield start
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_ping_and_invocations_then_stops(
    serve_process: Callable[..., tuple[subprocess.Popen[bytes], str]],
    model_dir: Path,
    sample: pd.DataFrame,
    forest: RandomForestClassifier,
    workers: int,
) -> None:
    proc, url = serve_process("-m", str(model_dir), "--workers", str(workers))
    assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
    assert httpx.get(f"{url}/ping").status_code == 200
    payload = {"dataframe_split": sample.to_dict(orient="split")}
    for _ in range(4):  # with 2 workers, requests may land on either
        response = httpx.post(f"{url}/invocations", json=payload)
        assert response.json() == {"predictions": forest.predict(sample).tolist()}
    os.killpg(proc.pid, signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal it caught
    assert proc.wait(timeout=30) in (0, -signal.SIGTERM)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/ping", timeout=2)


def test_serve_with_a_missing_model_fails_before_listening(
    serve_process: Callable[..., tuple[subprocess.Popen[bytes], str]], tmp_path: Path
) -> None:
    proc, _ = serve_process("-m", str(tmp_path / "nowhere"))
    assert proc.wait(timeout=60) == 1
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    assert stderr.startswith("Error: ") and "nowhere" in stderr


def test_runs_uri_is_resolved_in_the_store_given_by_tracking_uri(
    cli: Cli,
    uri: str,
    model_dir: Path,
    sample: pd.DataFrame,
    forest: RandomForestClassifier,
    tmp_path: Path,
) -> None:
    from jupyter_mltrack import TrackingClient

    client = TrackingClient(uri)
    run_id = client.create_run(client.create_experiment("models")).info.run_id
    client.log_artifacts(run_id, str(model_dir), "forest")
    source = tmp_path / "in.csv"
    sample.to_csv(source, index=False)
    result = cli("models", "predict", "-m", f"runs:/{run_id}/forest", "-i", str(source))
    assert result.exit_code == 0, result.output
    assert read_predictions(result.stdout) == forest.predict(sample).tolist()
    missing = cli("models", "predict", "-m", "runs:/", "-i", str(source))
    assert missing.exit_code == 1 and "runs:/<run_id>/<artifact path>" in missing.stderr
