"""jupyter_mltrack's side of the model workloads (logging, loading + predicting, serving).

Each function mirrors the same-named one in ``mlflow_model_workloads.py``; the shared model,
data, payload and HTTP client come from ``_serving.py``.
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

#: Load + predict repetitions in one process; the median total is reported.
LOAD_CALLS = 5


def model_log(size: int) -> None:
    """Time ``sklearn.log_model`` of a 50-tree forest with an input example, in an active run."""
    import jupyter_mltrack as mlt
    import jupyter_mltrack.sklearn as mlt_sklearn

    model, features = iris_forest()
    mlt.set_experiment("bench")
    with mlt.start_run():
        start = time.perf_counter()
        info = mlt_sklearn.log_model(model, "model", input_example=features.head(5))
        ms = elapsed_ms(start)
    emit(ms, model_uri=info.model_uri)


def model_load_predict(size: int) -> None:
    """Save the forest (untimed), then time ``pyfunc.load_model`` + predicting ``size`` rows."""
    import jupyter_mltrack.pyfunc as mlt_pyfunc
    import jupyter_mltrack.sklearn as mlt_sklearn

    model, features = iris_forest()
    mlt_sklearn.save_model(model, "model", input_example=features.head(5))
    rows = predict_rows(features, size)
    loads, predicts, predictions = [], [], None
    for _ in range(LOAD_CALLS):
        start = time.perf_counter()
        loaded = mlt_pyfunc.load_model("model")
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
    """Requests/s of ``mltrack models serve`` (1 worker) for one client sending 1-row payloads."""
    figures = _serve(size)
    emit(figures["requests_per_s"], **figures)


def serve_overhead(size: int) -> None:
    """Median request latency minus the in-process predict time of the same 1-row input."""
    figures = _serve(size)
    emit(figures["overhead_ms"], **figures)


def _serve(seconds: int) -> dict[str, object]:
    import jupyter_mltrack.pyfunc as mlt_pyfunc
    import jupyter_mltrack.sklearn as mlt_sklearn

    model, features = iris_forest()
    mlt_sklearn.save_model(model, "model", input_example=features.head(5))
    loaded = mlt_pyfunc.load_model("model")
    row = features.iloc[[0]]
    time_calls(lambda: loaded.predict(row), 20)
    predict_ms = median(time_calls(lambda: loaded.predict(row), PREDICT_CALLS))
    port = free_port()
    command = [sys.executable, "-m", "jupyter_mltrack.cli.main", "models", "serve"]
    command += ["-m", "model", "--port", str(port), "--workers", "1"]
    env = dict(os.environ)
    return run_serving(command, env, port, one_row_payload(features), predict_ms, seconds)


def _counts(predictions: object) -> dict[str, int]:
    import numpy as np

    values, counts = np.unique(np.asarray(predictions), return_counts=True)
    return {str(v): int(c) for v, c in zip(values, counts, strict=True)}


def model_log_warm(size: int) -> None:
    """Log the forest once (untimed: one-time imports), then time ``size`` more log_model calls."""
    import jupyter_mltrack as mlt
    import jupyter_mltrack.sklearn as mlt_sklearn

    model, features = iris_forest()
    timings = []
    mlt.set_experiment("bench")
    with mlt.start_run():
        for index in range(size + 1):
            name = f"model_{index}"
            start = time.perf_counter()
            mlt_sklearn.log_model(model, name, input_example=features.head(5))
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
