"""Artifact content serialisation: assert on the real bytes each format produces."""

from __future__ import annotations

import importlib.util
import io
import json
import re
import subprocess
import sys
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
import yaml
from matplotlib.figure import Figure

from jupyter_mltrack.errors import InvalidParameterError, MissingDependencyError
from jupyter_mltrack.tracking.artifact_content import (
    dict_bytes,
    figure_bytes,
    table_bytes,
    text_bytes,
)

CONFIG = {"model": "rf", "depth": 3, "lr": 0.1, "layers": [64, 32], "opt": {"name": "adam"}}
MAGIC = {
    "png": b"\x89PNG\r\n\x1a\n",
    "jpg": b"\xff\xd8\xff",
    "jpeg": b"\xff\xd8\xff",
    "svg": b"<?xml",
    "pdf": b"%PDF-",
}


def matplotlib_figure() -> Figure:
    figure = Figure(figsize=(2, 2))
    figure.add_subplot().plot([0, 1, 2], [2, 0, 1])
    return figure


def plotly_figure() -> go.Figure:
    return go.Figure(go.Scatter(x=[1, 2, 3], y=[4, 1, 2], name="loss"))


def frame() -> pd.DataFrame:
    return pd.DataFrame({"id": [1, 2, 3], "label": ["cat", "dog", "ému"], "p": [0.5, 0.25, 1.0]})


# -- text ----------------------------------------------------------------------------------------
def test_text_bytes_is_utf8() -> None:
    assert text_bytes("naïve ✓\n") == "naïve ✓\n".encode()


def test_text_bytes_refuses_non_strings() -> None:
    with pytest.raises(InvalidParameterError, match="needs a str, got bytes"):
        text_bytes(b"raw")  # type: ignore[arg-type]


# -- dict ----------------------------------------------------------------------------------------
def test_dict_to_indented_json_round_trips() -> None:
    data = dict_bytes(CONFIG, "config.json")
    assert data.startswith(b'{\n  "model": "rf"')
    assert json.loads(data) == CONFIG


@pytest.mark.parametrize("name", ["config.yaml", "dir/config.yml", "CONFIG.YAML"])
def test_dict_to_yaml_round_trips_in_key_order(name: str) -> None:
    data = dict_bytes({"zeta": 1, **CONFIG, "text": "héllo"}, name)
    assert yaml.safe_load(data) == {"zeta": 1, **CONFIG, "text": "héllo"}
    assert data.startswith(b"zeta: 1\nmodel: rf\n")
    assert "héllo".encode() in data


@pytest.mark.parametrize("name", ["out.json", "out.yaml"])
def test_dict_numpy_values_and_tuples_become_plain(name: str) -> None:
    obj = {"acc": np.float32(0.5), "n": np.int64(3), "w": np.arange(3), "shape": (2, 3)}
    text = dict_bytes(obj, name)
    loaded = json.loads(text) if name.endswith("json") else yaml.safe_load(text)
    assert loaded == {"acc": 0.5, "n": 3, "w": [0, 1, 2], "shape": [2, 3]}


@pytest.mark.parametrize("name", ["config.txt", "config.toml", "config", "config.json.gz"])
def test_dict_unsupported_extension_lists_the_supported_ones(name: str) -> None:
    with pytest.raises(InvalidParameterError, match=r"\.json, \.yaml, \.yml"):
        dict_bytes(CONFIG, name)


@pytest.mark.parametrize("name", ["bad.json", "bad.yaml"])
def test_dict_unserialisable_value_names_its_type_and_place(name: str) -> None:
    with pytest.raises(InvalidParameterError, match=r"at 'opt\.when' of type datetime"):
        dict_bytes({"opt": {"when": pd.Timestamp("2024-01-01").to_pydatetime()}}, name)
    with pytest.raises(InvalidParameterError, match=r"at 'items\.1' of type set"):
        dict_bytes({"items": [1, {2}]}, name)


def test_dict_refuses_unserialisable_keys_and_non_mappings() -> None:
    with pytest.raises(InvalidParameterError, match=r"key .* of type tuple"):
        dict_bytes({(1, 2): "pair"}, "x.json")  # type: ignore[dict-item]
    with pytest.raises(InvalidParameterError, match="needs a mapping, got list"):
        dict_bytes([1, 2], "x.json")  # type: ignore[arg-type]


# -- figures -------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", sorted(MAGIC))
def test_matplotlib_figure_in_each_format(fmt: str) -> None:
    assert figure_bytes(matplotlib_figure(), f"plots/curve.{fmt}").startswith(MAGIC[fmt])


def test_matplotlib_subclass_counts_as_a_figure() -> None:
    class MyFigure(Figure):
        pass

    figure = MyFigure()
    figure.add_subplot().plot([1, 2])
    assert figure_bytes(figure, "x.png").startswith(MAGIC["png"])


def test_matplotlib_unsupported_extension() -> None:
    with pytest.raises(InvalidParameterError, match=r"\.png, \.jpg, \.jpeg, \.svg, \.pdf"):
        figure_bytes(matplotlib_figure(), "x.html")


def test_plotly_figure_to_a_light_html_page() -> None:
    html = figure_bytes(plotly_figure(), "loss.html")
    assert b"<html>" in html[:100]
    assert html.rstrip().endswith(b"</html>")
    # plotly.js comes from plotly's CDN (as MLflow's log_figure does), not a 4.6 MB copy per file
    sources = re.findall(rb'<script[^>]*src="([^"]+)"', html)
    assert len(sources) == 1 and sources[0].startswith(b"https://cdn.plot.ly/plotly-")
    assert len(html) < 100_000
    assert b"mltrack-offline-note" in html  # says so when opened without internet


def test_plotly_figure_to_json_loads_back() -> None:
    loaded = json.loads(figure_bytes(plotly_figure(), "loss.json"))
    assert loaded["data"][0]["name"] == "loss"
    assert go.Figure(loaded).data[0].y == (4, 1, 2)


@pytest.mark.skipif(importlib.util.find_spec("kaleido") is not None, reason="kaleido installed")
def test_plotly_image_without_kaleido_names_the_package() -> None:
    with pytest.raises(MissingDependencyError, match="kaleido") as info:
        figure_bytes(plotly_figure(), "loss.png")
    assert info.value.package == "kaleido"


def test_plotly_unsupported_extension() -> None:
    with pytest.raises(InvalidParameterError, match=r"log_figure \(plotly\) cannot write 'x\.gif'"):
        figure_bytes(plotly_figure(), "x.gif")


@pytest.mark.parametrize("thing", [object(), {"data": []}, "figure", None])
def test_non_figures_are_refused_with_their_type(thing: Any) -> None:
    with pytest.raises(InvalidParameterError, match="needs a matplotlib or plotly Figure, got"):
        figure_bytes(thing, "x.png")


def test_non_figures_import_no_plotting_library() -> None:
    code = (
        "import sys\n"
        "from jupyter_mltrack.tracking.artifact_content import figure_bytes\n"
        "try:\n    figure_bytes(object(), 'x.png')\nexcept ValueError:\n    pass\n"
        "heavy = {'matplotlib', 'plotly', 'pandas'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- tables --------------------------------------------------------------------------------------
def test_table_json_is_mlflow_split_format() -> None:
    data = json.loads(table_bytes(frame(), "eval/table.json"))
    assert data == {
        "columns": ["id", "label", "p"],
        "data": [[1, "cat", 0.5], [2, "dog", 0.25], [3, "ému", 1.0]],
    }


def test_table_from_a_dict_of_columns() -> None:
    data = table_bytes(
        {"id": [1, 2, 3], "label": ["cat", "dog", "ému"], "p": [0.5, 0.25, 1.0]}, "t.json"
    )
    assert data == table_bytes(frame(), "t.json")


def test_table_parquet_round_trips() -> None:
    if importlib.util.find_spec("pyarrow") is None:
        pytest.skip("pyarrow is not installed")
    data = table_bytes(frame(), "t.parquet")
    assert data[:4] == b"PAR1"
    pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(data)), frame())


def test_table_csv_round_trips() -> None:
    data = table_bytes(frame(), "t.csv")
    assert data.startswith(b"id,label,p\n1,cat,0.5\n")
    pd.testing.assert_frame_equal(pd.read_csv(io.BytesIO(data)), frame(), check_dtype=False)


def test_table_index_is_not_written() -> None:
    indexed = frame().set_index("label")
    assert json.loads(table_bytes(indexed, "t.json"))["columns"] == ["id", "p"]


@pytest.mark.parametrize("name", ["t.xlsx", "t.tsv", "t"])
def test_table_unsupported_extension(name: str) -> None:
    with pytest.raises(InvalidParameterError, match=r"\.json, \.parquet, \.csv"):
        table_bytes(frame(), name)


def test_table_refuses_non_tables_and_ragged_columns() -> None:
    with pytest.raises(InvalidParameterError, match="DataFrame or a dict of columns, got list"):
        table_bytes([[1, 2]], "t.json")
    with pytest.raises(InvalidParameterError, match="could not build a table"):
        table_bytes({"a": [1, 2], "b": [1]}, "t.json")
