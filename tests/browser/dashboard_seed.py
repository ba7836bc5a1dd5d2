"""A small, realistic store for the browser tests, built with the public API only.

Two experiments with runs that have params, metric histories and tags, and a registered model
with two versions of a real scikit-learn model logged as run artifacts; and, shaped like the
``make demo`` store, a sweep experiment (a parent run recording ``roc_auc``/max and six trials
over learning rate and depth) whose model is in Production, replacing an earlier version.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from jupyter_mltrack import Metric, Param, RegistryClient, RunTag, TrackingClient
from jupyter_mltrack.tracking.tags import PARENT_RUN_ID

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
# The demo-like sweep: (trial, learning_rate, max_depth, roc_auc, accuracy). By roc_auc (the
# sweep's metric) trial-4 is best and trial-2 the runner-up; by accuracy (alphabetically first,
# what the dashboard used to rank by) trial-5 would be "best".
SWEEP_EXPERIMENT = "demo-sweep"
SWEEP_MODEL = "demo-breast-cancer"
SWEEP_TRIALS = (
    ("trial-0", 0.05, 2, 0.9712, 0.9386),
    ("trial-1", 0.05, 3, 0.9801, 0.9474),
    ("trial-2", 0.1, 2, 0.9893, 0.9561),
    ("trial-3", 0.1, 3, 0.9847, 0.9474),
    ("trial-4", 0.2, 2, 0.9934, 0.9561),
    ("trial-5", 0.2, 3, 0.9868, 0.9649),
)
SWEEP_BEST, SWEEP_RUNNER_UP, SWEEP_PREVIOUS = "trial-4", "trial-2", "trial-1"
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
    run_ids.update(seed_sweep(client, registry))
    return SeededStore(uri, experiment_id, run_ids, MODEL_NAME, versions)


def seed_sweep(client: TrackingClient, registry: RegistryClient) -> dict[str, str]:
    """Log the demo-like sweep and its model versions; return run ids by run name."""
    experiment_id = client.create_experiment(SWEEP_EXPERIMENT)
    start = T0_MS + 3_600_000
    parent = client.create_run(
        experiment_id, run_name="sweep-notebooks-main", start_time=start,
        tags={"mltrack.sweep": "grid"},
    ).info.run_id  # fmt: skip
    params = {"sweep.metric": "roc_auc", "sweep.mode": "max", "sweep.n_trials": "6"}
    client.log_batch(parent, params=[Param(key=k, value=v) for k, v in params.items()])
    run_ids = {"sweep-notebooks-main": parent}
    for n, (name, rate, depth, auc, acc) in enumerate(SWEEP_TRIALS):
        t = start + (n + 1) * 20_000
        run_id = client.create_run(
            experiment_id, run_name=name, start_time=t, tags={PARENT_RUN_ID: parent}
        ).info.run_id
        values = {"roc_auc": auc, "accuracy": acc, "log_loss": 1.2 - auc, "false_positives": 9 - n}
        client.log_batch(
            run_id,
            metrics=[Metric(key=k, value=v, timestamp=t, step=0) for k, v in values.items()],
            params=[
                Param(key="learning_rate", value=str(rate)),
                Param(key="max_depth", value=str(depth)),
                Param(key="n_estimators", value="100"),
            ],
        )
        client.set_terminated(run_id, end_time=t + 15_000)
        run_ids[name] = run_id
    client.log_metric(parent, "best_roc_auc", SWEEP_TRIALS[4][3])
    client.set_terminated(parent, end_time=start + 140_000)
    registry.create_registered_model(
        SWEEP_MODEL, description="Gradient boosting on the **breast cancer** data set."
    )
    for name in (SWEEP_PREVIOUS, SWEEP_BEST):
        registry.create_model_version(SWEEP_MODEL, f"runs:/{run_ids[name]}/model", run_ids[name])
    registry.transition_model_version_stage(SWEEP_MODEL, 1, "Production")
    registry.transition_model_version_stage(
        SWEEP_MODEL, 2, "Production", archive_existing_versions=True
    )
    registry.set_registered_model_alias(SWEEP_MODEL, "champion", 2)
    return run_ids


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
