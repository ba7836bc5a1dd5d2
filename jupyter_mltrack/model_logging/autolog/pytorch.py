"""Autologging for PyTorch Lightning: patch ``Trainer.fit`` of both Lightning distributions.

:func:`autolog` takes MLflow's ``mlflow.pytorch.autolog`` keywords in MLflow's order. Each
patched ``fit`` logs into the active run (a ``%%track`` cell's run) or a run of its own, adds a
callback for the training (see :mod:`.pytorch_lightning` for what is logged), then logs the
model summary, early-stopping results and the trained model (artifact ``model``, pickle format
with the signature of the first batch, as MLflow). A failure inside autologging is a warning; the
training's own result or exception is never changed.

Not done (MLflow does): ``torch.utils.tensorboard`` ``SummaryWriter`` logging and datasets
(``log_datasets`` is accepted and ignored).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import importlib.util
import logging
import sys
import threading
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from jupyter_mltrack.model_logging.autolog import _common
from jupyter_mltrack.model_logging.autolog.pytorch_lightning import (
    FitConfig,
    FitSession,
    callback_class,
)
from jupyter_mltrack.tracking.active import ActiveRun, current_run

__all__ = ["LIBRARY", "autolog", "is_enabled"]

logger = logging.getLogger("jupyter_mltrack.autolog")

LIBRARY = "pytorch"
#: The Lightning packages whose ``Trainer.fit`` is patched (both when both are installed).
PACKAGES = ("lightning.pytorch", "pytorch_lightning")
_config = FitConfig()
_extra_tags: dict[str, str] = {}
_exclusive = False
_lock = threading.Lock()


def autolog(
    log_every_n_epoch: int = 1,
    log_every_n_step: int | None = None,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    extra_tags: Mapping[str, Any] | None = None,
    checkpoint: bool = True,
    checkpoint_monitor: str = "val_loss",
    checkpoint_mode: str = "min",
    checkpoint_save_best_only: bool = True,
    checkpoint_save_weights_only: bool = False,
    checkpoint_save_freq: str | int = "epoch",
    log_model_signatures: bool = True,
    log_input_examples: bool = False,
) -> None:
    """Turn PyTorch Lightning autologging on (or off with ``disable=True``).

    The keywords are ``mlflow.pytorch.autolog``'s, in its order, plus ``log_input_examples``
    (the first rows of the first batch saved with the model) for ``jupyter_mltrack.autolog``.

    Args:
        log_every_n_epoch: Log epoch metrics every this many epochs (step = epoch).
        log_every_n_step: Also log step-only metrics every this many steps (None: never).
        log_models: Log the trained model as the ``model`` artifact.
        log_datasets: Accepted for MLflow compatibility; datasets are not logged.
        disable: Restore the original ``Trainer.fit``.
        exclusive: Do not log into runs the user started; only into runs autologging creates.
        disable_for_unsupported_versions: Accepted for MLflow compatibility (no version gate).
        silent: No warnings from autologging itself.
        registered_model_name: Register each logged model under this name.
        extra_tags: Tags for the runs autologging creates.
        checkpoint: Log checkpoints under ``checkpoints/`` during training.
        checkpoint_monitor: The metric deciding the best checkpoint.
        checkpoint_mode: ``"min"`` or ``"max"`` of ``checkpoint_monitor``.
        checkpoint_save_best_only: Keep only the best checkpoint (``checkpoints/latest_*``).
        checkpoint_save_weights_only: Checkpoint the weights only.
        checkpoint_save_freq: ``"epoch"`` or a number of steps.
        log_model_signatures: Infer the model's signature from the first training batch.
        log_input_examples: Save the first rows of the first batch as the input example.

    Example:
        >>> import jupyter_mltrack.pytorch
        >>> jupyter_mltrack.pytorch.autolog(log_every_n_step=10)  # doctest: +SKIP
        >>> trainer.fit(model, train_loader)  # doctest: +SKIP
    """
    global _config, _exclusive
    del log_datasets, disable_for_unsupported_versions  # accepted as in MLflow; nothing to do
    if disable:
        _common.unpatch(LIBRARY)
        return
    with _lock:
        _config = FitConfig(
            log_every_n_epoch=log_every_n_epoch,
            log_every_n_step=log_every_n_step,
            log_models=log_models,
            log_input_examples=log_input_examples,
            log_model_signatures=log_model_signatures,
            silent=silent,
            registered_model_name=registered_model_name,
            checkpoint=checkpoint,
            checkpoint_monitor=checkpoint_monitor,
            checkpoint_mode=checkpoint_mode,
            checkpoint_save_best_only=checkpoint_save_best_only,
            checkpoint_save_weights_only=checkpoint_save_weights_only,
            checkpoint_save_freq=checkpoint_save_freq,
        )
        _extra_tags.clear()
        _extra_tags.update({str(k): str(v) for k, v in (extra_tags or {}).items()})
        _exclusive = exclusive
    for package in _lightning_packages():
        _common.patch(LIBRARY, package.Trainer, "fit", functools.partial(_wrap, package=package))


def is_enabled() -> bool:
    """Return True while Lightning autologging is on and not suspended."""
    return LIBRARY in _common.patched_libraries() and not _common.is_suspended()


def _lightning_packages() -> list[ModuleType]:
    """The Lightning packages to patch: those imported already, else those installed.

    A package the user has not imported is imported only when nothing is imported yet, so
    turning autologging on does not pay for both Lightning distributions.
    """
    imported = [sys.modules[name] for name in PACKAGES if name in sys.modules]
    if imported:
        return imported
    found = []
    for name in PACKAGES:
        try:
            if importlib.util.find_spec(name) is not None:
                found.append(importlib.import_module(name))
        except ImportError:  # a parent package that is missing or broken
            continue
    return found


def _wrap(original: Callable[..., Any], package: ModuleType) -> Callable[..., Any]:
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _common.is_suspended() or (_exclusive and current_run() is not None):
            return original(self, *args, **kwargs)
        creates_run = current_run() is None
        with _common.training_run(LIBRARY) as run:
            if run is None:
                return original(self, *args, **kwargs)
            if creates_run and _extra_tags:
                _safely("set extra_tags", _set_tags, run, _extra_tags)
            session = FitSession(run, _copy_config(), package)
            callback = session.safe("prepare", _attach, self, session)
            try:
                result = original(self, *args, **kwargs)
            finally:
                session.safe("clean up", _detach, self, session, callback)
            session.safe("log results", _after_fit, self, session)
            return result

    return fit


def _copy_config() -> FitConfig:
    with _lock:
        return dataclasses.replace(_config)


def _safely(what: str, func: Callable[..., Any], *args: Any) -> Any:
    if _config.silent:
        try:
            return func(*args)
        except Exception as exc:
            logger.debug("pytorch autologging could not %s: %s", what, exc)
            return None
    return _common.safely(LIBRARY, what, func, *args)


def _set_tags(run: ActiveRun, tags: Mapping[str, str]) -> None:
    from jupyter_mltrack.tracking.fluent_logging import set_tags

    if current_run() is run:
        set_tags(dict(tags))


def _attach(trainer: Any, session: FitSession) -> Any:
    session.on_fit_start(trainer)
    callback = callback_class(session.package)(session)
    trainer.callbacks.append(callback)
    return callback


def _detach(trainer: Any, session: FitSession, callback: Any) -> None:
    session.safe("restore forward", session._restore_forward)
    if callback is not None and callback in trainer.callbacks:
        trainer.callbacks.remove(callback)


def _after_fit(trainer: Any, session: FitSession) -> None:
    session.safe("log early stopping", session.log_early_stopping, trainer)
    session.safe("log the model summary", session.log_summary, trainer)
    if session.config.log_models:
        session.safe("log the model", _log_model, trainer, session)


def _log_model(trainer: Any, session: FitSession) -> None:
    from jupyter_mltrack.model_logging.pytorch import log_model
    from jupyter_mltrack.models.signature import infer_signature
    from jupyter_mltrack.tracking.fluent_artifacts import log_artifact

    if current_run() is not session.run:
        session.warn_once("run", "pytorch autologging: the active run changed during fit")
        return
    config = session.config
    signature = example = None
    if session.example is not None:
        inputs, outputs = session.example
        if config.log_model_signatures:
            signature = infer_signature(inputs, outputs)
        if config.log_input_examples:
            example = inputs
    log_model(
        trainer.lightning_module,
        "model",
        registered_model_name=config.registered_model_name,
        signature=signature,
        input_example=example,
        serialization_format="pickle",
    )
    checkpoint = getattr(trainer, "checkpoint_callback", None)
    best = getattr(checkpoint, "best_model_path", None)
    stopper = session.safe("find early stopping", _stopper, trainer, session.package)
    if stopper is not None and best:
        log_artifact(best, "restored_model_checkpoint")


def _stopper(trainer: Any, package: ModuleType) -> Any:
    from jupyter_mltrack.model_logging.autolog.pytorch_lightning import early_stopping

    return early_stopping(trainer, package)
