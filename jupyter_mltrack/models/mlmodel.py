"""The ``MLmodel`` file: the YAML description at the root of every model directory.

Key names and layout follow MLflow, so MLflow reads what we write and we read what it writes.
Keys this module does not know are kept and written back unchanged.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from jupyter_mltrack.errors import ModelFormatError
from jupyter_mltrack.models.signature import ModelSignature
from jupyter_mltrack.models.types import ParamSchema, Schema

__all__ = ["DEFAULT_MLFLOW_VERSION", "FILE_HASHES_KEY", "MLMODEL_FILE", "Model"]

MLMODEL_FILE = "MLmodel"
# MLflow reads `mlflow_version` to pick compatible loaders; we write the release we test against.
DEFAULT_MLFLOW_VERSION = "3.17.2"
FILE_HASHES_KEY = "mltrack_file_hashes"
# Written by MLflow next to `signature`; derived from it, so not kept as extra keys.
_SIGNATURE_FLAGS = ("is_signature_from_type_hint", "type_hint_from_example")


def _now() -> str:
    # MLflow's format: str() of a naive UTC datetime, e.g. "2026-11-22 17:07:03.179303".
    return str(dt.datetime.now(dt.UTC).replace(tzinfo=None))


class Model:
    """An ``MLmodel`` file in memory: flavors, signature, example info and identity.

    Example:
        >>> model = Model(signature=sig).add_flavor("sklearn", pickled_model="model.skops")
        >>> model.save("my_model")
        >>> Model.load("my_model").flavors["sklearn"]["pickled_model"]
        'model.skops'
    """

    def __init__(
        self,
        *,
        artifact_path: str | None = None,
        run_id: str | None = None,
        utc_time_created: str | None = None,
        flavors: Mapping[str, Mapping[str, Any]] | None = None,
        signature: ModelSignature | None = None,
        saved_input_example_info: Mapping[str, Any] | None = None,
        model_uuid: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        mlflow_version: str | None = DEFAULT_MLFLOW_VERSION,
        file_hashes: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        self.artifact_path = artifact_path
        self.run_id = run_id
        self.utc_time_created = str(utc_time_created) if utc_time_created else _now()
        self.flavors: dict[str, dict[str, Any]] = {
            name: dict(conf) for name, conf in (flavors or {}).items()
        }
        self.signature = signature
        self.saved_input_example_info = (
            None if saved_input_example_info is None else dict(saved_input_example_info)
        )
        self.model_uuid: str = model_uuid or uuid.uuid4().hex
        self.metadata = None if metadata is None else dict(metadata)
        self.mlflow_version = mlflow_version
        self.file_hashes = None if file_hashes is None else dict(file_hashes)
        self.extra: dict[str, Any] = dict(extra)

    def add_flavor(self, name: str, **params: Any) -> Model:
        """Add (or replace) a flavor's configuration and return the model for chaining."""
        self.flavors[name] = params
        return self

    def get_input_schema(self) -> Schema | None:
        """Return the signature's input schema, if any."""
        return None if self.signature is None else self.signature.inputs

    def get_output_schema(self) -> Schema | None:
        """Return the signature's output schema, if any."""
        return None if self.signature is None else self.signature.outputs

    def get_params_schema(self) -> ParamSchema | None:
        """Return the signature's params schema, if any."""
        return None if self.signature is None else self.signature.params

    def to_dict(self) -> dict[str, Any]:
        """Return the mapping written to the ``MLmodel`` file (None-valued keys left out)."""
        out: dict[str, Any] = dict(self.extra)
        optional = {
            "artifact_path": self.artifact_path,
            "run_id": self.run_id,
            "saved_input_example_info": self.saved_input_example_info,
            "metadata": self.metadata,
            "mlflow_version": self.mlflow_version,
            FILE_HASHES_KEY: self.file_hashes,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        out["flavors"] = self.flavors
        out["model_uuid"] = self.model_uuid
        out["utc_time_created"] = self.utc_time_created
        if self.signature is not None:
            out["signature"] = self.signature.to_dict()
            out.update(dict.fromkeys(_SIGNATURE_FLAGS, False))
        return out

    def to_yaml(self) -> str:
        """Return the ``MLmodel`` YAML text (sorted keys, block style, as MLflow writes it)."""
        return yaml.safe_dump(self.to_dict(), default_flow_style=False)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write ``<path>/MLmodel``, creating the directory if needed."""
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / MLMODEL_FILE).write_text(self.to_yaml(), encoding="utf-8")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Model:
        """Build a model from the mapping of an ``MLmodel`` file."""
        fields = dict(data)
        for flag in _SIGNATURE_FLAGS:
            fields.pop(flag, None)
        signature = fields.pop("signature", None)
        flavors = fields.pop("flavors", None) or {}
        if not isinstance(flavors, Mapping) or not all(
            isinstance(c, Mapping) for c in flavors.values()
        ):
            raise ModelFormatError(f"MLmodel 'flavors' must map names to mappings; got {flavors!r}")
        return cls(
            flavors=flavors,
            signature=None if signature is None else ModelSignature.from_dict(signature),
            file_hashes=fields.pop(FILE_HASHES_KEY, None),
            mlflow_version=fields.pop("mlflow_version", None),
            **fields,
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Model:
        """Read a model directory's ``MLmodel`` file (``path`` may also be the file itself).

        Raises:
            ModelFormatError: The file is missing or is not a valid ``MLmodel`` file.
        """
        file = Path(path)
        if file.is_dir():
            file = file / MLMODEL_FILE
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ModelFormatError(
                f"No {MLMODEL_FILE} file at {str(file)!r}; is {str(path)!r} a saved model "
                "directory?"
            ) from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ModelFormatError(f"{str(file)!r} is not valid YAML: {exc}") from exc
        if not isinstance(data, Mapping):
            raise ModelFormatError(f"{str(file)!r} must hold a YAML mapping; got {data!r}")
        try:
            return cls.from_dict(data)
        except TypeError as exc:
            raise ModelFormatError(f"{str(file)!r} has an invalid field: {exc}") from exc

    def load_input_example(self, model_dir: str | os.PathLike[str]) -> Any | None:
        """Return the saved input example (None if the model was saved without one)."""
        if not self.saved_input_example_info:
            return None
        from jupyter_mltrack.models.input_example import load_input_example

        return load_input_example(
            model_dir, self.saved_input_example_info, schema=self.get_input_schema()
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Model) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Model(flavors={sorted(self.flavors)}, model_uuid={self.model_uuid!r})"
