"""The pytorch flavor: pt2 and pickle round trips, MLflow's layout, pyfunc, signatures, weights."""

from __future__ import annotations

import pickle
import sys

import numpy as np
import pandas as pd
import pytest
import yaml
from torch_helpers import TinyNet, features, predict, torch, trained_net

from jupyter_mltrack import pyfunc
from jupyter_mltrack import pytorch as mlt_pytorch
from jupyter_mltrack.errors import InvalidInputError, InvalidParameterError, ModelFormatError

PY_VERSION = ".".join(map(str, sys.version_info[:3]))


@pytest.fixture(scope="module")
def net() -> TinyNet:
    return trained_net()


@pytest.fixture(scope="module")
def saved(net, tmp_path_factory):  # type: ignore[no-untyped-def]
    """One pt2 and one pickle model directory, saved once for the module."""
    root = tmp_path_factory.mktemp("torch-models")
    mlt_pytorch.save_model(net, root / "pt2", input_example=features(5))
    mlt_pytorch.save_model(net, root / "pickle", serialization_format="pickle")
    return root


def _mlmodel(path) -> dict:  # type: ignore[no-untyped-def]
    return yaml.safe_load((path / "MLmodel").read_text())


def test_pt2_layout_and_flavor_blocks_are_mlflows(saved):
    model_dir = saved / "pt2"
    assert sorted(p.name for p in (model_dir / "data").iterdir()) == ["model.pt2"]
    flavors = _mlmodel(model_dir)["flavors"]
    assert flavors["pytorch"] == {
        "code": None,
        "model_data": "data",
        "pytorch_version": str(torch.__version__),
    }
    assert flavors["python_function"] == {
        "data": "data",
        "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
        "loader_module": "mlflow.pytorch",
        "model_config": {"device": None},
        "pickle_module_name": "mlflow.pytorch.pickle_module",
        "python_version": PY_VERSION,
    }
    signature = _mlmodel(model_dir)["signature"]
    assert '"shape": [-1, 4]' in signature["inputs"]
    assert '"shape": [-1, 2]' in signature["outputs"]


def test_pt2_loads_natively_and_as_pyfunc_with_a_dynamic_batch(saved, net):
    x = features(11, seed=3)  # the example had 5 rows: the batch dimension is dynamic
    loaded = mlt_pytorch.load_model(saved / "pt2")
    assert isinstance(loaded, torch.fx.GraphModule)
    np.testing.assert_allclose(predict(loaded, x), predict(net, x), rtol=1e-5)
    model = pyfunc.load_model(saved / "pt2")
    out = model.predict(x)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, predict(net, x), rtol=1e-5)
    # A DataFrame meets the tensor signature as one array, as in MLflow.
    np.testing.assert_allclose(model.predict(pd.DataFrame(x)), predict(net, x), rtol=1e-5)


def test_pickle_layout_loads_the_class_and_predicts_dataframes(saved, net):
    data = saved / "pickle" / "data"
    assert sorted(p.name for p in data.iterdir()) == ["model.pth", "pickle_module_info.txt"]
    assert (data / "pickle_module_info.txt").read_text() == "mlflow.pytorch.pickle_module"
    loaded = mlt_pytorch.load_model(saved / "pickle")
    assert type(loaded).__name__ == "TinyNet"
    assert not loaded.training, "a loaded model is in eval mode"
    x = features(6, seed=4)
    frame = pd.DataFrame(x, index=[10, 11, 12, 13, 14, 15])
    out = pyfunc.load_model(saved / "pickle").predict(frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.index) == [10, 11, 12, 13, 14, 15]
    np.testing.assert_allclose(out.to_numpy(), predict(net, x), rtol=1e-6)
    assert isinstance(pyfunc.load_model(saved / "pickle").predict(x), np.ndarray)


def test_pickle_module_is_recorded_and_used(tmp_path, net):
    mlt_pytorch.save_model(net, tmp_path / "m", serialization_format="pickle", pickle_module=pickle)
    assert (tmp_path / "m" / "data" / "pickle_module_info.txt").read_text() == "pickle"
    assert _mlmodel(tmp_path / "m")["flavors"]["python_function"]["pickle_module_name"] == "pickle"
    x = features(3)
    np.testing.assert_allclose(predict(mlt_pytorch.load_model(tmp_path / "m"), x), predict(net, x))


def test_pt2_without_an_input_example_says_what_to_do(tmp_path, net):
    with pytest.raises(InvalidParameterError, match="needs input_example") as info:
        mlt_pytorch.save_model(net, tmp_path / "m")
    assert "serialization_format='pickle'" in str(info.value)
    assert not (tmp_path / "m").exists(), "a failed save leaves no directory"
    with pytest.raises(InvalidParameterError, match="needs input_example"):
        mlt_pytorch.save_model(net, tmp_path / "m", input_example=pd.DataFrame(features(3)))


@pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")
def test_bad_arguments_are_refused(tmp_path, net):
    with pytest.raises(InvalidParameterError, match="serialization_format"):
        mlt_pytorch.save_model(net, tmp_path / "a", serialization_format="onnx")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="tensor signature"):
        mlt_pytorch.save_model(net, tmp_path / "d", input_example=features(3), signature=False)
    with pytest.raises(InvalidParameterError, match=r"torch\.nn\.Module"):
        mlt_pytorch.save_model(object(), tmp_path / "b", serialization_format="pickle")
    scripted = torch.jit.script(net)
    with pytest.raises(InvalidParameterError, match="scripted"):
        mlt_pytorch.save_model(scripted, tmp_path / "c", input_example=features(3))


def test_tensor_example_is_stored_as_numpy_and_the_signature_is_enforced(tmp_path, net):
    mlt_pytorch.save_model(net, tmp_path / "m", input_example=torch.from_numpy(features(4)))
    mlmodel = _mlmodel(tmp_path / "m")
    assert mlmodel["saved_input_example_info"]["type"] == "ndarray"
    model = pyfunc.load_model(tmp_path / "m")
    with pytest.raises(InvalidInputError, match="float32"):
        model.predict(features(3).astype(np.float64))
    with pytest.raises(InvalidInputError, match="shape"):
        model.predict(np.zeros((3, 5), dtype=np.float32))


def test_requirements_pin_the_installed_torch(saved):
    from importlib.metadata import version

    for name in ("pt2", "pickle"):
        lines = (saved / name / "requirements.txt").read_text().splitlines()
        assert f"torch=={version('torch').split('+')[0]}" in lines
        assert f"cloudpickle=={version('cloudpickle')}" in lines


def test_a_changed_model_file_is_refused(tmp_path, net):
    mlt_pytorch.save_model(net, tmp_path / "m", serialization_format="pickle")
    with open(tmp_path / "m" / "data" / "model.pth", "ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(ModelFormatError, match=r"model\.pth"):
        mlt_pytorch.load_model(tmp_path / "m")
    with pytest.raises(ModelFormatError, match=r"model\.pth"):
        pyfunc.load_model(tmp_path / "m")


@pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")
def test_scripted_models_save_with_pickle(tmp_path, net):
    scripted = torch.jit.script(net)
    mlt_pytorch.save_model(scripted, tmp_path / "m", serialization_format="pickle")
    x = features(3)
    loaded = mlt_pytorch.load_model(tmp_path / "m")
    assert isinstance(loaded, torch.jit.ScriptModule)
    np.testing.assert_allclose(predict(loaded, x), predict(net, x), rtol=1e-6)


def test_state_dict_round_trip(tmp_path, net):
    mlt_pytorch.save_state_dict(net.state_dict(), tmp_path / "sd")
    assert (tmp_path / "sd" / "state_dict.pth").is_file()
    fresh = TinyNet()
    fresh.load_state_dict(mlt_pytorch.load_state_dict(tmp_path / "sd"))
    x = features(3)
    np.testing.assert_allclose(predict(fresh.eval(), x), predict(net, x))
    with pytest.raises(InvalidParameterError, match="state_dict"):
        mlt_pytorch.save_state_dict([1, 2], tmp_path / "bad")  # type: ignore[arg-type]
    with pytest.raises(ModelFormatError, match=r"state_dict\.pth"):
        mlt_pytorch.load_state_dict(tmp_path)
