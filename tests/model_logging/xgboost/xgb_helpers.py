"""Small, fast XGBoost trainings shared by the xgboost flavor and autolog tests."""

from __future__ import annotations

import os
from typing import Any

import pandas as pd
import pytest

if os.environ.get("CI") == "true":
    import xgboost  # the dev extra installs it: in CI a missing xgboost is a failure
else:
    xgboost = pytest.importorskip("xgboost")

__all__ = ["booster", "classifier", "iris", "xgboost"]


@pytest.fixture
def iris() -> tuple[pd.DataFrame, pd.Series]:
    from sklearn.datasets import load_iris

    features, target = load_iris(return_X_y=True, as_frame=True)
    return features, target


@pytest.fixture
def booster(iris: tuple[pd.DataFrame, pd.Series]) -> Any:
    params = {"objective": "multi:softprob", "num_class": 3, "max_depth": 2, "nthread": 1}
    return xgboost.train(params, xgboost.DMatrix(*iris), num_boost_round=5)


@pytest.fixture
def classifier(iris: tuple[pd.DataFrame, pd.Series]) -> Any:
    return xgboost.XGBClassifier(n_estimators=5, max_depth=2, n_jobs=1).fit(*iris)
