"""PyTorch models and state dicts logged to runs, loaded back from runs:/ and models:/ URIs."""

from __future__ import annotations

import numpy as np
import pytest
from torch_helpers import TinyNet, features, predict, trained_net

import jupyter_mltrack as mlt
from jupyter_mltrack import pyfunc
from jupyter_mltrack import pytorch as mlt_pytorch
from jupyter_mltrack.model_logging.core import logged_models


@pytest.fixture
def store(tmp_path):  # type: ignore[no-untyped-def]
    mlt.set_tracking_uri(f"sqlite:///{tmp_path}/t.db")
    yield
    while mlt.active_run() is not None:
        mlt.end_run()


def test_log_model_then_load_from_runs_and_models_uris(store):
    net = trained_net()
    x = features(7, seed=5)
    with mlt.start_run() as run:
        info = mlt_pytorch.log_model(
            net, "model", input_example=features(4), registered_model_name="tiny"
        )
        mlt_pytorch.log_state_dict(net.state_dict(), "weights")
    assert info.model_uri == f"runs:/{run.run_id}/model"
    assert info.registered_model_version == "1"
    assert set(info.flavors) == {"pytorch", "python_function"}
    tags = mlt.get_run(run.run_id).data.tags
    assert [m["artifact_path"] for m in logged_models(tags)] == ["model"]

    expected = predict(net, x)
    np.testing.assert_allclose(
        predict(mlt_pytorch.load_model(info.model_uri), x), expected, rtol=1e-5
    )
    np.testing.assert_allclose(
        predict(mlt_pytorch.load_model("models:/tiny/1"), x), expected, rtol=1e-5
    )
    np.testing.assert_allclose(pyfunc.load_model("models:/tiny/1").predict(x), expected, rtol=1e-5)

    fresh = TinyNet()
    fresh.load_state_dict(mlt_pytorch.load_state_dict(f"runs:/{run.run_id}/weights"))
    np.testing.assert_allclose(predict(fresh.eval(), x), expected)


def test_public_door_matches_mlflows_names():
    import jupyter_mltrack.pytorch as door

    assert door.__all__ == [
        "autolog",
        "get_default_pip_requirements",
        "load_model",
        "load_state_dict",
        "log_model",
        "log_state_dict",
        "save_model",
        "save_state_dict",
    ]
    requirements = door.get_default_pip_requirements()
    assert [r.split("==")[0] for r in requirements] == ["torch", "cloudpickle"]
