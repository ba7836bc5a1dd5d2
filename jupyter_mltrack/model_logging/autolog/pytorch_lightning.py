"""What PyTorch Lightning autologging logs during one ``Trainer.fit``, as MLflow's callback does.

A :class:`FitSession` lives for one ``fit``: a Lightning callback (a subclass of the trainer's own
package's ``Callback``, so ``lightning.pytorch`` and ``pytorch_lightning`` both accept it) calls
it at the training hooks. Every hook goes through :meth:`FitSession.safe`, so a logging failure is
a warning and never stops training.

Logged, with MLflow's names: params ``epochs``, ``optimizer_name`` and the first optimizer's
defaults (``lr``, ``betas``, ...), the module's ``hparams``, the early-stopping callback's
``monitor``/``mode``/``patience``/``min_delta``/``stopped_epoch``; metrics of
``trainer.callback_metrics`` per epoch (step = epoch) and per step with ``log_every_n_step``
(step = global step); after training the metrics ``stopped_epoch``, ``restored_epoch``,
``best_score``, ``wait_count`` when early stopping stopped the run; ``model_summary.txt``;
checkpoints under ``checkpoints/`` (``checkpoint=True``).
"""

from __future__ import annotations

import importlib
import logging
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from jupyter_mltrack.tracking.active import ActiveRun, current_run

__all__ = ["FitConfig", "FitSession", "callback_class"]

logger = logging.getLogger("jupyter_mltrack.autolog")

LATEST_CHECKPOINT_TAG = "mlflow.latest_checkpoint_artifact"
_EARLY_STOP_PARAMS = ("monitor", "mode", "patience", "min_delta", "stopped_epoch")
_callback_classes: dict[str, type] = {}


@dataclass(slots=True)
class FitConfig:
    """The autolog options a fit reads (MLflow's names)."""

    log_every_n_epoch: int = 1
    log_every_n_step: int | None = None
    log_models: bool = True
    log_input_examples: bool = False
    log_model_signatures: bool = True
    silent: bool = False
    registered_model_name: str | None = None
    checkpoint: bool = True
    checkpoint_monitor: str = "val_loss"
    checkpoint_mode: str = "min"
    checkpoint_save_best_only: bool = True
    checkpoint_save_weights_only: bool = False
    checkpoint_save_freq: str | int = "epoch"


class FitSession:
    """State of one autologged ``Trainer.fit``: which metrics go by step, the first batch, ..."""

    def __init__(self, run: ActiveRun, config: FitConfig, package: ModuleType) -> None:
        self.run = run
        self.config = config
        self.package = package
        self.step_metrics: set[str] = set()
        self.epoch_metrics: set[str] = set()
        self.steps_per_batch = 1
        self.example: tuple[Any, Any] | None = None  # (first input, its output) as numpy
        self.restore_forward: Callable[[], None] | None = None
        self.best_checkpoint_value: float | None = None
        self.warned: set[str] = set()

    # -- plumbing ----------------------------------------------------------------------------
    def safe(self, what: str, func: Callable[..., Any], *args: Any) -> Any:
        """Call ``func``; a failure becomes a warning (a debug line when ``silent``)."""
        try:
            return func(*args)
        except Exception as exc:
            level = logging.DEBUG if self.config.silent else logging.WARNING
            logger.log(level, "pytorch autologging could not %s: %s", what, exc, exc_info=True)
            return None

    def warn_once(self, key: str, message: str) -> None:
        if key not in self.warned and not self.config.silent:
            self.warned.add(key)
            logger.warning(message)

    def _ours(self) -> bool:
        return current_run() is self.run

    def log_params(self, params: Mapping[str, Any]) -> None:
        from jupyter_mltrack.model_logging.autolog.sklearn_records import param_strings
        from jupyter_mltrack.tracking.fluent_logging import log_params

        if not self._ours():
            return
        fresh = {
            key: value
            for key, value in param_strings(params).items()
            if self.run.params.get(key, value) == value  # never a second value for a key
        }
        log_params(fresh)

    def log_metrics(self, metrics: Mapping[str, Any], step: int) -> None:
        from jupyter_mltrack.tracking.fluent_logging import log_metrics

        if self._ours() and metrics:
            log_metrics({key: float(value) for key, value in metrics.items()}, step=step)

    # -- hooks -------------------------------------------------------------------------------
    def on_fit_start(self, trainer: Any) -> None:
        """Early-stopping params, before training (MLflow logs them at fit start)."""
        stopper = early_stopping(trainer, self.package)
        if stopper is not None:
            self.log_params(
                {p: getattr(stopper, p) for p in _EARLY_STOP_PARAMS if hasattr(stopper, p)}
            )

    def on_train_start(self, trainer: Any, module: Any) -> None:
        from jupyter_mltrack.tracking.fluent_logging import set_tag

        if self._ours():
            set_tag("Mode", "training")
        params: dict[str, Any] = dict(getattr(module, "hparams", None) or {})
        params["epochs"] = trainer.max_epochs
        optimizers = list(getattr(trainer, "optimizers", None) or [])
        if optimizers:
            self.steps_per_batch = len(optimizers)  # Lightning steps global_step per optimizer
            optimizer = getattr(optimizers[0], "_optimizer", optimizers[0])
            params["optimizer_name"] = type(optimizer).__name__
            params.update(getattr(optimizer, "defaults", None) or {})
        self.log_params(params)
        if self.config.log_models and (
            self.config.log_model_signatures or self.config.log_input_examples
        ):
            self._capture_first_batch(trainer.strategy.lightning_module)

    def _capture_first_batch(self, module: Any) -> None:
        """Wrap ``forward`` until it has seen one batch, to infer the model's signature."""
        original = module.forward

        def forward(*inputs: Any, **kwargs: Any) -> Any:
            result = original(*inputs, **kwargs)
            if self.example is None:
                self.safe("capture the first batch", self._keep_example, inputs, result)
                self.safe("restore forward", self._restore_forward)
            return result

        module.forward = forward
        self.restore_forward = lambda: module.__dict__.pop("forward", None)

    def _keep_example(self, inputs: tuple[Any, ...], result: Any) -> None:
        import torch

        tensors = len(inputs) == 1 and isinstance(inputs[0], torch.Tensor)
        if tensors and isinstance(result, torch.Tensor):
            self.example = (
                inputs[0].detach().cpu().numpy()[:5],
                result.detach().cpu().numpy()[:5],
            )

    def _restore_forward(self) -> None:
        if self.restore_forward is not None:
            self.restore_forward()
            self.restore_forward = None

    def on_train_batch_end(self, trainer: Any) -> None:
        every = self.config.log_every_n_step
        if not every or trainer.sanity_checking:
            return
        # Forked metrics ("loss" with "loss_step"/"loss_epoch") are epoch metrics under the
        # plain name: only the step-only names go by step, as in MLflow.
        metrics = trainer.callback_metrics
        items = {
            name: value
            for name, value in metrics.items()
            if name not in self.epoch_metrics and f"{name}_step" not in metrics
        }
        self.step_metrics.update(items)
        step = trainer.global_step
        if ((step // self.steps_per_batch) + 1) % every == 0:
            self.log_metrics(items, step)

    def on_train_epoch_end(self, trainer: Any, module: Any) -> None:
        if trainer.sanity_checking:
            return
        items = {
            name: value
            for name, value in trainer.callback_metrics.items()
            if name not in self.step_metrics
        }
        self.epoch_metrics.update(items)
        if (module.current_epoch + 1) % max(1, self.config.log_every_n_epoch) == 0:
            self.log_metrics(items, module.current_epoch)
        if self.config.checkpoint and self.config.checkpoint_save_freq == "epoch":
            self.save_checkpoint(trainer)

    # -- after training ----------------------------------------------------------------------
    def log_early_stopping(self, trainer: Any) -> None:
        stopper = early_stopping(trainer, self.package)
        if stopper is None or not getattr(stopper, "stopped_epoch", 0):
            return
        metrics = {
            "stopped_epoch": stopper.stopped_epoch,
            "restored_epoch": stopper.stopped_epoch - max(1, stopper.patience),
        }
        if hasattr(stopper, "best_score"):
            metrics["best_score"] = float(stopper.best_score)
        if hasattr(stopper, "wait_count"):
            metrics["wait_count"] = stopper.wait_count
        self.log_metrics(metrics, 0)

    def log_summary(self, trainer: Any) -> None:
        from jupyter_mltrack.tracking.fluent_artifacts import log_text

        summaries = importlib.import_module(f"{self.package.__name__}.utilities.model_summary")
        summary = summaries.ModelSummary(trainer.lightning_module, max_depth=-1)
        if self._ours():
            log_text(str(summary), "model_summary.txt")

    def save_checkpoint(self, trainer: Any) -> None:
        """Log a checkpoint under ``checkpoints/`` as MLflow's checkpoint callback does."""
        from jupyter_mltrack.tracking.fluent_artifacts import log_artifact, log_dict
        from jupyter_mltrack.tracking.fluent_logging import set_tag

        config = self.config
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
        if not self._ours():
            return
        if config.checkpoint_save_best_only:
            value = metrics.get(config.checkpoint_monitor)
            if value is None:
                self.warn_once(
                    "checkpoint",
                    f"pytorch autologging logs no checkpoint: the monitored metric "
                    f"{config.checkpoint_monitor!r} is not logged (set checkpoint_monitor=...)",
                )
                return
            last = self.best_checkpoint_value
            if last is not None and (
                value >= last if config.checkpoint_mode == "min" else value <= last
            ):
                return
            self.best_checkpoint_value = value
            directory, prefix = "checkpoints", "latest_"
        else:
            directory, prefix = f"checkpoints/epoch_{trainer.current_epoch}", ""
        weights = ".weights" if config.checkpoint_save_weights_only else ""
        file_name = f"{prefix}checkpoint{weights}.pth"
        set_tag(LATEST_CHECKPOINT_TAG, f"{directory}/{file_name}")
        log_dict(
            {**metrics, "epoch": trainer.current_epoch, "global_step": trainer.global_step},
            f"{directory}/{prefix}checkpoint_metrics.json",
        )
        with tempfile.TemporaryDirectory(prefix="mltrack-ckpt-") as tmp:
            path = os.path.join(tmp, file_name)
            dump = trainer._checkpoint_connector.dump_checkpoint(
                config.checkpoint_save_weights_only
            )
            trainer.strategy.save_checkpoint(dump, path)
            log_artifact(path, directory)


def early_stopping(trainer: Any, package: ModuleType) -> Any:
    """The trainer's ``EarlyStopping`` callback, or None."""
    stopper_class = package.callbacks.EarlyStopping
    return next((c for c in trainer.callbacks if isinstance(c, stopper_class)), None)


def callback_class(package: ModuleType) -> type:
    """The autolog callback class for ``lightning.pytorch`` or ``pytorch_lightning``."""
    cached = _callback_classes.get(package.__name__)
    if cached is not None:
        return cached

    class MltrackAutologCallback(package.Callback):  # type: ignore[misc,name-defined]
        """Forwards Lightning's hooks to the fit's :class:`FitSession` (rank 0 only)."""

        def __init__(self, session: FitSession) -> None:
            self.session = session

        def on_train_start(self, trainer: Any, pl_module: Any) -> None:
            if trainer.is_global_zero:
                self.session.safe("log params", self.session.on_train_start, trainer, pl_module)

        def on_train_batch_end(self, trainer: Any, *args: Any) -> None:
            if trainer.is_global_zero:
                self.session.safe("log step metrics", self.session.on_train_batch_end, trainer)
                every = self.session.config.checkpoint_save_freq
                due = isinstance(every, int) and trainer.global_step % every == 0
                if self.session.config.checkpoint and due and trainer.global_step > 0:
                    self.session.safe("log a checkpoint", self.session.save_checkpoint, trainer)

        def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
            if trainer.is_global_zero:
                self.session.safe(
                    "log epoch metrics", self.session.on_train_epoch_end, trainer, pl_module
                )

    _callback_classes[package.__name__] = MltrackAutologCallback
    return MltrackAutologCallback
