"""evaluate() refuses bad input with InvalidParameterError before logging anything."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import jupyter_mltrack as mlt
from jupyter_mltrack.errors import InvalidParameterError

FEATURES = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
LABELS = np.array([0, 0, 1, 1])
CLASSIFIER = LogisticRegression().fit(FEATURES, LABELS)


class NoPredict:
    """Has neither predict nor anything else evaluate could use."""


class WideOutput:
    """Returns two predictions per row."""

    def predict(self, data: Any) -> np.ndarray:
        return np.zeros((len(data), 2))


class Constant:
    """Predicts class 1 for every row."""

    def predict(self, data: Any) -> np.ndarray:
        return np.ones(len(data), dtype=int)


CASES = [
    ({"model_type": "ranker"}, "Unknown model_type 'ranker'"),
    ({"evaluators": "shap"}, "only the built-in 'default' evaluator"),
    ({"evaluators": ["default", "shap"]}, "only the built-in 'default' evaluator"),
    ({"targets": "label"}, r"targets column 'label' is not in data; its columns are \['a', 'b'\]"),
    ({"targets": [0, 1]}, "targets has 2 labels but data has 4 rows"),
    ({"targets": np.zeros((4, 2))}, r"one label per row \(1-D\)"),
    ({"targets": [0, None, 1, 1]}, "missing values"),
    ({"data": FEATURES.to_numpy(), "targets": "a"}, "names a column, but data is a numpy"),
    ({"data": "a.csv"}, "DataFrame or numpy array, got str"),
    ({"model": NoPredict()}, "object with a predict method, got NoPredict"),
    ({"model": WideOutput()}, r"predictions of shape \(4, 2\)"),
    ({"targets": [1, 1, 1, 1], "model": Constant()}, r"two classes .* found only \[1\]"),
    ({"targets": ["x", "x", "y", "y"]}, "targets are strings, predictions are numbers"),
    ({"targets": ["x", "x", "y", "y"], "model_type": "regressor"}, "must be numbers"),
    ({"targets": [0.0, np.inf, 1.0, 1.0], "model_type": "regressor"}, "NaN or infinite"),
    ({"dataset_name": "../outside"}, "escape the run's artifact root"),
]


@pytest.mark.parametrize(("change", "message"), CASES)
def test_bad_input_is_refused_and_nothing_is_logged(change: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"model": CLASSIFIER, "data": FEATURES, "targets": LABELS}
    arguments.update(change)
    with pytest.raises(InvalidParameterError, match=message):
        mlt.evaluate(
            arguments.pop("model"), arguments.pop("data"), arguments.pop("targets"), **arguments
        )
    assert mlt.active_run() is None  # no run was started for a refused call


def test_options_are_checked_before_the_model_uri_is_loaded() -> None:
    with pytest.raises(InvalidParameterError, match="Unknown model_type"):
        mlt.evaluate(
            "runs:/0123456789abcdef0123456789abcdef/model", FEATURES, LABELS, model_type="x"
        )
