"""``mltrack models list|describe|versions|register|promote|alias|history`` on a SQLite store."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from click.testing import Result
from nbformat.v4 import new_code_cell, new_notebook
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import jupyter_mltrack as mlt
from jupyter_mltrack import sklearn as mlt_sklearn
from jupyter_mltrack.entities import ModelStage
from jupyter_mltrack.registry import RegistryClient

Cli = Callable[..., Result]


@pytest.fixture
def model_uri(uri: str) -> str:
    """A real sklearn model logged to a run of the CLI's store."""
    mlt.set_tracking_uri(uri)
    X, y = load_iris(return_X_y=True, as_frame=True)
    with mlt.start_run():
        info = mlt_sklearn.log_model(LogisticRegression(max_iter=500).fit(X, y), "model")
    return info.model_uri


def test_register_list_versions_and_describe(cli: Cli, model_uri: str, uri: str) -> None:
    result = cli("models", "register", model_uri, "iris", "--tag", "data=v1")
    assert result.exit_code == 0, result.output
    assert result.output == f"Registered 'iris' version 1 from {model_uri}\n"
    assert cli("models", "register", model_uri, "iris").exit_code == 0
    listed = cli("models", "list")
    assert listed.output.splitlines()[0].split() == [
        "NAME",
        "LATEST",
        "STAGES",
        "ALIASES",
        "UPDATED",
    ]
    assert listed.output.splitlines()[1].split()[:2] == ["iris", "2"]
    assert json.loads(cli("models", "list", "--format", "json").output)[0]["name"] == "iris"
    versions = cli("models", "versions", "iris").output.splitlines()
    assert versions[0].split()[:4] == ["VERSION", "STAGE", "ALIASES", "FLAVORS"]
    assert [line.split()[0] for line in versions[1:]] == ["1", "2"]
    assert "python_function,sklearn" in versions[1]
    as_json = json.loads(cli("models", "versions", "iris", "--format", "json").output)
    assert [v["version"] for v in as_json] == ["1", "2"]
    assert as_json[0]["tags"] == [{"key": "data", "value": "v1"}]
    RegistryClient(uri).update_registered_model("iris", "# Iris\nA *classifier*.")
    described = cli("models", "describe", "iris").output
    assert "Name:        iris" in described and "  # Iris" in described
    assert "VERSION" in described and model_uri in described
    described_json = json.loads(cli("models", "describe", "iris", "--format", "json").output)
    assert [v["version"] for v in described_json["versions"]] == ["1", "2"]


def test_promote_alias_and_history(cli: Cli, model_uri: str, uri: str) -> None:
    for _ in range(2):
        cli("models", "register", model_uri, "iris")
    out = cli("models", "promote", "iris", "1", "--stage", "production", "--comment", "go")
    assert out.output == "Promoted 'iris' version 1 to stage Production\n"
    out = cli("models", "promote", "iris", "2", "--stage", "Production", "--archive-existing")
    assert out.exit_code == 0
    client = RegistryClient(uri)
    assert client.get_model_version("iris", 1).current_stage is ModelStage.ARCHIVED
    assert cli("models", "alias", "iris", "champion", "2").output == (
        "Alias @champion of 'iris' now points at version 2\n"
    )
    out = cli("models", "promote", "iris", "1", "--alias", "previous")
    assert out.output == "Promoted 'iris' version 1 to alias @previous\n"
    assert client.get_registered_model("iris").aliases == {"champion": 2, "previous": 1}
    history = cli("models", "history", "iris").output.splitlines()
    assert history[0].split()[:4] == ["TIME", "VERSION", "CHANGE", "FROM"]
    assert len(history) == 1 + 5  # 3 stage moves (one archiving) + 2 aliases
    assert "go" in history[1]
    only_v2 = json.loads(
        cli("models", "history", "iris", "--version", "2", "--format", "json").output
    )
    assert [(e["kind"], e["to"]) for e in only_v2] == [("stage", "Production"), ("alias_set", "2")]
    assert cli("models", "list").output.splitlines()[1].split()[3] == "@champion:v2,@previous:v1"


def test_promote_with_a_validation_notebook(cli: Cli, model_uri: str, tmp_path: Path) -> None:
    cli("models", "register", model_uri, "iris")
    params = new_code_cell("model_uri = ''\nthreshold = 0.0")
    params.metadata["tags"] = ["parameters"]
    check = new_code_cell(
        "import jupyter_mltrack as mlt\n"
        "from jupyter_mltrack import pyfunc\n"
        "from sklearn.datasets import load_iris\n"
        "X, y = load_iris(return_X_y=True, as_frame=True)\n"
        "acc = float((pyfunc.load_model(model_uri).predict(X) == y).mean())\n"
        "mlt.log_metric('acc', acc)\n"
        "assert acc > threshold, 'too weak'"
    )
    nbformat.write(new_notebook(cells=[params, check]), tmp_path / "check.ipynb")
    base = ["models", "promote", "iris", "1", "--stage", "Staging"]
    failed = cli(*base, "--validate-with", str(tmp_path / "check.ipynb"), "-p", "threshold=1.5")
    assert failed.exit_code == 1
    assert failed.stderr.startswith("Error: Validation notebook 'check.ipynb' failed")
    assert "AssertionError: too weak" in failed.stderr and len(failed.stderr.splitlines()) == 1
    assert cli("models", "history", "iris").output == "No stage transitions or alias moves yet.\n"
    passed = cli(*base, "--validate-with", str(tmp_path / "check.ipynb"), "-p", "threshold=0.9")
    assert passed.output == "Promoted 'iris' version 1 to stage Staging after validation\n"
    event = json.loads(cli("models", "history", "iris", "--format", "json").output)[0]
    assert event["to"] == "Staging" and event["metrics"]["acc"] > 0.9
    assert event["evidence_uri"].endswith("/validation/check.ipynb")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["models", "describe", "ghost"], "Error: Registered model 'ghost'"),
        (["models", "versions", "ghost"], "Error: Registered model 'ghost'"),
        (["models", "history", "ghost"], "Error: Registered model 'ghost'"),
        (["models", "promote", "iris", "1", "--stage", "prod"], "use one of: None, Staging"),
        (["models", "promote", "iris", "1"], "exactly one of stage= and alias="),
        (["models", "promote", "iris", "7", "--stage", "Staging"], "Error: Model version 7"),
        (["models", "alias", "iris", "latest", "1"], "looks like a version number or 'latest'"),
        (["models", "alias", "iris", "champion", "one"], "positive integer"),
        (["models", "register", "/no/such/model", "iris"], "Error: No model at"),
    ],
)
def test_errors_are_one_line_with_exit_code_1(
    cli: Cli, model_uri: str, args: list[str], message: str
) -> None:
    cli("models", "register", model_uri, "iris")
    result = cli(*args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_empty_registry(cli: Cli) -> None:
    assert cli("models", "list").output == "No registered models.\n"
    assert cli("models", "list", "--format", "json").output == "[]\n"
