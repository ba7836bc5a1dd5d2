"""Models meet runs: log a model as run artifacts, and load models from ``runs:/`` URIs.

This is the one module that joins :mod:`jupyter_mltrack.models` (which knows nothing about
tracking) with runs and artifacts. ``log_model`` saves the model into a temporary directory with
a flavor's ``save_model``, uploads it under ``<name>`` in the active run's artifacts (starting a
run like every ``log_*`` function), and records it in the run's ``mltrack.loggedModels`` tag so
widgets and the registry can find it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jupyter_mltrack._validation import MAX_TAG_VALUE_LENGTH, validate_artifact_path
from jupyter_mltrack.errors import InvalidParameterError

if TYPE_CHECKING:
    from jupyter_mltrack.models.mlmodel import Model
    from jupyter_mltrack.models.signature import ModelSignature
    from jupyter_mltrack.tracking.active import ActiveRun

__all__ = [
    "LOGGED_MODELS_TAG",
    "ModelInfo",
    "log_model",
    "logged_models",
]

LOGGED_MODELS_TAG = "mltrack.loggedModels"


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelInfo:
    """What ``log_model`` returns: where the model went and what it is.

    Attributes:
        model_uri: ``runs:/<run_id>/<artifact_path>``, loadable with ``pyfunc.load_model``.
        run_id: The run the model was logged to.
        artifact_path: The model's directory inside the run's artifacts.
        flavors: The ``MLmodel`` flavors and their configuration.
        signature: The model's signature, if any.
        model_uuid: The model's unique id.
        utc_time_created: When the model was saved (UTC, MLflow's format).
        registered_model_version: The registry version created with ``registered_model_name``.
    """

    model_uri: str
    run_id: str
    artifact_path: str
    flavors: dict[str, Any] = field(repr=False)
    signature: ModelSignature | None = field(repr=False)
    model_uuid: str
    utc_time_created: str
    registered_model_version: str | None = None


def log_model(
    save_fn: Callable[..., Model],
    name: str,
    *,
    registered_model_name: str | None = None,
    **save_kwargs: Any,
) -> ModelInfo:
    """Save a model with ``save_fn(path, **save_kwargs)`` and log it to the active run as ``name``.

    Args:
        save_fn: A flavor's save function taking the target directory first and returning the
            ``Model`` it wrote, e.g. ``functools.partial(sklearn.save_model, estimator)``.
        name: The artifact path of the model in the run, e.g. ``"model"``.
        registered_model_name: Also register the model under this name in the model registry.
        **save_kwargs: Passed on to ``save_fn``.

    Raises:
        InvalidParameterError: ``name`` is not a relative artifact path.

    Example:
        >>> info = log_model(partial(save_model, rf), "model")  # doctest: +SKIP
        >>> info.model_uri  # doctest: +SKIP
        'runs:/0f3c.../model'
    """
    artifact_path = validate_artifact_path(name)
    if not artifact_path:
        raise InvalidParameterError(
            f"Model name must be a relative path like 'model', got {name!r}"
        )
    run = _active_run()
    with tempfile.TemporaryDirectory(prefix="mltrack-model-") as tmp:
        local = os.path.join(tmp, "model")
        mlmodel = save_fn(local, **save_kwargs)
        mlmodel.run_id = run.run_id
        mlmodel.artifact_path = artifact_path
        mlmodel.save(local)
        from jupyter_mltrack.tracking.client_artifacts import artifact_repository

        repo = artifact_repository(run.artifact_uri, run.client.tracking_uri)
        repo.log_artifacts(local, artifact_path)
    _record_on_run(run, mlmodel, artifact_path)
    model_uri = f"runs:/{run.run_id}/{artifact_path}"
    version = None
    if registered_model_name:
        from jupyter_mltrack.registry.client import register_model

        version = register_model(model_uri, registered_model_name).version
    return ModelInfo(
        model_uri=model_uri,
        run_id=run.run_id,
        artifact_path=artifact_path,
        flavors=mlmodel.flavors,
        signature=mlmodel.signature,
        model_uuid=mlmodel.model_uuid,
        utc_time_created=mlmodel.utc_time_created,
        registered_model_version=None if version is None else str(version),
    )


def _active_run() -> ActiveRun:
    from jupyter_mltrack.tracking.active import current_run
    from jupyter_mltrack.tracking.fluent import raise_writer_error, start_run

    raise_writer_error()
    return current_run() or start_run()


def _record_on_run(run: ActiveRun, mlmodel: Model, artifact_path: str) -> None:
    entry = {
        "artifact_path": artifact_path,
        "flavors": mlmodel.flavors,
        "signature": None if mlmodel.signature is None else mlmodel.signature.to_dict(),
        "model_uuid": mlmodel.model_uuid,
        "utc_time_created": mlmodel.utc_time_created,
    }
    entries = logged_models(run.client.get_run(run.run_id).data.tags)
    entries = [e for e in entries if e.get("artifact_path") != artifact_path] + [entry]
    run.client.set_tag(run.run_id, LOGGED_MODELS_TAG, _fit_tag(entries))


def logged_models(tags: Mapping[str, str]) -> list[dict[str, Any]]:
    """Return the models recorded in a run's tags (newest last); ``[]`` if none or unreadable."""
    try:
        entries = json.loads(tags.get(LOGGED_MODELS_TAG) or "[]")
    except ValueError:
        return []
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _fit_tag(entries: list[dict[str, Any]]) -> str:
    """Encode ``entries``; over the tag size limit, drop old signatures, then old entries."""
    entries = [dict(e) for e in entries]
    text = json.dumps(entries, separators=(",", ":"))
    for entry in entries[:-1]:
        if len(text) <= MAX_TAG_VALUE_LENGTH:
            break
        entry["signature"] = None
        text = json.dumps(entries, separators=(",", ":"))
    while len(text) > MAX_TAG_VALUE_LENGTH and len(entries) > 1:
        entries.pop(0)
        text = json.dumps(entries, separators=(",", ":"))
    if len(text) > MAX_TAG_VALUE_LENGTH:
        entries[-1]["signature"] = None
        entries[-1]["flavors"] = {name: {} for name in entries[-1]["flavors"]}
        text = json.dumps(entries, separators=(",", ":"))
    return text
