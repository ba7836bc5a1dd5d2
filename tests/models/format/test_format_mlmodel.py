"""The MLmodel file: writing, reading, unknown keys, errors, and file integrity."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from jupyter_mltrack.errors import ModelFormatError
from jupyter_mltrack.models import ColSpec, DataType, Model, ModelSignature, Schema
from jupyter_mltrack.models.integrity import record_file_hashes, verify_file_hashes
from jupyter_mltrack.models.mlmodel import MLMODEL_FILE

SIGNATURE = ModelSignature(Schema([ColSpec(DataType.double, "x")]))


def _model() -> Model:
    return Model(signature=SIGNATURE, run_id="r1", artifact_path="model").add_flavor(
        "sklearn", pickled_model="model.skops", serialization_format="skops"
    )


def test_save_writes_mlflow_keys(tmp_path: Path) -> None:
    model = _model()
    model.save(tmp_path / "m")
    data = yaml.safe_load((tmp_path / "m" / MLMODEL_FILE).read_text())
    assert data["flavors"]["sklearn"]["pickled_model"] == "model.skops"
    assert data["signature"]["inputs"] == SIGNATURE.to_dict()["inputs"]
    assert data["mlflow_version"] == "3.17.2"
    assert data["model_uuid"] == model.model_uuid and len(model.model_uuid) == 32
    assert data["run_id"] == "r1" and data["artifact_path"] == "model"
    assert data["is_signature_from_type_hint"] is False
    # MLflow's timestamp layout: "YYYY-MM-DD HH:MM:SS.ffffff"
    assert len(data["utc_time_created"]) == 26 and data["utc_time_created"][10] == " "


def test_none_fields_are_left_out(tmp_path: Path) -> None:
    Model().save(tmp_path)
    data = yaml.safe_load((tmp_path / MLMODEL_FILE).read_text())
    assert set(data) == {"flavors", "mlflow_version", "model_uuid", "utc_time_created"}


def test_load_round_trips_a_directory_or_the_file(tmp_path: Path) -> None:
    model = _model()
    model.save(tmp_path)
    assert Model.load(tmp_path) == model
    loaded = Model.load(tmp_path / MLMODEL_FILE)
    assert loaded.get_input_schema() == SIGNATURE.inputs
    assert loaded.get_output_schema() is None and loaded.get_params_schema() is None
    assert loaded.flavors == model.flavors


def test_unknown_keys_are_kept(tmp_path: Path) -> None:
    (tmp_path / MLMODEL_FILE).write_text(
        "flavors: {}\nmodel_uuid: abc\nprompts: null\nmodel_size_bytes: 42\n"
        "utc_time_created: '2024-01-01 00:00:00.000000'\ntype_hint_from_example: false\n"
    )
    model = Model.load(tmp_path)
    assert model.extra == {"prompts": None, "model_size_bytes": 42}
    assert model.mlflow_version is None
    assert model.to_dict()["model_size_bytes"] == 42
    assert "type_hint_from_example" not in model.to_dict()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("flavors: [\n", "not valid YAML"),
        ("- a\n- b\n", "must hold a YAML mapping"),
        ("flavors: [a, b]\n", "'flavors' must map names to mappings"),
        ('flavors: {}\nsignature: {inputs: \'[{"type": "nope"}]\'}\n', "Unknown data type"),
    ],
)
def test_bad_mlmodel_files_raise_model_format_error(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / MLMODEL_FILE).write_text(text)
    with pytest.raises(ModelFormatError, match=message):
        Model.load(tmp_path)


def test_missing_mlmodel_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(ModelFormatError, match=r"No MLmodel file at .*saved model directory"):
        Model.load(tmp_path / "nowhere")


def test_load_input_example_without_example_is_none(tmp_path: Path) -> None:
    assert Model().load_input_example(tmp_path) is None


def _saved_with_hashes(root: Path) -> Model:
    (root / "data").mkdir(parents=True)
    (root / "model.pkl").write_bytes(b"weights")
    (root / "data" / "vocab.txt").write_text("a\nb\n")
    model = _model()
    record_file_hashes(root, model)
    model.save(root)
    return Model.load(root)


def test_hashes_cover_every_file_but_mlmodel(tmp_path: Path) -> None:
    model = _saved_with_hashes(tmp_path)
    assert sorted(model.file_hashes or {}) == ["data/vocab.txt", "model.pkl"]
    assert "mltrack_file_hashes" in yaml.safe_load((tmp_path / MLMODEL_FILE).read_text())
    verify_file_hashes(tmp_path, model)  # untouched: passes


def test_tampered_file_is_named(tmp_path: Path) -> None:
    model = _saved_with_hashes(tmp_path)
    (tmp_path / "data" / "vocab.txt").write_text("a\nb\nc\n")
    with pytest.raises(ModelFormatError, match=r"'data/vocab.txt'.*does not match the sha256"):
        verify_file_hashes(tmp_path, model)


def test_missing_file_is_named(tmp_path: Path) -> None:
    model = _saved_with_hashes(tmp_path)
    (tmp_path / "model.pkl").unlink()
    with pytest.raises(ModelFormatError, match=r"'model.pkl' listed in MLmodel is missing"):
        verify_file_hashes(tmp_path, model)


def test_paths_outside_the_model_are_rejected(tmp_path: Path) -> None:
    model = Model(file_hashes={"../secret": "0" * 64})
    with pytest.raises(ModelFormatError, match="outside the model directory"):
        verify_file_hashes(tmp_path, model)


def test_models_without_hashes_pass_verification(tmp_path: Path) -> None:
    verify_file_hashes(tmp_path, Model())
