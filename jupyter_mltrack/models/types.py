"""Data types and schemas of model signatures, in MLflow's JSON form.

A :class:`Schema` is either column-based (a list of :class:`ColSpec`, for tabular data) or
tensor-based (a list of :class:`TensorSpec`, for arrays), never both. Its JSON form is exactly the
string MLflow stores under ``signature.inputs`` / ``signature.outputs`` in an ``MLmodel`` file, and
:class:`ParamSchema` is the same for ``signature.params``. numpy is imported only when a dtype is
needed, so importing this module stays cheap.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.errors import InvalidInputError, InvalidParameterError, ModelFormatError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "ColSpec",
    "ComplexType",
    "DataType",
    "ParamSchema",
    "ParamSpec",
    "Schema",
    "TensorSpec",
]

_NUMPY_NAMES = {
    "boolean": "bool",
    "integer": "int32",
    "long": "int64",
    "float": "float32",
    "double": "float64",
    "string": "str",
    "binary": "bytes",
    "datetime": "datetime64[ns]",
}


class DataType(StrEnum):
    """A scalar type of a column or parameter, named as in MLflow."""

    boolean = "boolean"
    integer = "integer"
    long = "long"
    float = "float"
    double = "double"
    string = "string"
    binary = "binary"
    datetime = "datetime"

    def to_numpy(self) -> np.dtype[Any]:
        """Return the numpy dtype that holds values of this type."""
        import numpy as np

        return np.dtype(_NUMPY_NAMES[self.value])

    def to_pandas(self) -> Any:
        """Return the pandas column dtype (``object`` for strings and bytes, as MLflow does)."""
        if self in (DataType.string, DataType.binary):
            return object
        return self.to_numpy()

    def python_type(self) -> type:
        """Return the Python type of a single value (used for params)."""
        return _PYTHON_TYPES[self]


_PYTHON_TYPES: dict[DataType, type] = {
    DataType.boolean: bool,
    DataType.integer: int,
    DataType.long: int,
    DataType.float: float,
    DataType.double: float,
    DataType.string: str,
    DataType.binary: bytes,
    DataType.datetime: dt.datetime,
}


@dataclass(frozen=True)
class ComplexType:
    """An MLflow ``array``, ``object``, ``map`` or ``any`` type, kept as its JSON definition.

    Such columns round-trip through the ``MLmodel`` file unchanged; enforcement checks only that
    they are present.
    """

    definition: str  # JSON of the type dict without "name"/"required", in MLflow's key order

    @property
    def kind(self) -> str:
        """Return MLflow's type name: ``array``, ``object``, ``map`` or ``any``."""
        return str(json.loads(self.definition)["type"])

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON dict of the type."""
        value: dict[str, Any] = json.loads(self.definition)
        return value

    def __str__(self) -> str:
        return self.kind


@dataclass(frozen=True)
class ColSpec:
    """A column of a tabular schema: its type, optional name and whether it must be present."""

    type: DataType | ComplexType
    name: str | None = None
    required: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.type, str) and not isinstance(self.type, DataType):
            object.__setattr__(self, "type", _parse_data_type(self.type))

    def to_dict(self) -> dict[str, Any]:
        """Return MLflow's JSON dict for this column."""
        out: dict[str, Any] = (
            self.type.to_dict() if isinstance(self.type, ComplexType) else {"type": str(self.type)}
        )
        if self.name is not None:
            out["name"] = self.name
        out["required"] = self.required
        return out

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> ColSpec:
        """Build a column from MLflow's JSON dict."""
        kind = spec.get("type")
        rest = {k: v for k, v in spec.items() if k not in ("name", "required")}
        col_type: DataType | ComplexType
        if kind in ("array", "object", "map", "any"):
            col_type = ComplexType(json.dumps(rest))
        else:
            col_type = _parse_data_type(kind)
        return cls(col_type, spec.get("name"), bool(spec.get("required", True)))


@dataclass(frozen=True)
class TensorSpec:
    """An array input or output: numpy dtype and shape, where ``-1`` matches any length."""

    type: np.dtype[Any]
    shape: tuple[int, ...]
    name: str | None = None

    def __post_init__(self) -> None:
        import numpy as np

        object.__setattr__(self, "type", np.dtype(self.type))
        object.__setattr__(self, "shape", tuple(int(d) for d in self.shape))

    def to_dict(self) -> dict[str, Any]:
        """Return MLflow's JSON dict for this tensor."""
        out: dict[str, Any] = {} if self.name is None else {"name": self.name}
        out["type"] = "tensor"
        out["tensor-spec"] = {"dtype": str(self.type), "shape": list(self.shape)}
        return out

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> TensorSpec:
        """Build a tensor spec from MLflow's JSON dict."""
        try:
            tensor = spec["tensor-spec"]
            return cls(tensor["dtype"], tuple(tensor["shape"]), spec.get("name"))
        except (KeyError, TypeError) as exc:
            raise ModelFormatError(f"Malformed tensor spec {spec!r}: {exc}") from exc


def _parse_data_type(name: Any) -> DataType:
    try:
        return DataType(name)
    except ValueError:
        valid = ", ".join(t.value for t in DataType)
        raise ModelFormatError(f"Unknown data type {name!r}; expected one of {valid}") from None


class Schema:
    """An ordered list of column specs or tensor specs (never mixed)."""

    def __init__(self, inputs: Iterable[ColSpec | TensorSpec]) -> None:
        self.inputs: list[ColSpec | TensorSpec] = list(inputs)
        kinds = {type(spec) for spec in self.inputs}
        if len(kinds) > 1:
            raise InvalidParameterError(
                "A schema holds either ColSpec or TensorSpec entries, not both"
            )
        named = [spec.name is not None for spec in self.inputs]
        if any(named) and not all(named):
            raise InvalidParameterError(
                "Either every entry of a schema has a name or none does; got "
                f"{[spec.name for spec in self.inputs]}"
            )
        names = [spec.name for spec in self.inputs if spec.name is not None]
        if len(set(names)) != len(names):
            raise InvalidParameterError(f"Duplicate names in schema: {names}")

    def is_tensor_spec(self) -> bool:
        """Return True when the schema describes arrays rather than columns."""
        return bool(self.inputs) and isinstance(self.inputs[0], TensorSpec)

    def has_input_names(self) -> bool:
        """Return True when the entries are named (they are all named or none is)."""
        return bool(self.inputs) and self.inputs[0].name is not None

    def input_names(self) -> list[str]:
        """Return the entry names, or their positions as strings when unnamed."""
        return [spec.name or str(i) for i, spec in enumerate(self.inputs)]

    def required_input_names(self) -> list[str]:
        """Return the names of the entries that must be present."""
        return [
            name
            for name, spec in zip(self.input_names(), self.inputs, strict=True)
            if not isinstance(spec, ColSpec) or spec.required
        ]

    def to_dict(self) -> list[dict[str, Any]]:
        """Return the JSON list MLflow uses."""
        return [spec.to_dict() for spec in self.inputs]

    def to_json(self) -> str:
        """Return the JSON string stored in an ``MLmodel`` file."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str | Sequence[dict[str, Any]]) -> Schema:
        """Parse MLflow's JSON list (a string or an already decoded list)."""
        specs = _decode_list(text, "schema")
        return cls(
            TensorSpec.from_dict(s) if s.get("type") == "tensor" else ColSpec.from_dict(s)
            for s in specs
        )

    def __iter__(self) -> Iterator[ColSpec | TensorSpec]:
        return iter(self.inputs)

    def __len__(self) -> int:
        return len(self.inputs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and self.inputs == other.inputs

    def __hash__(self) -> int:
        return hash(tuple(self.inputs))

    def __repr__(self) -> str:
        return f"Schema({self.inputs!r})"


def _decode_list(text: str | Sequence[dict[str, Any]], what: str) -> list[dict[str, Any]]:
    try:
        value = json.loads(text) if isinstance(text, str) else list(text)
    except ValueError as exc:
        raise ModelFormatError(f"The {what} is not valid JSON: {exc}") from exc
    if not isinstance(value, list) or not all(isinstance(s, dict) for s in value):
        raise ModelFormatError(f"The {what} must be a JSON list of objects; got {text!r}")
    return value


@dataclass(frozen=True)
class ParamSpec:
    """An inference parameter: name, type, default, and ``(-1,)`` shape for lists.

    The type is a scalar :class:`DataType`, or an MLflow ``object`` type (a :class:`ComplexType`,
    whose values must be dicts and are not checked further).
    """

    name: str
    type: DataType | ComplexType
    default: Any
    shape: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.type, ComplexType):
            object.__setattr__(self, "type", _parse_data_type(self.type))
        if self.shape is not None:
            object.__setattr__(self, "shape", tuple(self.shape))
            if self.shape != (-1,):
                raise InvalidParameterError(
                    f"Param {self.name!r}: only shape None (scalar) or (-1,) (list) is supported"
                )
        if self.default is not None:
            object.__setattr__(self, "default", convert_param(self, self.default))

    def to_dict(self) -> dict[str, Any]:
        """Return MLflow's JSON dict for this param."""
        out = {
            "name": self.name,
            "default": _param_to_json(self.default),
            "shape": None if self.shape is None else list(self.shape),
        }
        if isinstance(self.type, ComplexType):
            return out | self.type.to_dict()
        return out | {"type": str(self.type)}

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> ParamSpec:
        """Build a param spec from MLflow's JSON dict."""
        try:
            shape = spec.get("shape")
            param_type = spec["type"]
            if param_type == "object":
                rest = {k: v for k, v in spec.items() if k not in ("name", "default", "shape")}
                param_type = ComplexType(json.dumps(rest))
            return cls(spec["name"], param_type, spec.get("default"), shape and tuple(shape))
        except KeyError as exc:
            raise ModelFormatError(f"Param spec {spec!r} lacks the key {exc}") from exc


def _param_to_json(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, list | tuple):
        return [_param_to_json(v) for v in value]
    return value


class ParamSchema:
    """The inference parameters a model accepts, with their defaults."""

    def __init__(self, params: Iterable[ParamSpec]) -> None:
        self.params: list[ParamSpec] = list(params)
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise InvalidParameterError(f"Duplicate param names: {names}")

    def to_dict(self) -> list[dict[str, Any]]:
        """Return the JSON list MLflow uses."""
        return [p.to_dict() for p in self.params]

    def to_json(self) -> str:
        """Return the JSON string stored in an ``MLmodel`` file."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str | Sequence[dict[str, Any]]) -> ParamSchema:
        """Parse MLflow's JSON list (a string or an already decoded list)."""
        return cls(ParamSpec.from_dict(s) for s in _decode_list(text, "params schema"))

    def __iter__(self) -> Iterator[ParamSpec]:
        return iter(self.params)

    def __len__(self) -> int:
        return len(self.params)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ParamSchema) and self.params == other.params

    def __hash__(self) -> int:
        return hash(tuple(p.name for p in self.params))

    def __repr__(self) -> str:
        return f"ParamSchema({self.params!r})"


# ---- param values (ParamSpec checks its default with these; enforcement uses them too) ----


def convert_param(spec: ParamSpec, value: Any) -> Any:
    """Return ``value`` converted to the param's type, or raise InvalidInputError."""
    if spec.shape is None:
        return _convert_scalar(spec, value)
    if not isinstance(value, list | tuple) and not hasattr(value, "tolist"):
        raise InvalidInputError(f"Param {spec.name!r} must be a list of {spec.type}; got {value!r}")
    items = value.tolist() if hasattr(value, "tolist") else value
    return [_convert_scalar(spec, v) for v in items]


def _convert_scalar(spec: ParamSpec, value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        value = value.item()
    target = spec.type
    ok: bool
    if isinstance(target, ComplexType):
        ok = isinstance(value, Mapping)
    elif target is DataType.boolean:
        ok = isinstance(value, bool)
    elif target in (DataType.integer, DataType.long):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif target in (DataType.float, DataType.double):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif target is DataType.string:
        ok = isinstance(value, str)
    elif target is DataType.binary:
        ok = isinstance(value, bytes)
        if isinstance(value, str):
            value, ok = value.encode(), True
    else:
        value, ok = _to_datetime(value)
    if not ok:
        raise InvalidInputError(
            f"Param {spec.name!r} must be of type {target}; got {value!r} ({type(value).__name__})"
        )
    return value


def _to_datetime(value: Any) -> tuple[Any, bool]:
    if isinstance(value, dt.datetime):
        return value, True
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day), True
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value), True
        except ValueError:
            return value, False
    return value, False
