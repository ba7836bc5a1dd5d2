"""Fit a ridge regression on a CSV (columns x1, x2, ..., y) and log it: plain MLflow-style code.

Run as a project entry point, the process finds its run in the environment (MLTRACK_RUN_ID,
and MLFLOW_RUN_ID when the tracking store is an mltrack server), so ``start_run()`` resumes the
project run instead of creating another one. The same file works unchanged with MLflow.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

if os.environ.get("MLFLOW_TRACKING_URI"):  # set when the store is an mltrack server
    try:
        import mlflow  # unchanged MLflow code logs into the project run through the server
    except ImportError:
        import jupyter_mltrack as mlflow
else:
    import jupyter_mltrack as mlflow  # the same fluent API


def fit_ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    """Closed-form ridge regression with an unpenalised intercept (first coefficient)."""
    design = np.hstack([np.ones((len(x), 1)), x])
    penalty = alpha * np.eye(design.shape[1])
    penalty[0, 0] = 0.0
    coef: np.ndarray = np.linalg.solve(design.T @ design + penalty, design.T @ y)
    return coef


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True, help="CSV with a header; the last column is y")
    parser.add_argument("--alpha", type=float, default=0.1)
    args = parser.parse_args()
    table = np.loadtxt(args.data, delimiter=",", skiprows=1)
    x, y = table[:, :-1], table[:, -1]
    split = int(len(y) * 0.8)
    with mlflow.start_run():
        coef = fit_ridge(x[:split], y[:split], args.alpha)
        pred = np.hstack([np.ones((len(y) - split, 1)), x[split:]]) @ coef
        rmse = float(np.sqrt(np.mean((pred - y[split:]) ** 2)))
        mlflow.log_param("rows", len(y))
        mlflow.log_metric("rmse", rmse)
        mlflow.log_dict({"coefficients": coef.tolist()}, "model/coefficients.json")
        print(f"alpha={args.alpha} rmse={rmse:.4f} coefficients={np.round(coef, 3).tolist()}")


if __name__ == "__main__":
    main()
