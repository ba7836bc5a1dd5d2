"""Hostile input, part 2: the Python API takes any value and answers with a result or our error.

Generated keys, param values, metric values and steps, run names, filter strings and artifact
paths go through :class:`~jupyter_mltrack.TrackingClient` on a real SQLite store. Every call
either succeeds and the value reads back exactly (no silently wrong result), or raises an
:class:`~jupyter_mltrack.errors.InvalidParameterError`; any other exception fails the test. The
named tests after the generated ones pin the defects this suite found.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_figures import report

from jupyter_mltrack import TrackingClient
from jupyter_mltrack.errors import InvalidParameterError

SETTINGS = settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
#: Any code point, lone surrogates and NUL included (hypothesis never draws category Cs itself).
ANY_CHAR = st.characters(exclude_categories=[]) | st.sampled_from(["\ud800", "\udfff", "\x00"])
# (st.text drops surrogates even from its alphabet: join the characters instead)
ANY_TEXT = st.lists(ANY_CHAR, max_size=30).map("".join) | st.text(max_size=300)
tried: collections.Counter[str] = collections.Counter()
refused: collections.Counter[str] = collections.Counter()


def outcome(target: str, call: Callable[[], Any]) -> tuple[bool, Any]:
    """Run ``call``; return (True, result) or (False, None) if it raised our refusal."""
    tried[target] += 1
    try:
        return True, call()
    except InvalidParameterError as exc:
        refused[target] += 1
        assert str(exc), "an error without a message"
        return False, None


@pytest.fixture
def client(tmp_path: Path) -> TrackingClient:
    return TrackingClient(f"sqlite:///{tmp_path / 'hostile.db'}")


@pytest.fixture
def run_id(client: TrackingClient) -> str:
    return client.create_run(client.create_experiment("hostile")).info.run_id


def test_keys_and_param_values(client: TrackingClient, run_id: str) -> None:
    @SETTINGS
    @given(key=ANY_TEXT, value=ANY_TEXT | st.integers() | st.floats() | st.booleans())
    def check(key: str, value: object) -> None:
        logged, _ = outcome("key", lambda: client.log_param(run_id, key, "v"))
        if logged:
            assert client.get_run(run_id).data.params[key] == "v"
        fresh = f"p{tried['param value']}"  # params are write-once: a new key per example
        logged, _ = outcome("param value", lambda: client.log_param(run_id, fresh, value))
        if logged:
            assert client.get_run(run_id).data.params[fresh] == str(value)

    check()


def test_tag_values_and_run_names(client: TrackingClient, run_id: str) -> None:
    experiment_id = client.get_run(run_id).info.experiment_id

    @SETTINGS
    @given(value=ANY_TEXT, name=ANY_TEXT)
    def check(value: str, name: str) -> None:
        logged, _ = outcome("tag", lambda: client.set_tag(run_id, "t", value))
        if logged:
            assert client.get_run(run_id).data.tags["t"] == value
        made, run = outcome("run name", lambda: client.create_run(experiment_id, run_name=name))
        if made:
            assert client.get_run(run.info.run_id).info.run_name == name

    check()


NUMBERS = (
    st.floats()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**400)
    | st.booleans()
    | st.text(max_size=5)
    | st.none()
    | st.complex_numbers()
)
STEPS = st.integers() | st.floats() | st.booleans() | st.text(max_size=5) | st.none()


def test_metric_values_and_steps(client: TrackingClient, run_id: str) -> None:
    @SETTINGS
    @given(value=NUMBERS, step=STEPS)
    def check(value: Any, step: Any) -> None:
        key = f"m{tried['metric']}"
        logged, _ = outcome("metric", lambda: client.log_metric(run_id, key, value, step=step))
        if not logged:
            return
        (point,) = client.get_metric_history(run_id, key)
        expected = float(value)
        assert point.step == (step or 0) and not isinstance(step, (bool, float, str))
        assert (math.isnan(point.value) and math.isnan(expected)) or point.value == expected

    check()


FILTER_TOKENS = st.sampled_from(
    [
        "metrics.m", "params.p", "tags.t", "attributes.status", "run_name", "attributes.run_id",
        "attributes.experiment_id", "attributes.start_time", "`a b`", "=", "!=", "<", ">=",
        "LIKE", "ILIKE", "IN", "NOT IN", "IS", "NULL", "AND", "OR", "(", ")", ",", "'x'",
        "'%'", "1", "-1e999", "1e308", "99999999999999999999999", "'99999999999999999999999'",
        "NaN", "'", '"', "`", "\\", ";", "--", "\x00", "\ud800", "é", "0x1",
    ]
)  # fmt: skip
COMPARISONS = st.builds(
    "{} {} {}".format,
    st.sampled_from(["params.p", "tags.t", "metrics.m", "run_name", "attributes.start_time"]),
    st.sampled_from(["=", "!=", "<", ">", "LIKE", "ILIKE", "IN", "NOT IN"]),
    st.builds("'{}'".format, ANY_TEXT) | st.floats().map(repr) | st.integers().map(str),
)
FILTERS = (
    st.lists(FILTER_TOKENS, max_size=8).map(" ".join)
    | st.lists(COMPARISONS, min_size=1, max_size=3).map(" AND ".join)
    | ANY_TEXT
)
ORDERS = st.lists(
    st.lists(FILTER_TOKENS | st.sampled_from(["ASC", "DESC"]), max_size=4).map(" ".join), max_size=2
)


def test_run_and_experiment_searches(client: TrackingClient, run_id: str) -> None:
    experiment_id = client.get_run(run_id).info.experiment_id
    client.log_param(run_id, "p", "x")
    client.log_metric(run_id, "m", 1.0)

    @SETTINGS
    @given(filter_string=FILTERS, order_by=ORDERS)
    def check(filter_string: str, order_by: list[str]) -> None:
        found, runs = outcome(
            "search_runs",
            lambda: client.search_runs([experiment_id], filter_string, order_by=order_by),
        )
        if found:
            assert {r.info.run_id for r in runs} <= {run_id}
        outcome(
            "search_experiments", lambda: client.search_experiments(filter_string=filter_string)
        )

    check()


PATH_CHARS = st.sampled_from([*"./\\%:~ aZ0", "..", "%2e", "%2f", "\x00", "\ud800", "é"])
PATHS = st.lists(PATH_CHARS, max_size=12).map("".join) | st.sampled_from(
    ["a" * 300, "a/" * 600 + "b", "/etc", "C:\\x", "..\\..\\x", "%2e%2e/x"]
)


def test_artifact_paths_stay_inside_the_run(
    client: TrackingClient, run_id: str, tmp_path: Path
) -> None:
    source = tmp_path / "payload.txt"
    source.write_text("hostile")
    root = Path(client.get_run(run_id).info.artifact_uri.removeprefix("file://")).resolve()
    before = set(tmp_path.parent.rglob("*"))

    @SETTINGS
    @given(path=PATHS)
    def check(path: str) -> None:
        logged, _ = outcome("artifact path", lambda: client.log_artifact(run_id, source, path))
        if logged:
            listed = outcome("artifact list", lambda: client.list_artifacts(run_id, path))[1]
            assert any(f.path.endswith("payload.txt") for f in listed), (path, listed)

    check()
    new = set(tmp_path.parent.rglob("*")) - before
    inside = [p.resolve() for p in new]  # the root's own parent folders appear with it
    escaped = [p for p in inside if not (p.is_relative_to(root) or root.is_relative_to(p))]
    assert not escaped, escaped


def test_zz_figures() -> None:
    """Print what the generated tests above tried (runs last in this module)."""
    for target in sorted(tried):
        report(
            f"6 hostile-input python [{target}]", examples=tried[target], refused=refused[target]
        )
    assert sum(tried.values()) > 0


# -- the defects this suite found, one test each -----------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c, r: c.log_metric(r, "m", 10**400), id="metric int beyond double"),
        pytest.param(lambda c, r: c.log_param(r, "p", "\ud800"), id="param lone surrogate"),
        pytest.param(lambda c, r: c.set_tag(r, "t", "a\x00b"), id="tag NUL"),
        pytest.param(
            lambda c, r: c.create_run(c.get_run(r).info.experiment_id, run_name="\ud800"),
            id="run name lone surrogate",
        ),
        pytest.param(lambda c, r: c.create_experiment("a\x00b"), id="experiment name NUL"),
        pytest.param(lambda c, r: c.get_run("\ud800"), id="run id lone surrogate"),
        pytest.param(
            lambda c, r: c.search_runs(["0"], "params.p = '\ud800'"), id="filter lone surrogate"
        ),
        pytest.param(lambda c, r: c.search_runs(["0"], "params.p = 'a\x00'"), id="filter NUL"),
        pytest.param(
            lambda c, r: c.log_artifact(r, __file__, "a/" * 2000 + "b"), id="artifact path deep"
        ),
        pytest.param(
            lambda c, r: c.log_artifact(r, __file__, "x" * 300), id="artifact name too long"
        ),
        pytest.param(lambda c, r: c.log_artifact(r, __file__, "\ud800"), id="artifact surrogate"),
    ],
)
def test_found_defects_are_refused_clearly(
    client: TrackingClient, run_id: str, call: Callable[[TrackingClient, str], Any]
) -> None:
    with pytest.raises(InvalidParameterError):
        call(client, run_id)


@pytest.mark.parametrize("digits", [30, 5000])  # 5,000: beyond int()'s 4,300-digit limit
def test_a_huge_experiment_id_in_a_filter_matches_nothing(
    client: TrackingClient, run_id: str, digits: int
) -> None:
    experiment_id = client.get_run(run_id).info.experiment_id
    huge = "9" * digits
    assert client.search_runs([experiment_id], f"attributes.experiment_id = '{huge}'") == []
    with pytest.raises(InvalidParameterError, match="ids are integers from 0"):
        client.search_runs([huge], "")
