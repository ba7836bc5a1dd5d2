"""promote(): stage or alias moves, gated by real validation notebooks executed with papermill."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from sklearn.linear_model import LogisticRegression

import jupyter_mltrack as mlt
from jupyter_mltrack.entities import ModelStage, RunStatus
from jupyter_mltrack.errors import InvalidParameterError, ModelVersionNotFound, PromotionRejected
from jupyter_mltrack.registry import RegistryClient
from jupyter_mltrack.registry.promotion import VALIDATION_EXPERIMENT

LogClassifier = Callable[..., tuple[str, LogisticRegression]]

CHECK_ACCURACY = """\
import jupyter_mltrack as mlt
from jupyter_mltrack import pyfunc
from sklearn.datasets import load_iris

X, y = load_iris(return_X_y=True, as_frame=True)
accuracy = float((pyfunc.load_model(model_uri).predict(X) == y).mean())
mlt.log_metric("accuracy", accuracy)
mlt.log_param("min_accuracy", min_accuracy)
print("run", mlt.active_run().run_id, "expected", mltrack_run_id)
assert accuracy >= min_accuracy, f"accuracy {accuracy:.3f} is below {min_accuracy}"
"""


def write_notebook(path: Path, *cells: str) -> Path:
    """Write a notebook whose first cell is the tagged parameters cell."""
    params = new_code_cell('model_uri = ""\nmltrack_run_id = ""\nmin_accuracy = 0.5')
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[params, *(new_code_cell(c) for c in cells)])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


@pytest.fixture
def registered(client: RegistryClient, log_classifier: LogClassifier) -> RegistryClient:
    model_uri, _ = log_classifier()
    client.register_model(model_uri, "iris")
    client.register_model(model_uri, "iris")
    return client


def executed_notebook(client: RegistryClient, evidence_uri: str, tmp_path: Path) -> dict:
    run_id, _, path = evidence_uri[len("runs:/") :].partition("/")
    local = client.tracking.download_artifacts(run_id, path, tmp_path / "evidence")
    return json.loads(Path(local).read_text())


def test_passing_notebook_promotes_with_evidence_and_metrics(
    registered: RegistryClient, tmp_path: Path
) -> None:
    notebook = write_notebook(tmp_path / "check.ipynb", CHECK_ACCURACY)
    mv = registered.promote(
        "iris",
        2,
        stage="production",
        validate_with=notebook,
        parameters={"min_accuracy": 0.9},
        comment="validated",
    )
    assert mv.current_stage is ModelStage.PRODUCTION and mv.version == 2
    event = registered.get_model_version_history("iris", 2)[-1]
    assert (event.kind, event.from_value, event.to_value) == ("stage", "None", "Production")
    assert event.comment == "validated"
    assert set(event.metrics) == {"accuracy"} and event.metrics["accuracy"] > 0.9
    assert event.evidence_uri is not None
    assert event.evidence_uri.startswith("runs:/") and event.evidence_uri.endswith(
        "/validation/check.ipynb"
    )
    run_id = event.evidence_uri.split("/")[1]
    run = registered.tracking.get_run(run_id)
    assert run.info.status is RunStatus.FINISHED
    assert run.data.params == {"min_accuracy": "0.9"}
    assert run.data.metrics["accuracy"] == event.metrics["accuracy"]
    experiment = registered.tracking.get_experiment(run.info.experiment_id)
    assert experiment.name == VALIDATION_EXPERIMENT
    executed = executed_notebook(registered, event.evidence_uri, tmp_path)
    injected = "".join(executed["cells"][1]["source"])
    assert 'model_uri = "models:/iris/2"' in injected and f'"{run_id}"' in injected
    printed = "".join(executed["cells"][2]["outputs"][0]["text"])
    assert printed.strip() == f"run {run_id} expected {run_id}"


def test_failing_notebook_rejects_and_leaves_the_registry_unchanged(
    registered: RegistryClient, tmp_path: Path
) -> None:
    notebook = write_notebook(tmp_path / "strict.ipynb", CHECK_ACCURACY)
    before = registered.get_model_version("iris", 1)
    with pytest.raises(PromotionRejected, match="AssertionError") as info:
        registered.promote(
            "iris", 1, stage="Production", validate_with=notebook, parameters={"min_accuracy": 1.01}
        )
    rejected = info.value
    assert rejected.error_name == "AssertionError"
    assert rejected.error_value is not None and "is below 1.01" in rejected.error_value
    assert "was not promoted" in rejected.message
    assert registered.get_model_version("iris", 1) == before
    assert registered.get_model_version_history("iris") == []
    assert rejected.evidence_uri is not None
    executed = executed_notebook(registered, rejected.evidence_uri, tmp_path)
    errors = [
        o for c in executed["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"
    ]
    assert [e["ename"] for e in errors] == ["AssertionError"]
    run = registered.tracking.get_run(rejected.evidence_uri.split("/")[1])
    assert run.info.status is RunStatus.FAILED
    assert "accuracy" in run.data.metrics  # logged before the failing assert


def test_alias_promotion_with_a_notebook_that_raises(
    registered: RegistryClient, tmp_path: Path
) -> None:
    broken = write_notebook(tmp_path / "broken.ipynb", "raise ValueError('stale features')")
    with pytest.raises(PromotionRejected, match="ValueError: stale features") as info:
        registered.promote("iris", 2, alias="champion", validate_with=broken)
    assert info.value.error_value == "stale features"
    assert registered.get_registered_model("iris").aliases == {}
    ok = write_notebook(
        tmp_path / "ok.ipynb", "import jupyter_mltrack as mlt\nmlt.log_metric('rows', 150)"
    )
    mv = registered.promote("iris", 2, alias="champion", validate_with=ok, comment="ok")
    assert mv.aliases == ("champion",)
    event = registered.get_model_version_history("iris")[-1]
    assert (event.kind, event.alias, event.to_value) == ("alias_set", "champion", "2")
    assert event.metrics == {"rows": 150.0} and event.evidence_uri


def test_promote_without_validation(registered: RegistryClient) -> None:
    registered.promote("iris", 1, stage="Production")
    mv = registered.promote("iris", "2", stage="PRODUCTION", archive_existing_versions=True)
    assert mv.current_stage is ModelStage.PRODUCTION
    assert registered.get_model_version("iris", 1).current_stage is ModelStage.ARCHIVED
    assert registered.promote("iris", 1, alias="previous").aliases == ("previous",)
    events = registered.get_model_version_history("iris")
    assert all(e.evidence_uri is None and e.metrics == {} for e in events)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({}, InvalidParameterError, "exactly one of stage= and alias="),
        ({"stage": "Production", "alias": "champion"}, InvalidParameterError, "exactly one"),
        ({"stage": "Prod"}, InvalidParameterError, "Staging, Production"),
        ({"alias": "v1"}, InvalidParameterError, "version number"),
        ({"alias": "a", "archive_existing_versions": True}, InvalidParameterError, "only applies"),
        ({"stage": "Staging", "validate_with": "missing.ipynb"}, InvalidParameterError, "exist"),
        ({"stage": "Staging", "validate_with": "notes.txt"}, InvalidParameterError, ".ipynb"),
    ],
)
def test_bad_promotions_change_nothing(
    registered: RegistryClient, kwargs: dict, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        registered.promote("iris", 1, **kwargs)
    assert registered.get_model_version_history("iris") == []
    assert mlt.get_experiment_by_name(VALIDATION_EXPERIMENT) is None


def test_bad_parameters_and_missing_versions_run_no_notebook(
    registered: RegistryClient, tmp_path: Path
) -> None:
    notebook = write_notebook(tmp_path / "check.ipynb", CHECK_ACCURACY)
    with pytest.raises(InvalidParameterError, match="set by promote"):
        registered.promote(
            "iris", 1, stage="Staging", validate_with=notebook, parameters={"model_uri": "x"}
        )
    with pytest.raises(InvalidParameterError, match="identifiers"):
        registered.promote(
            "iris", 1, stage="Staging", validate_with=notebook, parameters={"a b": 1}
        )
    with pytest.raises(ModelVersionNotFound):
        registered.promote("iris", 9, stage="Staging", validate_with=notebook)
    assert mlt.get_experiment_by_name(VALIDATION_EXPERIMENT) is None
