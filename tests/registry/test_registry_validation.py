"""Bad input is refused by the client with messages that say what was wrong."""

from __future__ import annotations

import pytest

from jupyter_mltrack.entities import ModelStage
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.registry.validation import (
    check_alias,
    check_description,
    check_max_results,
    check_model_name,
    check_order_by,
    check_tags,
    check_version,
)


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("", "non-empty"),
        ("   ", "non-empty"),
        (None, "non-empty"),
        (3, "non-empty"),
        ("x" * 257, "the limit is 256"),
        ("a/b", "'/'"),
        ("a@b", "'@'"),
        ("a:b", "'/'"),
        (" padded", "whitespace"),
        ("tab\there", "control character"),
    ],
)
def test_bad_model_names(name: object, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        check_model_name(name)


@pytest.mark.parametrize("name", ["churn", "Churn Model v2", "x" * 256, "fraud_detector-eu.1"])
def test_good_model_names(name: str) -> None:
    assert check_model_name(name) == name


@pytest.mark.parametrize(
    ("alias", "match"),
    [
        ("", "invalid"),
        ("has space", "invalid"),
        ("dot.ted", "invalid"),
        ("x" * 256, "the limit is 255"),
        ("3", "version number"),
        ("v3", "version number"),
        ("V12", "version number"),
        ("latest", "latest"),
        ("LATEST", "latest"),
        (None, "invalid"),
    ],
)
def test_bad_aliases(alias: object, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        check_alias(alias)


@pytest.mark.parametrize("alias", ["champion", "prod-eu", "v3b", "x" * 255, "_", "latest2"])
def test_good_aliases(alias: str) -> None:
    assert check_alias(alias) == alias


@pytest.mark.parametrize(("given", "expected"), [(3, 3), ("3", 3), (" 12 ", 12)])
def test_versions_are_int_like(given: object, expected: int) -> None:
    assert check_version(given) == expected


@pytest.mark.parametrize("given", [0, -1, "0", "three", "3.0", 3.0, True, None, ""])
def test_bad_versions(given: object) -> None:
    with pytest.raises(InvalidParameterError, match="positive integer"):
        check_version(given)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("production", ModelStage.PRODUCTION),
        ("STAGING", ModelStage.STAGING),
        ("none", ModelStage.NONE),
        ("Archived", ModelStage.ARCHIVED),
    ],
)
def test_stage_names_are_case_insensitive(given: str, expected: ModelStage) -> None:
    assert ModelStage.parse(given) is expected


def test_unknown_stage_lists_the_valid_ones() -> None:
    with pytest.raises(InvalidParameterError, match="None, Staging, Production, Archived"):
        ModelStage.parse("prod")


def test_descriptions_tags_and_search_options() -> None:
    assert check_description("# Title\n\n*markdown*") == "# Title\n\n*markdown*"
    with pytest.raises(InvalidParameterError, match="markdown"):
        check_description(42)
    with pytest.raises(InvalidParameterError, match="limit is 100000"):
        check_description("x" * 100_001)
    assert check_tags({"team": "growth", "n": 3}) == {"team": "growth", "n": "3"}
    with pytest.raises(InvalidParameterError, match="mapping"):
        check_tags(["team"])  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="between 1 and"):
        check_max_results(0)
    with pytest.raises(InvalidParameterError, match="integer"):
        check_max_results("10")
    assert check_order_by("name DESC") == ["name DESC"]
    assert check_order_by(None) is None
    with pytest.raises(InvalidParameterError, match="clauses"):
        check_order_by([""])
