"""Input checks at the TrackingClient boundary (ids, page sizes, metric points, param batches).

Each refusal is an :class:`~jupyter_mltrack.errors.InvalidParameterError` that names the value and
says what a valid one looks like.
"""

from __future__ import annotations

from collections.abc import Sequence

from jupyter_mltrack._time import now_ms
from jupyter_mltrack._validation import (
    validate_key,
    validate_metric_value,
    validate_param_value,
    validate_step,
    validate_timestamp,
)
from jupyter_mltrack.entities import Metric, Param
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.store.base import SEARCH_MAX_RESULTS_LIMIT

__all__ = [
    "check_experiment_id",
    "check_max_results",
    "check_run_id",
    "checked_metric",
    "unique_params",
]


def check_run_id(run_id: object) -> str:
    if not isinstance(run_id, str) or not run_id.strip():
        raise InvalidParameterError(
            f"Run id must be a non-empty string such as run.info.run_id, got {run_id!r}"
        )
    return run_id


def check_experiment_id(experiment_id: object) -> str:
    if isinstance(experiment_id, int) and not isinstance(experiment_id, bool):
        return str(experiment_id)
    if not isinstance(experiment_id, str) or not experiment_id.strip():
        raise InvalidParameterError(
            f"Experiment id must be a non-empty string such as experiment.experiment_id, "
            f"got {experiment_id!r}"
        )
    return experiment_id


def check_max_results(max_results: object) -> int:
    if (
        not isinstance(max_results, int)
        or isinstance(max_results, bool)
        or not 0 < max_results <= SEARCH_MAX_RESULTS_LIMIT
    ):
        raise InvalidParameterError(
            f"max_results must be an integer between 1 and {SEARCH_MAX_RESULTS_LIMIT}, "
            f"got {max_results!r}"
        )
    return max_results


def checked_metric(key: str, value: object, timestamp: object, step: object) -> Metric:
    key = validate_key("Metric", key)
    return Metric(
        key=key,
        value=validate_metric_value(key, value),
        timestamp=now_ms() if timestamp is None else validate_timestamp(key, timestamp),
        step=validate_step(key, step),
    )


def unique_params(params: Sequence[Param]) -> list[Param]:
    seen: dict[str, str] = {}
    for param in params:
        key = validate_key("Param", param.key)
        value = validate_param_value(key, param.value)
        if seen.setdefault(key, value) != value:
            raise InvalidParameterError(
                f"Param {key!r} appears twice in one batch with different values "
                f"{seen[key]!r} and {value!r}; a param has one value per run"
            )
    return [Param(key=k, value=v) for k, v in seen.items()]
