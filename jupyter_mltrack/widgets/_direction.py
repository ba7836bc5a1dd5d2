"""Which way is better for a metric: ``"max"`` (accuracy, roc_auc) or ``"min"`` (loss, errors).

The comparison colours a change green when it is an improvement, so the direction must be right
for every metric the project logs itself (``evaluate()``: ``false_positives``, ``log_loss``,
``mean_squared_error``, ...; sklearn autologging: ``training_log_loss``, ...). It is decided by,
first to last:

1. a direction the user declared: ``RunComparison(..., directions={"fp_cost": "min"})`` or
   :func:`declare_direction`, remembered while the kernel lives;
2. a tag on the run or its experiment: ``mltrack.metricDirection.<key>`` = ``min`` or ``max``
   (:func:`direction_tag` gives the key), so the code that logs a metric can say which way is
   better: ``mlt.set_tag("mltrack.metricDirection.fp_cost", "min")``;
3. the metric's name: words such as ``loss``, ``error``, ``false_positives``, ``mse``,
   ``latency`` mean lower is better; anything else higher is better.

Counts that are neither good nor bad (``example_count``, ``sum_on_target``) are *neutral*:
:func:`metric_sense` returns None for them and their changes are not coloured.

Example:
    >>> metric_direction("false_positives")
    'min'
    >>> metric_direction("roc_auc")
    'max'
    >>> metric_direction("roc_auc", declared={"roc_auc": "min"})
    'min'
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from typing import Literal

from jupyter_mltrack.errors import InvalidParameterError

__all__ = [
    "DIRECTION_TAG_PREFIX",
    "Direction",
    "declare_direction",
    "declared_directions",
    "direction_tag",
    "kernel_directions",
    "metric_direction",
    "metric_sense",
    "parse_direction",
]

Direction = Literal["min", "max"]

#: Tag key prefix (on a run or an experiment) declaring a metric's direction: ``<prefix><key>``.
DIRECTION_TAG_PREFIX = "mltrack.metricDirection."

# Words (whole tokens of the key) that mean "lower is better".
_LOWER_WORDS = frozenset(
    {
        *("loss", "losses", "logloss", "nll", "err", "error", "errors", "misclassified"),
        *("mse", "rmse", "mae", "mape", "smape", "msle", "rmsle", "wer", "cer"),
        *("fpr", "fnr", "fdr", "miss", "misses", "perplexity", "brier", "regret", "cost"),
        *("latency", "duration", "time", "seconds", "runtime", "distance", "divergence", "kl"),
        *("gap", "drift"),
    }
)
# Two-token phrases that mean "lower is better" (false_positives, false_negative_rate, ...).
_LOWER_PAIRS = frozenset({("false", "positives"), ("false", "positive"), ("false", "negatives")})
_LOWER_PAIRS |= {("false", "negative"), ("false", "alarms"), ("fit", "time"), ("log", "loss")}
# Keys whose size says nothing about quality: their changes are shown uncoloured.
_NEUTRAL = re.compile(
    r"(^|_)(example_count|sum_on_target|mean_on_target|count|n_samples|epoch|epochs|step|steps|"
    r"lr|learning_rate)$"
)
_TOKEN = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_ALIASES = {"min": "min", "minimize": "min", "lower": "min", "down": "min"}
_ALIASES |= {"max": "max", "maximize": "max", "higher": "max", "up": "max"}

# Directions declared by the user in this kernel (``directions=`` of a comparison), by key.
_DECLARED: dict[str, Direction] = {}


def parse_direction(value: str) -> Direction:
    """Read ``"min"``/``"max"`` (also ``minimize``, ``lower``, ``maximize``, ``higher``).

    Raises:
        InvalidParameterError: Any other value.
    """
    found = _ALIASES.get(str(value).strip().lower())
    if found is None:
        raise InvalidParameterError(
            f"A metric direction is 'min' (lower is better) or 'max' (higher is better), "
            f"got {value!r}"
        )
    return "min" if found == "min" else "max"


def direction_tag(key: str) -> str:
    """The run/experiment tag key that declares the direction of metric ``key``."""
    return f"{DIRECTION_TAG_PREFIX}{key}"


def declare_direction(key: str, direction: str) -> Direction:
    """Remember, while the kernel lives, which way is better for metric ``key``.

    Raises:
        InvalidParameterError: A direction other than min/max.
    """
    parsed = parse_direction(direction)
    _DECLARED[key] = parsed
    return parsed


def kernel_directions() -> dict[str, Direction]:
    """The directions declared with :func:`declare_direction` in this kernel, by metric key."""
    return dict(_DECLARED)


def declared_directions(*tag_sets: Mapping[str, str]) -> dict[str, Direction]:
    """Collect the directions declared by ``mltrack.metricDirection.<key>`` tags.

    Earlier tag sets win (pass the run's tags before its experiment's); values that are not a
    direction are ignored rather than failing a whole comparison over one odd tag.
    """
    found: dict[str, Direction] = {}
    for tags in tag_sets:
        for name, value in tags.items():
            key = name.removeprefix(DIRECTION_TAG_PREFIX)
            if key == name or not key or key in found:
                continue
            try:
                found[key] = parse_direction(value)
            except InvalidParameterError:
                continue
    return found


def _tokens(key: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(key)]


def _pairs(tokens: Iterable[str]) -> set[tuple[str, str]]:
    tokens = list(tokens)
    return set(itertools.pairwise(tokens))


def _name_says_lower(key: str) -> bool:
    tokens = _tokens(key)
    return bool(_LOWER_WORDS.intersection(tokens) or _LOWER_PAIRS & _pairs(tokens))


def metric_sense(key: str, *, declared: Mapping[str, str] | None = None) -> Direction | None:
    """Return ``"min"``/``"max"`` for metric ``key``, or None when its changes are neutral.

    Args:
        key: The metric key, e.g. ``"val_loss"`` or ``"eval/false_positives"``.
        declared: Directions declared for this use (a comparison's ``directions=``, tags read
            with :func:`declared_directions`); they win over the kernel's and the name's.
    """
    for source in (declared or {}, _DECLARED):
        if key in source:
            return parse_direction(source[key])
    if _name_says_lower(key):
        return "min"
    base = key.rsplit("/", 1)[-1].lower()
    return None if _NEUTRAL.search(base) else "max"


def metric_direction(key: str, *, declared: Mapping[str, str] | None = None) -> Direction:
    """Return ``"min"`` when lower values of metric ``key`` are better, else ``"max"``.

    Same rules as :func:`metric_sense`; a neutral metric counts as ``"max"``.
    """
    return metric_sense(key, declared=declared) or "max"
