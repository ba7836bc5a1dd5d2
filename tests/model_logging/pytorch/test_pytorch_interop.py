"""PyTorch models move both ways between jupyter_mltrack and the real MLflow 3.17.2.

One MLflow subprocess loads the models saved here (``mlflow.pytorch`` and ``mlflow.pyfunc``,
pt2 and pickle) and saves its own; this process then loads MLflow's. Predictions are exchanged
as ``.npy`` files and compared numerically.
"""

from __future__ import annotations

import inspect
import json
import sys

import numpy as np
import pandas as pd
import pytest
from torch_helpers import features, predict, torch

from jupyter_mltrack import pyfunc
from jupyter_mltrack import pytorch as mlt_pytorch

pytestmark = pytest.mark.slow

# The model's class in a module both interpreters import (it travels in code/ with our pickle
# model); torch only, no test dependencies.
TINY_MODULE = """
import torch


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        layers = [torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)]
        self.layers = torch.nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


def make(seed):
    torch.manual_seed(seed)
    return Tiny().eval()
"""

MLFLOW_SCRIPT = """
import json, os
import numpy as np, pandas as pd, torch
import mlflow.pytorch, mlflow.pyfunc
import tiny_mod

x = np.load("x.npy")
out, types = {}, {}
for name in ("ours_pt2", "ours_pickle"):
    if name == "ours_pt2":  # MLflow's pickle-free check of pt2 archives must pass
        os.environ["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = "false"
    native = mlflow.pytorch.load_model(name)
    os.environ["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = "true"
    with torch.no_grad():
        np.save(f"{name}_native.npy", native(torch.from_numpy(x)).numpy())
    model = mlflow.pyfunc.load_model(name)
    np.save(f"{name}_pyfunc.npy", np.asarray(model.predict(x)))
    types[name] = type(model.predict(pd.DataFrame(x))).__name__

net = tiny_mod.make(7)
mlflow.pytorch.save_model(net, "mlflow_pt2", input_example=x[:5])
mlflow.pytorch.save_model(net, "mlflow_pickle", serialization_format="pickle")
with torch.no_grad():
    np.save("mlflow_expected.npy", net(torch.from_numpy(x)).numpy())
json.dump(types, open("types.json", "w"))
import inspect
json.dump(list(inspect.signature(mlflow.pytorch.autolog).parameters), open("autolog.json", "w"))
"""


def test_models_cross_between_mlflow_and_here(tmp_path, run_mlflow, monkeypatch):
    (tmp_path / "tiny_mod.py").write_text(TINY_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "tiny_mod", raising=False)
    import tiny_mod  # type: ignore[import-not-found]

    x = features(9, seed=8)
    np.save(tmp_path / "x.npy", x)
    ours = tiny_mod.make(3)
    mlt_pytorch.save_model(ours, tmp_path / "ours_pt2", input_example=x[:4])
    mlt_pytorch.save_model(
        ours,
        tmp_path / "ours_pickle",
        serialization_format="pickle",
        code_paths=[tmp_path / "tiny_mod.py"],
    )
    run_mlflow(MLFLOW_SCRIPT)

    expected = predict(ours, x)
    for name in ("ours_pt2", "ours_pickle"):
        np.testing.assert_allclose(np.load(tmp_path / f"{name}_native.npy"), expected, rtol=1e-5)
        np.testing.assert_allclose(np.load(tmp_path / f"{name}_pyfunc.npy"), expected, rtol=1e-5)
    mlflow_types = json.loads((tmp_path / "types.json").read_text())
    for name in ("ours_pt2", "ours_pickle"):
        here = type(pyfunc.load_model(tmp_path / name).predict(pd.DataFrame(x))).__name__
        assert here == mlflow_types[name], f"{name}: a DataFrame predicts to the same type"
    assert mlflow_types == {"ours_pt2": "ndarray", "ours_pickle": "DataFrame"}

    from jupyter_mltrack.model_logging.autolog.pytorch import autolog

    ours_names = list(inspect.signature(autolog).parameters)
    assert ours_names == [
        *json.loads((tmp_path / "autolog.json").read_text()),
        "log_input_examples",
    ]

    theirs = np.load(tmp_path / "mlflow_expected.npy")
    for name in ("mlflow_pt2", "mlflow_pickle"):
        native = mlt_pytorch.load_model(tmp_path / name)
        np.testing.assert_allclose(predict(native, x), theirs, rtol=1e-5)
        np.testing.assert_allclose(pyfunc.load_model(tmp_path / name).predict(x), theirs, rtol=1e-5)
    assert isinstance(mlt_pytorch.load_model(tmp_path / "mlflow_pickle"), torch.nn.Module)
    assert type(mlt_pytorch.load_model(tmp_path / "mlflow_pickle")).__name__ == "Tiny"
