"""Fluent artifact functions: files, text, dicts, figures, tables, artifact URIs."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import jupyter_mltrack as mlt
from jupyter_mltrack import TrackingClient
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.tracking import fluent


@pytest.fixture(autouse=True)
def tracking_uri(tmp_path: Path) -> Iterator[str]:
    uri = f"sqlite:///{tmp_path}/t.db"
    mlt.set_tracking_uri(uri)
    yield uri
    fluent._reset()


def read_artifact(run_id: str, path: str, dst: Path) -> bytes:
    return Path(TrackingClient().download_artifacts(run_id, path, dst)).read_bytes()


def test_get_artifact_uri_is_under_run_root() -> None:
    with mlt.start_run() as run:
        root = mlt.get_artifact_uri()
        assert root == run.info.artifact_uri
        assert mlt.get_artifact_uri("models/m1") == root.rstrip("/") + "/models/m1"
        with pytest.raises(InvalidParameterError, match="escape"):
            mlt.get_artifact_uri("../other")


def test_log_artifact_and_log_artifacts(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("A")
    (src / "sub" / "b.txt").write_text("B")
    with mlt.start_run() as run:
        mlt.log_artifact(src / "a.txt")
        mlt.log_artifact(src / "a.txt", "copies")
        mlt.log_artifacts(src, "tree")
    client = TrackingClient()
    assert [f.path for f in client.list_artifacts(run.run_id)] == ["a.txt", "copies", "tree"]
    assert [f.path for f in client.list_artifacts(run.run_id, "tree")] == ["tree/a.txt", "tree/sub"]
    assert read_artifact(run.run_id, "tree/sub/b.txt", tmp_path / "dl") == b"B"


def test_log_text_writes_utf8(tmp_path: Path) -> None:
    with mlt.start_run() as run:
        mlt.log_text("héllo", "notes/hello.txt")
    assert read_artifact(run.run_id, "notes/hello.txt", tmp_path / "dl").decode() == "héllo"


@pytest.mark.parametrize("name", ["config.json", "config.yaml", "config.yml"])
def test_log_dict_json_and_yaml(name: str, tmp_path: Path) -> None:
    config = {"lr": 0.1, "layers": [64, 32], "opt": {"name": "adam"}}
    with mlt.start_run() as run:
        mlt.log_dict(config, name)
    raw = read_artifact(run.run_id, name, tmp_path / "dl").decode()
    loaded = json.loads(raw) if name.endswith(".json") else yaml.safe_load(raw)
    assert loaded == config
    if not name.endswith(".json"):
        assert not raw.lstrip().startswith("{")


def test_log_dict_unknown_extension_is_refused_before_a_run_starts() -> None:
    with pytest.raises(InvalidParameterError, match=r"\.json"):
        mlt.log_dict({"a": 1}, "config.toml")
    assert mlt.active_run() is None


def test_log_table_parquet_and_json(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"y": [0, 1, 1], "p": [0.1, 0.8, 0.6]})
    with mlt.start_run() as run:
        mlt.log_table(frame, "eval/preds.parquet")
        mlt.log_table({"a": [1, 2]}, "eval/small.json")
    back = pd.read_parquet(io.BytesIO(read_artifact(run.run_id, "eval/preds.parquet", tmp_path)))
    pd.testing.assert_frame_equal(back, frame)
    small = json.loads(read_artifact(run.run_id, "eval/small.json", tmp_path / "j"))
    assert small["columns"] == ["a"] and small["data"] == [[1], [2]]


def test_log_figure_matplotlib_png(tmp_path: Path) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [3, 1, 2])
    with mlt.start_run() as run:
        mlt.log_figure(fig, "plots/curve.png")
    plt.close(fig)
    data = read_artifact(run.run_id, "plots/curve.png", tmp_path / "dl")
    assert data.startswith(b"\x89PNG\r\n\x1a\n")


def test_log_figure_plotly_html(tmp_path: Path) -> None:
    go = pytest.importorskip("plotly.graph_objects")
    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]))
    with mlt.start_run() as run:
        mlt.log_figure(fig, "plots/curve.html")
    html = read_artifact(run.run_id, "plots/curve.html", tmp_path / "dl").decode()
    assert "<html>" in html and "plotly" in html.lower()
