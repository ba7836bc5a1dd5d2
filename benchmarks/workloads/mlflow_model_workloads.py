"""MLflow's side of the model workloads (logging, loading + predicting, serving).

Each function mirrors the same-named one in ``mltrack_model_workloads.py``. MLflow's default
skops format refuses the forest's tree type unless it is trusted by hand; it is passed as
``skops_trusted_types`` (jupyter_mltrack trusts scikit-learn's own types automatically).
"""

from __future__ import annotations

import os
import sys
import time

from _common import elapsed_ms, emit, median
from _serving import (
    PREDICT_CALLS,
    free_port,
    iris_forest,
    one_row_payload,
    predict_rows,
    run_serving,
    time_calls,
)

LOAD_CALLS = 5
TRUSTED = ["sklearn.tree._tree.Tree"]


def model_log(size: int) -> None:
    """Time ``mlflow.sklearn.log_model`` of a 50-tree forest with an input example."""
    import mlflow
    import mlflow.sklearn

    model, features = iris_forest()
    mlflow.set_experiment("bench")
    with mlflow.start_run():
        start = time.perf_counter()
        info = mlflow.sklearn.log_model(
            model, name="model", input_example=features.head(5), skops_trusted_types=TRUSTED
        )
        ms = elapsed_ms(start)
    emit(ms, model_uri=info.model_uri)


def model_load_predict(size: int) -> None:
    """Save the forest (untimed), then time ``pyfunc.load_model`` + predicting ``size`` rows."""
    import mlflow.pyfunc
    import mlflow.sklearn

    model, features = iris_forest()
    mlflow.sklearn.save_model(
        model, "model", input_example=features.head(5), skops_trusted_types=TRUSTED
    )
    rows = predict_rows(features, size)
    loads, predicts, predictions = [], [], None
    for _ in range(LOAD_CALLS):
        start = time.perf_counter()
        loaded = mlflow.pyfunc.load_model("model")
        loads.append(elapsed_ms(start))
        start = time.perf_counter()
        predictions = loaded.predict(rows)
        predicts.append(elapsed_ms(start))
    totals = [a + b for a, b in zip(loads, predicts, strict=True)]
    emit(
        median(totals),
        load_ms=median(loads),
        predict_ms=median(predicts),
        totals_ms=totals,
        prediction_counts=_counts(predictions),
    )


def serve_requests(size: int) -> None:
    """Requests/s of ``mlflow models serve`` (1 worker) for one client sending 1-row payloads."""
    figures = _serve(size)
    emit(figures["requests_per_s"], **figures)


def serve_overhead(size: int) -> None:
    """Median request latency minus the in-process predict time of the same 1-row input."""
    figures = _serve(size)
    emit(figures["overhead_ms"], **figures)


def _serve(seconds: int) -> dict[str, object]:
    import mlflow.pyfunc
    import mlflow.sklearn

    model, features = iris_forest()
    mlflow.sklearn.save_model(
        model, "model", input_example=features.head(5), skops_trusted_types=TRUSTED
    )
    loaded = mlflow.pyfunc.load_model("model")
    row = features.iloc[[0]]
    time_calls(lambda: loaded.predict(row), 20)
    predict_ms = median(time_calls(lambda: loaded.predict(row), PREDICT_CALLS))
    port = free_port()
    bin_dir = os.path.dirname(sys.executable)
    command = [os.path.join(bin_dir, "mlflow"), "models", "serve", "-m", "model"]
    command += ["--env-manager", "local", "-p", str(port), "-w", "1"]
    # The CLI starts `uvicorn` by name, so the venv's bin directory must be on PATH.
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    return run_serving(command, env, port, one_row_payload(features), predict_ms, seconds)


def _counts(predictions: object) -> dict[str, int]:
    import numpy as np

    values, counts = np.unique(np.asarray(predictions), return_counts=True)
    return {str(v): int(c) for v, c in zip(values, counts, strict=True)}


def model_log_warm(size: int) -> None:
    """Log the forest once (untimed: one-time imports), then time ``size`` more log_model calls."""
    import mlflow
    import mlflow.sklearn

    model, features = iris_forest()
    timings = []
    mlflow.set_experiment("bench")
    with mlflow.start_run():
        for index in range(size + 1):
            name = f"model_{index}"
            start = time.perf_counter()
            mlflow.sklearn.log_model(
                model, name=name, input_example=features.head(5), skops_trusted_types=TRUSTED
            )
            if index:
                timings.append(elapsed_ms(start))
    emit(median(timings), calls_ms=timings)


MODEL_WORKLOADS = {
    "model_log": model_log,
    "model_log_warm": model_log_warm,
    "model_load_predict": model_load_predict,
    "serve_requests": serve_requests,
    "serve_overhead": serve_overhead,
}
