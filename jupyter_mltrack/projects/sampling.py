"""Search spaces of a sweep: value lists, ranges, the grid and reproducible random samples.

Pure functions, no tracking: :func:`parse_space` reads the CLI's ``-P name=...`` values,
:func:`grid_trials` builds the cartesian product of value lists and :func:`random_trials` draws
``n`` samples with a seeded :class:`random.Random`, so the same seed gives the same trials.

A dimension is a value list (sampled uniformly) or one of the ranges ``uniform(a,b)``,
``loguniform(a,b)`` (``a > 0``), ``choice(x,y,...)`` and ``randint(a,b)`` (both ends included).
"""

from __future__ import annotations

import itertools
import math
import random as _random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jupyter_mltrack.errors import InvalidParameterError

__all__ = [
    "Choice",
    "Dimension",
    "LogUniform",
    "RandInt",
    "Uniform",
    "grid_trials",
    "parse_dimension",
    "parse_space",
    "random_trials",
]


@dataclass(frozen=True, slots=True)
class Uniform:
    """A float drawn uniformly from ``[low, high]``."""

    low: float
    high: float

    def sample(self, rng: _random.Random) -> float:
        """Draw one value."""
        return rng.uniform(self.low, self.high)


@dataclass(frozen=True, slots=True)
class LogUniform:
    """A float whose logarithm is uniform on ``[log(low), log(high)]`` (``low > 0``)."""

    low: float
    high: float

    def sample(self, rng: _random.Random) -> float:
        """Draw one value."""
        return math.exp(rng.uniform(math.log(self.low), math.log(self.high)))


@dataclass(frozen=True, slots=True)
class RandInt:
    """An integer drawn uniformly from ``low..high`` (both included)."""

    low: int
    high: int

    def sample(self, rng: _random.Random) -> int:
        """Draw one value."""
        return rng.randint(self.low, self.high)


@dataclass(frozen=True, slots=True)
class Choice:
    """One of ``values``, each equally likely."""

    values: tuple[Any, ...]

    def sample(self, rng: _random.Random) -> Any:
        """Draw one value."""
        return self.values[rng.randrange(len(self.values))]


Dimension = Uniform | LogUniform | RandInt | Choice
_RANGE = re.compile(r"^\s*(uniform|loguniform|randint|choice)\s*\((.*)\)\s*$", re.DOTALL)


def _number(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidParameterError(f"sweep parameter {name!r}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise InvalidParameterError(f"sweep parameter {name!r}: {text!r} is not finite")
    return value


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",")]


def parse_dimension(name: str, text: str) -> Dimension:
    """Parse one CLI value: ``a,b,c`` (a :class:`Choice`) or ``uniform(a,b)`` and friends.

    Values stay strings; the project's parameter types convert them later.

    Raises:
        InvalidParameterError: An empty value, a malformed range or ``low > high``.

    Example:
        >>> parse_dimension("alpha", "loguniform(0.001, 1)")
        LogUniform(low=0.001, high=1.0)
    """
    match = _RANGE.match(text)
    if match is None:
        values = [v for v in _split(text) if v]
        if not values:
            raise InvalidParameterError(f"sweep parameter {name!r} has no values")
        return Choice(tuple(values))
    kind, args = match.group(1), _split(match.group(2))
    if kind == "choice":
        if not any(args):
            raise InvalidParameterError(f"sweep parameter {name!r}: choice() needs values")
        return Choice(tuple(args))
    if len(args) != 2:
        raise InvalidParameterError(f"sweep parameter {name!r}: {kind}(low, high) takes 2 values")
    low, high = (_number(name, a) for a in args)
    return make_range(name, kind, low, high)


def make_range(name: str, kind: str, low: float, high: float) -> Dimension:
    """Build and check a ``uniform``/``loguniform``/``randint`` range."""
    if low > high:
        raise InvalidParameterError(f"sweep parameter {name!r}: {kind} low {low} > high {high}")
    if kind == "uniform":
        return Uniform(low, high)
    if kind == "loguniform":
        if low <= 0:
            raise InvalidParameterError(f"sweep parameter {name!r}: loguniform needs low > 0")
        return LogUniform(low, high)
    if kind == "randint":
        if low != int(low) or high != int(high):
            raise InvalidParameterError(f"sweep parameter {name!r}: randint needs integers")
        return RandInt(int(low), int(high))
    raise InvalidParameterError(f"sweep parameter {name!r}: unknown range {kind!r}")


def parse_space(pairs: Sequence[str]) -> dict[str, Dimension]:
    """Parse the CLI's ``name=values`` pairs into a search space.

    Raises:
        InvalidParameterError: A pair without ``=``, a repeated name or a bad value.

    Example:
        >>> parse_space(["alpha=0.1,0.5", "seed=randint(0, 9)"])["seed"]
        RandInt(low=0, high=9)
    """
    space: dict[str, Dimension] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InvalidParameterError(f"sweep parameter {pair!r} is not NAME=VALUES")
        if name in space:
            raise InvalidParameterError(f"sweep parameter {name!r} is given twice")
        space[name] = parse_dimension(name, text)
    return space


def _as_dimension(name: str, spec: Any) -> Dimension:
    if isinstance(spec, Uniform | LogUniform | RandInt | Choice):
        return spec
    if isinstance(spec, str):
        return parse_dimension(name, spec)
    if isinstance(spec, Sequence) and not isinstance(spec, bytes | bytearray):
        if len(spec) == 0:
            raise InvalidParameterError(f"sweep parameter {name!r} has no values")
        return Choice(tuple(spec))
    return Choice((spec,))


def grid_trials(grid: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the cartesian product of the value lists, first name varying slowest.

    A string value is parsed like the CLI's (``"0.1,0.5"``); ranges other than ``choice`` have
    no finite grid.

    Raises:
        InvalidParameterError: An empty list or a continuous range.

    Example:
        >>> grid_trials({"a": [1, 2], "b": ["x"]})
        [{'a': 1, 'b': 'x'}, {'a': 2, 'b': 'x'}]
    """
    axes: list[tuple[Any, ...]] = []
    for name, spec in grid.items():
        dim = _as_dimension(name, spec)
        if not isinstance(dim, Choice):
            raise InvalidParameterError(
                f"sweep parameter {name!r}: a grid needs value lists, not {type(dim).__name__}; "
                "use a random sweep for ranges"
            )
        axes.append(dim.values)
    names = list(grid)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*axes)]


def random_trials(
    space: Mapping[str, Any], n: int, seed: int | None = None
) -> list[dict[str, Any]]:
    """Draw ``n`` trials from ``space``; the same ``seed`` gives the same trials.

    Raises:
        InvalidParameterError: ``n < 1`` or a bad dimension.

    Example:
        >>> random_trials({"a": [1, 2, 3]}, 2, seed=0) == random_trials({"a": [1, 2, 3]}, 2, seed=0)
        True
    """
    if n < 1:
        raise InvalidParameterError(f"a random sweep needs at least 1 trial, got {n}")
    dims = {name: _as_dimension(name, spec) for name, spec in space.items()}
    rng = _random.Random(seed)
    return [{name: dim.sample(rng) for name, dim in dims.items()} for _ in range(n)]
