"""Models and types shared by the scoring-server tests (a plain module: conftest names collide)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from jupyter_mltrack.pyfunc import PythonModel

#: ``serve_model(model_dir_or_loaded_model, **create_scoring_app_options) -> base URL``
ServerFactory = Callable[..., str]


class FrameModel(PythonModel):
    """Returns a DataFrame: the first input column and a constant string column."""

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return pd.DataFrame({"a": model_input.iloc[:, 0], "b": ["x"] * len(model_input)})


class SeriesModel(PythonModel):
    """Returns a named Series: the first column times the ``k`` param (default 1)."""

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        k = (params or {}).get("k", 1)
        return pd.Series(model_input.iloc[:, 0].to_numpy() * k, name="s")


class FailingModel(PythonModel):
    """Raises from predict, as a buggy model would."""

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        raise RuntimeError("the model is broken")
