"""The project format: mltrack.yaml, inferred entry points, typed parameter validation."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_mltrack.cli.main import main
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.projects import load_project, validate_parameters

YAML = """\
name: demo
entry_points:
  main:
    notebook: train.ipynb
    parameters:
      epochs: {type: int, default: 3, description: Passes over the data}
      alpha: {type: float, default: 0.5}
      fast: {type: bool, default: false}
      layers: {type: list, default: [8, 4]}
      opts: {type: dict, default: {a: 1}}
      data: {type: path, default: data.csv}
      label: {type: string, default: x}
environment:
  requirements: requirements.txt
kernel: python3
"""


def write_notebook(path: Path, parameters: str | None, *body: str) -> Path:
    """Write a notebook with an optional ``parameters``-tagged cell followed by ``body``."""
    cells = []
    if parameters is not None:
        cell = new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        cells.append(cell)
    cells.extend(new_code_cell(src) for src in body)
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "mltrack.yaml").write_text(YAML)
    (root / "data.csv").write_text("a\n1\n")
    (root / "requirements.txt").write_text("numpy\n")
    write_notebook(root / "train.ipynb", "epochs = 1")
    return root


def test_yaml_project_is_loaded_with_typed_parameters(project: Path) -> None:
    spec = load_project(project)
    assert spec.name == "demo"
    assert spec.root == str(project.resolve())
    assert spec.kernel == "python3"
    assert spec.environment == {"requirements": "requirements.txt"}
    entry = spec.entry_points["main"]
    assert entry.notebook == str((project / "train.ipynb").resolve())
    types = {name: p.type for name, p in entry.parameters.items()}
    assert types == {
        "epochs": "int", "alpha": "float", "fast": "bool", "layers": "list",
        "opts": "dict", "data": "path", "label": "string",
    }  # fmt: skip
    assert entry.parameters["epochs"].description == "Passes over the data"


def test_validate_parameters_types_defaults_and_paths(project: Path) -> None:
    entry = load_project(project).entry_points["main"]
    final = validate_parameters(
        entry,
        {"epochs": "7", "alpha": "1e-3", "fast": "true", "layers": "[1, 2]", "opts": '{"b": 2}'},
    )
    assert final == {
        "epochs": 7,
        "alpha": 0.001,
        "fast": True,
        "layers": [1, 2],
        "opts": {"b": 2},
        "data": str((project / "data.csv").resolve()),
        "label": "x",
    }
    assert validate_parameters(entry, {"layers": "3,4"})["layers"] == [3, 4]


def test_unknown_parameter_lists_the_declared_ones(project: Path) -> None:
    entry = load_project(project).entry_points["main"]
    with pytest.raises(InvalidParameterError, match=r"'epoch'.*declared parameters: alpha, data"):
        validate_parameters(entry, {"epoch": 3})


@pytest.mark.parametrize(
    ("name", "value"),
    [("epochs", "three"), ("alpha", "fast"), ("fast", "maybe"), ("opts", "[1]"), ("epochs", 1.5)],
)
def test_value_of_the_wrong_type_names_the_parameter(
    project: Path, name: str, value: object
) -> None:
    entry = load_project(project).entry_points["main"]
    with pytest.raises(InvalidParameterError, match=f"Parameter '{name}' must be of type"):
        validate_parameters(entry, {name: value})


def test_missing_path_is_rejected(project: Path) -> None:
    entry = load_project(project).entry_points["main"]
    with pytest.raises(InvalidParameterError, match=r"path .*nope\.csv.* does not exist"):
        validate_parameters(entry, {"data": "nope.csv"})


def test_inferred_entry_points_from_parameters_cells(tmp_path: Path) -> None:
    write_notebook(
        tmp_path / "train.ipynb",
        "lr = 0.1  # learning rate\nepochs = 5\nname = 'm'\nuse_gpu = False\n"
        "sizes = [1, 2]\ncfg = {'k': 1}\nderived = lr * 2\n",
        "print(lr)",
    )
    write_notebook(tmp_path / "plain.ipynb", None, "print(1)")
    spec = load_project(tmp_path)
    assert spec.name == tmp_path.name
    assert sorted(spec.entry_points) == ["plain", "train"]
    params = spec.entry_points["train"].parameters
    assert {n: (p.type, p.default) for n, p in params.items()} == {
        "lr": ("float", 0.1),
        "epochs": ("int", 5),
        "name": ("string", "m"),
        "use_gpu": ("bool", False),
        "sizes": ("list", [1, 2]),
        "cfg": ("dict", {"k": 1}),
    }
    assert params["lr"].description == "learning rate"
    assert spec.entry_points["plain"].parameters == {}


def test_project_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match="does not exist"):
        load_project(tmp_path / "missing")
    with pytest.raises(InvalidParameterError, match=r"no mltrack\.yaml and no \.ipynb"):
        load_project(tmp_path)
    (tmp_path / "mltrack.yaml").write_text("entry_points:\n  main:\n    notebook: a.ipynb\n")
    with pytest.raises(InvalidParameterError, match=r"not an existing \.ipynb"):
        load_project(tmp_path)
    write_notebook(tmp_path / "a.ipynb", None)
    (tmp_path / "mltrack.yaml").write_text(
        "entry_points:\n  main:\n    notebook: a.ipynb\n    parameters:\n"
        "      x: {type: complex, default: 1}\n"
    )
    with pytest.raises(InvalidParameterError, match="unknown type 'complex'"):
        load_project(tmp_path)


def test_entry_point_lookup_lists_known_ones(project: Path) -> None:
    with pytest.raises(InvalidParameterError, match="no entry point 'eval'; entry points: main"):
        load_project(project).entry_point("eval")


def test_cli_projects_describe(project: Path) -> None:
    result = CliRunner().invoke(main, ["projects", "describe", str(project)])
    assert result.exit_code == 0, result.output
    assert "demo" in result.output
    assert "main" in result.output and "train.ipynb" in result.output
    assert (
        "epochs" in result.output
        and "int" in result.output
        and "Passes over the data" in (result.output)
    )
    assert "requirements.txt" in result.output


def test_cli_projects_describe_missing_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["projects", "describe", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "does not exist" in result.output


def test_widget_state_is_stripped_and_plain_html_renders() -> None:
    from nbformat.v4 import new_output

    from jupyter_mltrack.projects.render import _plain_html, strip_widgets

    cell = new_code_cell("w")
    cell.outputs = [
        new_output(
            "display_data",
            data={"application/vnd.jupyter.widget-view+json": {"model_id": "1"}},
        ),
        new_output("error", ename="ValueError", evalue="bad <x>", traceback=["\x1b[31mboom"]),
    ]
    nb = new_notebook(cells=[cell])
    nb.metadata["widgets"] = {"state": {"1": {}}}
    strip_widgets(nb)
    assert "widgets" not in nb.metadata
    assert nb.cells[0].outputs[0]["data"] == {"text/plain": "[widget]"}
    page = _plain_html(nb)
    assert "<pre>w</pre>" in page and "boom" in page and "\x1b" not in page
