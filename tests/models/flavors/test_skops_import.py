"""skops.io imported with its trust lists deferred (``_skops_import.py``): saving computes none of
the expensive ones, and what skops trusts afterwards is exactly what it trusts on its own."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

_OWN_LISTS = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import FunctionTransformer
    import skops.io
    tt = sys.modules["skops.io._trusted_types"]
    print(json.dumps({n: list(getattr(tt, n)) for n in dir(tt) if n.endswith("_TYPE_NAMES")}))
    """
)


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


_SAVE = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.datasets import load_iris
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler
    from jupyter_mltrack.models.flavors._skops import dump_skops

    X, y = load_iris(return_X_y=True)
    models = {
        "forest": RandomForestClassifier(n_estimators=3, random_state=0),
        "pipeline": make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)),
        "hgb": HistGradientBoostingClassifier(max_iter=3),
        "columns": make_pipeline(
            ColumnTransformer([("s", StandardScaler(), [0, 1])], remainder="passthrough"),
            LogisticRegression(max_iter=300),
        ),
    }
    recorded = {}
    for name, model in models.items():
        recorded[name] = dump_skops(model.fit(X, y), name + ".skops", None)
    tt = sys.modules["skops.io._trusted_types"]
    filled = tt.SKLEARN_ESTIMATOR_TYPE_NAMES._filled
    heavy = sorted(m for m in ("torch", "pytest", "sklearn.gaussian_process") if m in sys.modules)
    # A ufunc makes skops read its ufunc lists (computed now) while saving.
    logs = FunctionTransformer(np.log1p)
    recorded["ufunc"] = dump_skops(logs.fit(X), "ufunc.skops", None)
    import skops.io as sio
    truth = {name: sio.get_untrusted_types(file=name + ".skops") for name in recorded}
    lists = {n: list(getattr(tt, n)) for n in dir(tt) if n.endswith("_TYPE_NAMES")}
    print(json.dumps({"filled": filled, "heavy": heavy, "recorded": recorded, "truth": truth,
                      "lists": lists}))
    """
)


def test_saving_computes_no_estimator_list_and_trusts_what_skops_would(tmp_path):
    code = f"import os; os.chdir({str(tmp_path)!r})\n" + _SAVE
    result = json.loads(_run(code))
    own = json.loads(_run(_OWN_LISTS))  # skops imported as usual, the same modules loaded
    assert result["filled"] is False
    assert result["heavy"] == []  # all_estimators() would have imported these
    assert result["recorded"]["forest"] == ["sklearn.tree._tree.Tree"]
    assert result["recorded"] == result["truth"]
    assert len(own["SKLEARN_ESTIMATOR_TYPE_NAMES"]) > 100
    assert result["lists"] == own


_SCAN = textwrap.dedent(
    """
    import pickle, sys
    import numpy as np
    from jupyter_mltrack.models.flavors._skops_import import import_skops_io
    io = import_skops_io()
    stand_in = sys.modules["skops.io._trusted_types"]
    # pickle.whichmodule probes every module in sys.modules for the name: a miss must be an
    # AttributeError, or loading a model (which computes the ufunc lists) breaks
    assert getattr(stand_in, "no_such_name", None) is None
    print(pickle.whichmodule(np.add, "add"), len(stand_in.SCIPY_UFUNC_TYPE_NAMES) > 0)
    """
)


def test_the_stand_in_answers_module_scans_like_a_module() -> None:
    assert _run(_SCAN) == "numpy True"
