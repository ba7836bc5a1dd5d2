"""The MLflow-compatible model format: ``MLmodel`` files, signatures and input checks.

Importing this package is cheap: numpy and pandas are imported by the functions that need them.
"""

from __future__ import annotations

from jupyter_mltrack.models.mlmodel import Model
from jupyter_mltrack.models.serving import validate_serving_input
from jupyter_mltrack.models.signature import ModelSignature, infer_signature
from jupyter_mltrack.models.types import (
    ColSpec,
    DataType,
    ParamSchema,
    ParamSpec,
    Schema,
    TensorSpec,
)

__all__ = [
    "ColSpec",
    "DataType",
    "Model",
    "ModelSignature",
    "ParamSchema",
    "ParamSpec",
    "Schema",
    "TensorSpec",
    "infer_signature",
    "validate_serving_input",
]
