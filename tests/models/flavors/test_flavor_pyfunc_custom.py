"""Custom PythonModel models: files, artifacts, code paths, context, params and signatures."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from jupyter_mltrack import pyfunc
from jupyter_mltrack import sklearn as mlt_sklearn
from jupyter_mltrack.errors import InvalidInputError, InvalidParameterError, ModelFormatError
from jupyter_mltrack.models import ModelSignature, infer_signature
from jupyter_mltrack.models.pyfunc import register_pyfunc_loader


class AddN(pyfunc.PythonModel):
    def __init__(self, n: float) -> None:
        self.n = n

    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        return model_input + self.n * (params or {}).get("scale", 1)


class FromArtifacts(pyfunc.PythonModel):
    def load_context(self, context):  # type: ignore[no-untyped-def]
        with open(context.artifacts["factor"]) as handle:
            self.factor = float(handle.read())
        with open(f"{context.artifacts['words']}/first.txt") as handle:
            self.word = handle.read()
        self.config = context.model_config

    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        return model_input * self.factor


class NoContext(pyfunc.PythonModel):
    def predict(self, model_input):  # type: ignore[no-untyped-def, override]
        return model_input * 10


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.5, 0.25, 0.0]})


def test_custom_model_files_and_mlflow_flavor_block(tmp_path, frame):
    pyfunc.save_model(tmp_path / "m", python_model=AddN(1))
    conf = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())["flavors"]["python_function"]
    assert conf["loader_module"] == "mlflow.pyfunc.model"
    assert conf["python_model"] == "python_model.pkl"
    assert conf["code"] is None
    assert conf["streamable"] is False
    assert conf["env"] == {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}
    assert (tmp_path / "m" / "python_model.pkl").is_file()
    requirements = (tmp_path / "m" / "requirements.txt").read_text()
    assert "cloudpickle==" in requirements and "jupyter_mltrack==" in requirements.replace("-", "_")
    model = pyfunc.load_model(tmp_path / "m")
    pd.testing.assert_frame_equal(model.predict(frame), frame + 1)
    assert isinstance(model.unwrap_python_model(), AddN)


def test_artifacts_are_copied_and_given_to_load_context(tmp_path, frame):
    (tmp_path / "factor.txt").write_text("3")
    (tmp_path / "words").mkdir()
    (tmp_path / "words" / "first.txt").write_text("hello")
    pyfunc.save_model(
        tmp_path / "m",
        python_model=FromArtifacts(),
        artifacts={"factor": str(tmp_path / "factor.txt"), "words": f"file://{tmp_path}/words"},
    )
    (tmp_path / "factor.txt").write_text("100")  # the model keeps its own copy
    conf = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())["flavors"]["python_function"]
    assert conf["artifacts"]["factor"] == {
        "path": "artifacts/factor.txt",
        "uri": str(tmp_path / "factor.txt"),
    }
    assert conf["artifacts"]["words"]["path"] == "artifacts/words"
    model = pyfunc.load_model(tmp_path / "m", model_config={"threshold": 0.5})
    pd.testing.assert_frame_equal(model.predict(frame), frame * 3.0)
    inner = model.unwrap_python_model()
    assert inner.word == "hello"
    assert inner.config == {"threshold": 0.5}


def test_code_paths_are_copied_and_put_on_sys_path(tmp_path, frame, monkeypatch):
    source = tmp_path / "src"
    source.mkdir()
    (source / "my_offsets.py").write_text(
        "from jupyter_mltrack.pyfunc import PythonModel\n"
        "class Offset(PythonModel):\n"
        "    def predict(self, context, model_input, params=None):\n"
        "        return model_input - 1\n"
    )
    monkeypatch.syspath_prepend(str(source))
    from my_offsets import Offset  # type: ignore[import-not-found]

    pyfunc.save_model(
        tmp_path / "m", python_model=Offset(), code_paths=[str(source / "my_offsets.py")]
    )
    assert (tmp_path / "m" / "code" / "my_offsets.py").is_file()
    # A fresh interpreter state: the source folder is gone and the module is not imported.
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(source)])
    monkeypatch.delitem(sys.modules, "my_offsets")
    (source / "my_offsets.py").unlink()
    model = pyfunc.load_model(tmp_path / "m")
    pd.testing.assert_frame_equal(model.predict(frame), frame - 1)
    assert str(tmp_path / "m" / "code") in sys.path


def test_predict_without_context_argument(tmp_path, frame):
    pyfunc.save_model(tmp_path / "m", python_model=NoContext())
    pd.testing.assert_frame_equal(pyfunc.load_model(tmp_path / "m").predict(frame), frame * 10)


def test_signature_inferred_from_example_and_enforced(tmp_path, frame):
    pyfunc.save_model(tmp_path / "m", python_model=AddN(1), input_example=frame[:2])
    model = pyfunc.load_model(tmp_path / "m")
    assert model.metadata.signature.inputs.input_names() == ["a", "b"]
    assert model.metadata.signature.outputs.input_names() == ["a", "b"]
    with pytest.raises(InvalidInputError, match="b"):
        model.predict(frame[["a"]])
    ints = pd.DataFrame({"a": [1, 2], "b": [3, 4]}, dtype="int32")  # int -> double is safe
    result = model.predict(ints)
    assert list(result["a"]) == [2.0, 3.0]
    with pytest.raises(InvalidInputError, match="int64"):  # long -> double is not
        model.predict(ints.astype("int64"))


def test_params_get_defaults_and_are_passed(tmp_path, frame):
    signature = infer_signature(frame, frame, params={"scale": 1})
    pyfunc.save_model(tmp_path / "m", python_model=AddN(2), signature=signature)
    model = pyfunc.load_model(tmp_path / "m")
    pd.testing.assert_frame_equal(model.predict(frame), frame + 2)
    pd.testing.assert_frame_equal(model.predict(frame, params={"scale": 5}), frame + 10)
    with pytest.raises(InvalidInputError):
        model.predict(frame, params={"scale": "lots"})


def test_save_needs_a_python_model_and_existing_paths(tmp_path):
    with pytest.raises(InvalidParameterError, match="python_model"):
        pyfunc.save_model(tmp_path / "a")
    with pytest.raises(InvalidParameterError, match="does not exist"):
        pyfunc.save_model(tmp_path / "b", python_model=AddN(1), code_paths=["missing.py"])
    assert not (tmp_path / "b").exists()


def test_unknown_loader_module_and_missing_pyfunc_flavor(tmp_path):
    from jupyter_mltrack.models import Model

    Model().add_flavor("python_function", loader_module="mlflow.catboost").save(tmp_path / "x")
    with pytest.raises(ModelFormatError, match=r"'mlflow\.catboost'.*register_pyfunc_loader"):
        pyfunc.load_model(tmp_path / "x")
    Model().add_flavor("keras", keras_version="3").save(tmp_path / "k")
    with pytest.raises(ModelFormatError, match=r"no python_function flavor.*keras"):
        pyfunc.load_model(tmp_path / "k")
    pyfunc.save_model(tmp_path / "c", python_model=AddN(1))
    with pytest.raises(ModelFormatError, match="no sklearn flavor"):
        mlt_sklearn.load_model(tmp_path / "c")


def test_registered_loader_is_used(tmp_path, frame):
    from jupyter_mltrack.models import Model

    class Constant:
        def predict(self, data, params=None):  # type: ignore[no-untyped-def]
            return np.zeros(len(data))

    register_pyfunc_loader("tests.constant_flavor", lambda model_dir, mlmodel, config: Constant())
    Model(signature=ModelSignature(infer_signature(frame).inputs)).add_flavor(
        "python_function", loader_module="tests.constant_flavor"
    ).save(tmp_path / "z")
    np.testing.assert_array_equal(pyfunc.load_model(tmp_path / "z").predict(frame), [0, 0, 0])
