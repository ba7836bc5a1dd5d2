"""What ``mlt.autolog()`` adds to a small training, per library (issue 18; jupyter_mltrack only).

Each ``autolog_overhead_<library>`` workload trains the same small model ``size`` times with
autologging off, ``size`` times on (``mlt.autolog()`` with its defaults: params, metrics,
artifacts and the model; each training outside any run, so it gets a run of its own) and ``size``
times on with ``log_models=False``, rotating the order so drift on a shared machine hits every
side alike. It emits the median milliseconds autologging adds per training; the details give
the ratio on/off, what is added without logging the model, and every timing. One untimed
training per side first pays for imports and patching.

- ``autolog_overhead_sklearn``: ``RandomForestClassifier(n_estimators=50)`` on iris.
- ``autolog_overhead_xgboost``: ``xgboost.train``, 50 rounds, 1,000 x 10, one eval set.
- ``autolog_overhead_lightgbm``: ``lightgbm.train``, 50 rounds, 1,000 x 10, one valid set.
- ``autolog_overhead_lightning``: Lightning ``Trainer.fit``, 2 epochs of a tiny linear model.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from _common import elapsed_ms, emit, median, progress


def _require(module: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        sys.exit(f"{module} is not installed: pip install -e '.[dev]'")


def _measure(library: str, train: Callable[[], object], pairs: int) -> None:
    import jupyter_mltrack as mlt

    mlt.set_experiment("bench")
    sides: dict[str, list[float]] = {"off": [], "on": [], "on_without_model": []}
    settings = {
        "off": {"disable": True},
        "on": {},
        "on_without_model": {"log_models": False},
    }
    for name in sides:  # warm-up per side: imports, patching, the store, the flavor's imports
        mlt.autolog(**settings[name])  # type: ignore[arg-type]
        train()
    for pair in range(pairs):
        # Rotate the order so drift on a shared machine hits every side alike.
        order = list(sides)[pair % 3 :] + list(sides)[: pair % 3]
        for name in order:
            mlt.autolog(**settings[name])  # type: ignore[arg-type]
            start = time.perf_counter()
            train()
            sides[name].append(elapsed_ms(start))
        progress(f"{library}: round {pair + 1}/{pairs}")
    mlt.autolog(disable=True)
    off_ms, on_ms = median(sides["off"]), median(sides["on"])
    emit(
        on_ms - off_ms,
        library=library,
        off_ms=off_ms,
        on_ms=on_ms,
        ratio=on_ms / off_ms,
        added_without_model_ms=median(sides["on_without_model"]) - off_ms,
        timings_ms=sides,
        runs_logged=len(mlt.search_runs(output_format="list")),
    )


def autolog_overhead_sklearn(size: int) -> None:
    """Median ms autologging adds to fitting a 50-tree forest on iris."""
    _require("sklearn")
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    X, y = load_iris(return_X_y=True, as_frame=True)

    def train() -> object:
        return RandomForestClassifier(n_estimators=50, random_state=0).fit(X, y)

    _measure("sklearn", train, size)


def _tabular() -> tuple[Any, Any]:
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 10))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.5, size=1000) > 0).astype(int)
    return X, y


def autolog_overhead_xgboost(size: int) -> None:
    """Median ms autologging adds to 50 rounds of ``xgboost.train`` with one eval set."""
    _require("xgboost")
    import xgboost as xgb

    X, y = _tabular()
    params = {"objective": "binary:logistic", "max_depth": 3, "nthread": 1}

    def train() -> object:
        dtrain = xgb.DMatrix(X, label=y)
        evals = [(dtrain, "train")]
        return xgb.train(params, dtrain, num_boost_round=50, evals=evals, verbose_eval=False)

    _measure("xgboost", train, size)


def autolog_overhead_lightgbm(size: int) -> None:
    """Median ms autologging adds to 50 rounds of ``lightgbm.train`` with one valid set."""
    _require("lightgbm")
    import lightgbm as lgb

    X, y = _tabular()
    params = {"objective": "binary", "verbose": -1, "num_threads": 1}

    def train() -> object:
        data = lgb.Dataset(X, label=y)
        return lgb.train(params, data, num_boost_round=50, valid_sets=[data])

    _measure("lightgbm", train, size)


def autolog_overhead_lightning(size: int) -> None:
    """Median ms autologging adds to a 2-epoch Lightning ``fit`` of a tiny linear model."""
    _require("lightning")
    import lightning as L
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    class Tiny(L.LightningModule):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.save_hyperparameters({"lr": 0.05})
            self.layer = torch.nn.Linear(4, 1)

        def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], _: int) -> torch.Tensor:
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.layer(x), y)
            self.log("train_loss", loss, on_epoch=True, on_step=False)
            return loss

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.SGD(self.parameters(), lr=0.05)

    torch.manual_seed(0)
    x = torch.randn(64, 4)
    data = DataLoader(TensorDataset(x, x.sum(dim=1, keepdim=True)), batch_size=16)

    def train() -> object:
        trainer = L.Trainer(
            max_epochs=2,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            accelerator="cpu",
        )
        trainer.fit(Tiny(), data)
        return trainer

    _measure("lightning", train, size)
