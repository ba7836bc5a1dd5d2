"""LightGBM models move both ways between jupyter_mltrack and the real MLflow 3.17.2."""

from __future__ import annotations

import os
import textwrap

import numpy as np
import pytest
from sklearn.datasets import load_iris

from jupyter_mltrack import pyfunc

if os.environ.get("CI") == "true":
    import lightgbm as lgb
else:
    lgb = pytest.importorskip("lightgbm")

import jupyter_mltrack.lightgbm as mlt_lgb

pytestmark = pytest.mark.slow

PARAMS = {"objective": "multiclass", "num_class": 3, "verbose": -1, "seed": 0}


def test_models_saved_here_load_in_mlflow(tmp_path, run_mlflow):
    features, target = load_iris(return_X_y=True, as_frame=True)
    booster = lgb.train(PARAMS, lgb.Dataset(features, target), num_boost_round=8)
    estimator = lgb.LGBMRegressor(n_estimators=8, verbose=-1).fit(features, target)
    mlt_lgb.save_model(booster, tmp_path / "ours_booster", input_example=features[:3])
    for fmt in ("skops", "cloudpickle"):
        mlt_lgb.save_model(estimator, tmp_path / f"ours_{fmt}", serialization_format=fmt)
    features.to_csv(tmp_path / "input.csv", index=False)
    run_mlflow(
        textwrap.dedent(
            """
            import numpy as np, pandas as pd, lightgbm, mlflow.pyfunc, mlflow.lightgbm
            data = pd.read_csv("input.csv")
            for name in ("booster", "skops", "cloudpickle"):
                native = mlflow.lightgbm.load_model(f"ours_{name}")
                kind = "booster" if isinstance(native, lightgbm.Booster) else "estimator"
                np.save(f"native_{name}_{kind}.npy", native.predict(data))
                by_pyfunc = mlflow.pyfunc.load_model(f"ours_{name}").predict(data)
                np.save(f"pyfunc_{name}.npy", by_pyfunc)
            """
        )
    )
    expected = {"booster": booster.predict(features)}
    expected |= dict.fromkeys(("skops", "cloudpickle"), estimator.predict(features))
    for name, values in expected.items():
        kind = "booster" if name == "booster" else "estimator"
        np.testing.assert_allclose(np.load(tmp_path / f"native_{name}_{kind}.npy"), values)
        np.testing.assert_allclose(np.load(tmp_path / f"pyfunc_{name}.npy"), values)


def test_models_saved_by_mlflow_load_here(tmp_path, run_mlflow):
    run_mlflow(
        textwrap.dedent(
            """
            import numpy as np, lightgbm as lgb, mlflow.lightgbm
            from sklearn.datasets import load_iris
            X, y = load_iris(return_X_y=True, as_frame=True)
            params = {"objective": "multiclass", "num_class": 3, "verbose": -1, "seed": 0}
            booster = lgb.train(params, lgb.Dataset(X, y), num_boost_round=8)
            clf = lgb.LGBMClassifier(n_estimators=8, verbose=-1).fit(X, y)
            mlflow.lightgbm.save_model(booster, "theirs_booster", input_example=X[:3])
            mlflow.lightgbm.save_model(clf, "theirs_skops", input_example=X[:3])
            mlflow.lightgbm.save_model(
                clf, "theirs_cloudpickle", serialization_format="cloudpickle"
            )
            np.save("booster.npy", booster.predict(X))
            np.save("clf.npy", clf.predict_proba(X))
            """
        )
    )
    features, _ = load_iris(return_X_y=True, as_frame=True)
    booster = mlt_lgb.load_model(tmp_path / "theirs_booster")
    assert isinstance(booster, lgb.Booster)
    expected = np.load(tmp_path / "booster.npy")
    np.testing.assert_allclose(booster.predict(features), expected)
    np.testing.assert_allclose(
        pyfunc.load_model(tmp_path / "theirs_booster").predict(features), expected
    )
    for name in ("theirs_skops", "theirs_cloudpickle"):
        clf = mlt_lgb.load_model(tmp_path / name)
        assert type(clf) is lgb.LGBMClassifier
        np.testing.assert_allclose(clf.predict_proba(features), np.load(tmp_path / "clf.npy"))
        by_pyfunc = pyfunc.load_model(tmp_path / name).predict(features)
        np.testing.assert_array_equal(by_pyfunc, clf.predict(features))
