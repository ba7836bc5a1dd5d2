"""Fixtures of the registry tests: a SQLite store, real sklearn models logged to runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import jupyter_mltrack as mlt
from jupyter_mltrack import sklearn as mlt_sklearn
from jupyter_mltrack.registry import RegistryClient


@pytest.fixture
def uri(tmp_path: Path) -> Iterator[str]:
    """A fresh SQLite store, also set as the process's tracking URI (models:/ URIs use it)."""
    store_uri = f"sqlite:///{tmp_path}/registry.db"
    mlt.set_tracking_uri(store_uri)
    yield store_uri
    while mlt.active_run() is not None:
        mlt.end_run()


@pytest.fixture
def client(uri: str) -> RegistryClient:
    return RegistryClient(uri)


@pytest.fixture(scope="session")
def iris() -> tuple[pd.DataFrame, pd.Series]:
    return load_iris(return_X_y=True, as_frame=True)


@pytest.fixture(scope="session")
def classifier(iris: tuple[pd.DataFrame, pd.Series]) -> LogisticRegression:
    return LogisticRegression(max_iter=500).fit(*iris)


@pytest.fixture
def log_classifier(
    uri: str, iris: tuple[pd.DataFrame, pd.Series]
) -> Callable[..., tuple[str, LogisticRegression]]:
    """Return ``log(C=1.0, experiment=None) -> (runs:/ URI, fitted model)``, each in a new run."""

    def log(c: float = 1.0, experiment: str | None = None) -> tuple[str, LogisticRegression]:
        model = LogisticRegression(C=c, max_iter=500).fit(*iris)
        if experiment is not None:
            mlt.set_experiment(experiment)
        with mlt.start_run():
            info = mlt_sklearn.log_model(model, "model", input_example=iris[0][:3])
        return info.model_uri, model

    return log
