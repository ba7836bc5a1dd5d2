"""A small, realistic store for the browser tests, built with the public API only.

Two experiments with runs that have params, metric histories and tags, and a registered model
with two versions of a real scikit-learn model logged as run artifacts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from jupyter_mltrack import Metric, Param, RegistryClient, RunTag, TrackingClient

EXPERIMENT = "churn"
OTHER_EXPERIMENT = "forecast"
MODEL_NAME = "churn-classifier"
STEPS = 30
T0_MS = 1_700_000_000_000

# (run name, model family, regularisation, final accuracy); rf runs are what the filter keeps.
CHURN_RUNS = (
    ("rf-shallow", "rf", 0.1, 0.81),
    ("rf-deep", "rf", 0.3, 0.86),
    ("rf-wide", "rf", 1.0, 0.84),
    ("lr-strong", "lr", 0.01, 0.78),
    ("lr-weak", "lr", 10.0, 0.80),
    ("gb-default", "gb", 0.5, 0.88),
)
FORECAST_RUNS = (("arima", "arima", 0.2, 0.65), ("prophet", "prophet", 0.4, 0.71))
FILTER = "params.model = 'rf'"
FILTER_MATCHES = sum(1 for run in CHURN_RUNS if run[1] == "rf")


@dataclass(frozen=True, slots=True)
class SeededStore:
    """What the tests need to know about the seeded store."""

    uri: str
    experiment_id: str
    run_ids: dict[str, str]  # run name -> run id (churn and forecast)
    model_name: str
    versions: tuple[int, ...]


def seed_store(root: Path) -> SeededStore:
    """Create the store under ``root`` and return its description."""
    root.mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{root / 'mltrack.db'}"
    client = TrackingClient(uri)
    experiment_id = client.create_experiment(EXPERIMENT)
    forecast_id = client.create_experiment(OTHER_EXPERIMENT)
    run_ids = {}
    for n, spec in enumerate(CHURN_RUNS):
        run_ids[spec[0]] = _log_run(client, experiment_id, *spec, start_ms=T0_MS + n * 60_000)
    for n, spec in enumerate(FORECAST_RUNS):
        run_ids[spec[0]] = _log_run(client, forecast_id, *spec, start_ms=T0_MS + n * 60_000)
    registry = RegistryClient(uri)
    versions = tuple(
        _register(client, registry, run_ids[name], root / f"model-{name}", c)
        for name, c in (("rf-deep", 0.3), ("gb-default", 0.5))
    )
    registry.update_registered_model(MODEL_NAME, "Predicts **churn** from account activity.")
    registry.transition_model_version_stage(MODEL_NAME, versions[0], "Staging")
    return SeededStore(uri, experiment_id, run_ids, MODEL_NAME, versions)


def _log_run(
    client: TrackingClient,
    experiment_id: str,
    name: str,
    family: str,
    reg: float,
    acc: float,
    *,
    start_ms: int,
) -> str:
    run = client.create_run(experiment_id, run_name=name, start_time=start_ms)
    run_id = run.info.run_id
    metrics = [
        Metric(key=key, value=value, timestamp=start_ms + step * 1000, step=step)
        for step in range(STEPS)
        for key, value in (
            ("accuracy", acc * (1 - math.exp(-(step + 1) / 6))),
            ("loss", (1 - acc) + math.exp(-(step + 1) / 5)),
        )
    ]
    params = [Param(key="model", value=family), Param(key="reg", value=str(reg))]
    params.append(Param(key="features", value="all" if reg < 1 else "top20"))
    tags = [RunTag(key="team", value="growth")]
    client.log_batch(run_id, metrics=metrics, params=params, tags=tags)
    client.set_terminated(run_id, end_time=start_ms + STEPS * 1000)
    return run_id


def _register(
    client: TrackingClient, registry: RegistryClient, run_id: str, folder: Path, c: float
) -> int:
    """Fit, save and log a tiny real model to the run, then register it."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from jupyter_mltrack.sklearn import save_model

    X, y = load_iris(return_X_y=True, as_frame=True)
    save_model(LogisticRegression(C=c, max_iter=300).fit(X, y), folder)
    client.log_artifacts(run_id, folder, "model")
    return int(registry.register_model(f"runs:/{run_id}/model", MODEL_NAME).version)
