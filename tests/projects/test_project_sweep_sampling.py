"""The sweep's search spaces: CLI parsing, the grid and seeded random samples (pure, no kernels)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.projects.sampling import (
    Choice,
    LogUniform,
    RandInt,
    Uniform,
    grid_trials,
    parse_dimension,
    parse_space,
    random_trials,
)


def test_parse_value_lists_and_ranges() -> None:
    space = parse_space(
        ["alpha=0.1, 0.5,1.0", "u=uniform(0, 2)", "lr=loguniform(1e-4,1e-1)", "k=randint(1,5)",
         "kind=choice(a, b)"]
    )  # fmt: skip
    assert space == {
        "alpha": Choice(("0.1", "0.5", "1.0")),
        "u": Uniform(0.0, 2.0),
        "lr": LogUniform(1e-4, 1e-1),
        "k": RandInt(1, 5),
        "kind": Choice(("a", "b")),
    }


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (["alpha"], "is not NAME=VALUES"),
        (["a=1", "a=2"], "given twice"),
        (["a="], "has no values"),
        (["a=uniform(2, 1)"], "low 2.0 > high 1.0"),
        (["a=loguniform(0, 1)"], "low > 0"),
        (["a=randint(0.5, 3)"], "needs integers"),
        (["a=uniform(1)"], "takes 2 values"),
        (["a=uniform(x, 1)"], "is not a number"),
    ],
)
def test_bad_spaces_name_the_parameter(pairs: list[str], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        parse_space(pairs)


def test_grid_is_the_cartesian_product() -> None:
    trials = grid_trials({"alpha": [0.1, 0.5, 1.0], "l1_ratio": "0.2,0.8"})
    assert len(trials) == 6
    assert trials[0] == {"alpha": 0.1, "l1_ratio": "0.2"}
    assert {(t["alpha"], t["l1_ratio"]) for t in trials} == {
        (a, r) for a in (0.1, 0.5, 1.0) for r in ("0.2", "0.8")
    }


def test_grid_refuses_continuous_ranges() -> None:
    with pytest.raises(InvalidParameterError, match="random sweep"):
        grid_trials({"alpha": "uniform(0, 1)"})


def test_random_needs_a_positive_count() -> None:
    with pytest.raises(InvalidParameterError, match="at least 1 trial"):
        random_trials({"a": [1]}, 0)


@given(
    seed=st.integers(0, 2**32),
    n=st.integers(1, 30),
    low=st.floats(1e-6, 10, allow_nan=False),
    width=st.floats(0, 100, allow_nan=False),
    ints=st.tuples(st.integers(-50, 50), st.integers(0, 20)),
)
def test_random_samples_are_in_range_and_reproducible(
    seed: int, n: int, low: float, width: float, ints: tuple[int, int]
) -> None:
    space = {
        "u": Uniform(low, low + width),
        "lu": LogUniform(low, low + width),
        "k": RandInt(ints[0], ints[0] + ints[1]),
        "c": ["x", "y", "z"],
    }
    trials = random_trials(space, n, seed)
    assert len(trials) == n
    assert trials == random_trials(space, n, seed)
    for trial in trials:
        assert low <= trial["u"] <= low + width
        assert low * (1 - 1e-9) <= trial["lu"] <= (low + width) * (1 + 1e-9)
        assert isinstance(trial["k"], int) and ints[0] <= trial["k"] <= ints[0] + ints[1]
        assert trial["c"] in ("x", "y", "z")


def test_different_seeds_give_different_samples() -> None:
    space = {"u": "uniform(0, 1)"}
    assert random_trials(space, 5, seed=1) != random_trials(space, 5, seed=2)


def test_loguniform_is_uniform_in_log_space() -> None:
    values = [t["lr"] for t in random_trials({"lr": "loguniform(1e-4, 1)"}, 4000, seed=0)]
    below = sum(v < 1e-2 for v in values) / len(values)  # half the log range
    assert math.isclose(below, 0.5, abs_tol=0.05)


@given(st.lists(st.text(alphabet="abc123.", min_size=1), min_size=1, max_size=6, unique=True))
def test_value_lists_round_trip(values: list[str]) -> None:
    assert parse_dimension("p", ",".join(values)) == Choice(tuple(values))
