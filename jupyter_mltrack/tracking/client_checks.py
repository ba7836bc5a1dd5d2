"""Input checks at the TrackingClient boundary (ids, page sizes, metric points, param batches).

Each refusal is an :class:`~jupyter_mltrack.errors.InvalidParameterError` that names the value and
says what a valid one looks like.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from jupyter_mltrack._time import now_ms
from jupyter_mltrack._validation import (
    INT64_MAX,
    INT64_MIN,
    validate_key,
    validate_metric_value,
    validate_param_value,
    validate_step,
    validate_text,
    validate_timestamp,
)
from jupyter_mltrack.entities import Metric, Param
from jupyter_mltrack.entities.logged_model import LoggedModelMetric
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.store.base import SEARCH_MAX_RESULTS_LIMIT, MetricPoint

__all__ = [
    "check_experiment_id",
    "check_max_results",
    "check_run_id",
    "checked_metric",
    "checked_points",
    "mapping_points",
    "unique_params",
]


def check_run_id(run_id: object) -> str:
    if not isinstance(run_id, str) or not run_id.strip():
        raise InvalidParameterError(
            f"Run id must be a non-empty string such as run.info.run_id, got {run_id!r}"
        )
    return validate_text("Run id", run_id)


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


# Metric keys already accepted by validate_key. A training loop logs the same few thousand keys
# over and over; a set lookup is several times cheaper than the memoised validator's call.
_VALID_KEYS: set[str] = set()
_VALID_KEYS_LIMIT = 100_000


def _checked_key(key: str) -> str:
    key = validate_key("Metric", key)
    if len(_VALID_KEYS) >= _VALID_KEYS_LIMIT:
        _VALID_KEYS.clear()
    _VALID_KEYS.add(key)
    return key


def mapping_points(metrics: Mapping[str, object], timestamp: int, step: int) -> list[MetricPoint]:
    """Validate ``{key: value}`` logged at one (validated) timestamp and step, as points."""
    points: list[MetricPoint] = []
    append, valid = points.append, _VALID_KEYS
    for key, value in metrics.items():
        if type(key) is not str or key not in valid:
            key = _checked_key(key)
        if type(value) is not float:
            value = validate_metric_value(key, value)
        append((key, value, timestamp, step))  # type: ignore[arg-type]
    return points


def checked_points(metrics: Sequence[Metric | LoggedModelMetric]) -> list[MetricPoint]:
    """Validate metrics as :func:`checked_metric` does, in bulk and without new entities."""
    points = [(m.key, m.value, m.timestamp, m.step) for m in metrics]
    if points and _plain(points):
        return points
    return _checked_one_by_one(metrics)


def _plain(points: list[MetricPoint]) -> bool:
    """Whether every point already has a known key, a float value and int64 time and step.

    The checks run as a few C-level passes over the columns: several times cheaper than
    checking each point in a Python loop, which only the rest (ints, None, ...) needs.
    """
    keys, values, stamps, steps = zip(*points, strict=True)
    try:
        if not _VALID_KEYS.issuperset(keys):
            return False
    except TypeError:  # an unhashable key: the careful path explains what is wrong
        return False
    return (
        set(map(type, values)) == {float}
        and set(map(type, stamps)) == set(map(type, steps)) == {int}
        and INT64_MIN <= min(stamps) <= max(stamps) <= INT64_MAX
        and INT64_MIN <= min(steps) <= max(steps) <= INT64_MAX
    )


def _checked_one_by_one(metrics: Sequence[Metric | LoggedModelMetric]) -> list[MetricPoint]:
    points: list[MetricPoint] = []
    append, valid = points.append, _VALID_KEYS
    for metric in metrics:
        key, value, timestamp, step = metric.key, metric.value, metric.timestamp, metric.step
        if type(key) is not str or key not in valid:
            key = _checked_key(key)
        if type(value) is not float:
            value = validate_metric_value(key, value)
        if type(timestamp) is not int or not INT64_MIN <= timestamp <= INT64_MAX:
            timestamp = now_ms() if timestamp is None else validate_timestamp(key, timestamp)
        if type(step) is not int or not INT64_MIN <= step <= INT64_MAX:
            step = validate_step(key, step)
        append((key, value, timestamp, step))
    return points
