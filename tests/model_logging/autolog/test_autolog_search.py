"""scikit-learn autologging of GridSearchCV/RandomizedSearchCV: parent run and child runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

import jupyter_mltrack as mlt
import jupyter_mltrack.sklearn as mlt_sklearn
from jupyter_mltrack.entities import Run
from jupyter_mltrack.tracking.tags import PARENT_RUN_ID


@pytest.fixture(autouse=True)
def _store(tmp_path: Path) -> Iterator[None]:
    mlt.set_tracking_uri(f"sqlite:///{tmp_path}/t.db")
    yield
    mlt_sklearn.autolog(disable=True)


def split_runs() -> tuple[list[Run], list[Run]]:
    found = mlt.search_runs(output_format="list")
    parents = [r for r in found if PARENT_RUN_ID not in r.data.tags]
    children = [r for r in found if PARENT_RUN_ID in r.data.tags]
    return parents, children


def test_grid_search_creates_parent_and_one_child_per_candidate() -> None:
    X, y = load_iris(return_X_y=True)
    mlt_sklearn.autolog(log_models=False)
    grid = {"C": [0.1, 1.0, 10.0], "fit_intercept": [True, False]}
    search = GridSearchCV(LogisticRegression(max_iter=500), grid, cv=3).fit(X, y)
    (parent,), children = split_runs()
    assert len(children) == 6
    assert all(c.data.tags[PARENT_RUN_ID] == parent.info.run_id for c in children)
    assert all(c.info.status.value == "FINISHED" for c in children)
    assert parent.info.status.value == "FINISHED"
    assert parent.data.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    assert parent.data.params["best_C"] == str(search.best_params_["C"])
    assert parent.data.params["cv"] == "3"
    assert "training_accuracy_score" in parent.data.metrics
    results = search.cv_results_
    by_params = {
        (c.data.params["C"], c.data.params["fit_intercept"]): c.data.metrics for c in children
    }
    for index, params in enumerate(results["params"]):
        metrics = by_params[(str(params["C"]), str(params["fit_intercept"]))]
        assert metrics["mean_test_score"] == pytest.approx(results["mean_test_score"][index])
        assert metrics["std_test_score"] == pytest.approx(results["std_test_score"][index])
        assert metrics["rank_test_score"] == results["rank_test_score"][index]
        assert not any(key.startswith(("split", "param")) for key in metrics)
    assert all(c.data.params["max_iter"] == "500" for c in children)


def test_randomized_search_with_pipeline_and_max_tuning_runs() -> None:
    X, y = load_iris(return_X_y=True)
    mlt_sklearn.autolog(log_models=False, max_tuning_runs=2)
    pipe = make_pipeline(StandardScaler(), DecisionTreeClassifier(random_state=0))
    space = {"decisiontreeclassifier__max_depth": [1, 2, 3, 4, 5]}
    search = RandomizedSearchCV(pipe, space, n_iter=4, cv=3, random_state=0).fit(X, y)
    (parent,), children = split_runs()
    assert len(children) == 2
    best_ranks = sorted(search.cv_results_["rank_test_score"])[:2]
    assert sorted(c.data.metrics["rank_test_score"] for c in children) == best_ranks
    assert "best_decisiontreeclassifier__max_depth" in parent.data.params


def test_search_logs_model_and_best_estimator() -> None:
    X, y = load_iris(return_X_y=True)
    mlt_sklearn.autolog()
    search = GridSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [1, 3]}, cv=3)
    search.fit(X, y)
    (parent,), _ = split_runs()
    best = mlt_sklearn.load_model(f"runs:/{parent.info.run_id}/best_estimator")
    assert best.get_params() == search.best_estimator_.get_params()


def test_search_inside_active_run_nests_children_under_it() -> None:
    X, y = load_iris(return_X_y=True)
    mlt_sklearn.autolog(log_models=False)
    with mlt.start_run() as outer:
        GridSearchCV(DecisionTreeClassifier(), {"max_depth": [1, 2]}, cv=2).fit(X, y)
    (parent,), children = split_runs()
    assert parent.info.run_id == outer.run_id
    assert len(children) == 2


def test_threaded_search_workers_create_no_runs() -> None:
    from joblib import parallel_backend

    X, y = load_iris(return_X_y=True)
    mlt_sklearn.autolog(log_models=False)
    search = GridSearchCV(DecisionTreeClassifier(), {"max_depth": [1, 2, 3]}, cv=3, n_jobs=2)
    with parallel_backend("threading", n_jobs=2):
        search.fit(X, y)
    parents, children = split_runs()
    assert len(parents) == 1
    assert len(children) == 3
