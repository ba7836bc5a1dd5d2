"""Searching registered models and versions: filters, ordering, pages - on every backend."""

from __future__ import annotations

import pytest

from jupyter_mltrack.entities import ModelStage
from jupyter_mltrack.errors import InvalidParameterError


def _names(found) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.name for m in found]


def _versions(found) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    return [(v.name, v.version) for v in found]


@pytest.fixture
def models(store):  # type: ignore[no-untyped-def]
    store.create_registered_model("fraud-a", tags={"team": "risk", "tier": "1"})
    store.create_registered_model("Fraud-B", tags={"team": "Risk"})
    store.create_registered_model("churn", tags={"team": "growth"})
    store.create_registered_model("100%_sure")
    return store


def test_models_default_order_is_name(models):
    assert _names(models.search_registered_models()) == ["100%_sure", "Fraud-B", "churn", "fraud-a"]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("name = 'churn'", ["churn"]),
        ("name = 'CHURN'", []),
        ("name != 'churn'", ["100%_sure", "Fraud-B", "fraud-a"]),
        ("name LIKE 'fraud%'", ["fraud-a"]),
        ("name ILIKE 'fraud%'", ["Fraud-B", "fraud-a"]),
        (r"name LIKE '100\%%'", ["100%_sure"]),
        ("name IN ('churn', 'fraud-a')", ["churn", "fraud-a"]),
        ("tags.team = 'risk'", ["fraud-a"]),
        ("tags.team ILIKE 'risk'", ["Fraud-B", "fraud-a"]),
        ("tags.team != 'risk'", ["Fraud-B", "churn"]),
        ("tags.tier IS NULL", ["100%_sure", "Fraud-B", "churn"]),
        ("tags.tier IS NOT NULL", ["fraud-a"]),
        ("tags.team = 'risk' AND name LIKE '%a'", ["fraud-a"]),
        ("tags.`team` LIKE '%i%'", ["Fraud-B", "fraud-a"]),
    ],
)
def test_model_filters(models, filter_string, expected):
    assert _names(models.search_registered_models(filter_string)) == expected


def test_model_timestamps_filter_and_order(models):
    models.update_registered_model("churn", "touched last")
    newest = models.get_registered_model("churn").last_updated_timestamp
    found = models.search_registered_models(f"last_updated_timestamp >= {newest}")
    assert "churn" in _names(found)
    ordered = models.search_registered_models(order_by=["last_updated_timestamp DESC"])
    assert _names(ordered)[0] == "churn"
    assert _names(models.search_registered_models(order_by=["name DESC"]))[0] == "fraud-a"
    created = _names(models.search_registered_models(order_by=["creation_timestamp ASC"]))
    assert set(created) == {"100%_sure", "Fraud-B", "churn", "fraud-a"}


def test_model_pages(models):
    first = models.search_registered_models(max_results=3)
    assert len(first) == 3
    assert first.token is not None
    second = models.search_registered_models(max_results=3, page_token=first.token)
    assert second.token is None
    assert _names(first) + _names(second) == _names(models.search_registered_models())


@pytest.mark.parametrize(
    ("filter_string", "message"),
    [
        ("version = 1", "unknown attribute 'version'"),
        ("name = churn", "quoted string"),
        ("name = 'a' OR name = 'b'", "OR is not supported"),
        ("metrics.x > 1", "unknown entity type 'metrics'"),
    ],
)
def test_bad_model_filters_say_what_is_wrong(models, filter_string, message):
    with pytest.raises(InvalidParameterError, match=message):
        models.search_registered_models(filter_string)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "10"])
def test_bad_max_results(models, bad):
    with pytest.raises(InvalidParameterError, match="max_results"):
        models.search_registered_models(max_results=bad)


def test_bad_order_by_and_page_token(models):
    with pytest.raises(InvalidParameterError, match="cannot order by tag"):
        models.search_registered_models(order_by=["tags.team"])
    with pytest.raises(InvalidParameterError, match="page_token"):
        models.search_registered_models(page_token="garbage!")


@pytest.fixture
def versions(store):  # type: ignore[no-untyped-def]
    for i in range(3):
        store.create_model_version("fraud", f"runs:/run{i}/model", run_id=f"run{i}", user_id="ann")
    store.create_model_version("churn", "s3://bucket/churn", tags={"algo": "xgb"}, user_id="bob")
    store.set_model_version_tag("fraud", 2, "algo", "rf")
    store.transition_model_version_stage("fraud", 2, ModelStage.PRODUCTION)
    store.transition_model_version_stage("fraud", 3, ModelStage.STAGING)
    return store


def test_versions_default_order_is_mlflows_newest_change_first(versions):
    # MLflow: last_updated_timestamp DESC, name ASC, version DESC (issue 14, item 1).
    found = versions.search_model_versions()
    keys = [(-v.last_updated_timestamp, v.name, -v.version) for v in found]
    assert len(found) == 4 and keys == sorted(keys)
    assert (found[0].name, found[0].version) == ("fraud", 3)  # its stage moved last
    assert (found[-1].name, found[-1].version) == ("fraud", 1)  # never changed since created


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("name = 'fraud'", [("fraud", 3), ("fraud", 2), ("fraud", 1)]),
        ("name = 'fraud' AND version = 2", [("fraud", 2)]),
        ("version_number >= 2", [("fraud", 3), ("fraud", 2)]),
        ("run_id = 'run1'", [("fraud", 2)]),
        ("run_id IN ('run0', 'run2')", [("fraud", 3), ("fraud", 1)]),
        ("source LIKE 's3://%'", [("churn", 1)]),
        ("current_stage = 'production'", [("fraud", 2)]),
        ("current_stage IN ('Staging', 'PRODUCTION')", [("fraud", 3), ("fraud", 2)]),
        ("current_stage != 'None'", [("fraud", 3), ("fraud", 2)]),
        ("tags.algo = 'rf'", [("fraud", 2)]),
        ("tags.algo IS NOT NULL", [("churn", 1), ("fraud", 2)]),
        ("user_id = 'bob'", [("churn", 1)]),
        ("status = 'READY' AND name ILIKE 'CH%'", [("churn", 1)]),
    ],
)
def test_version_filters(versions, filter_string, expected):
    # Which versions match; their order is the default order's business (tested above).
    assert sorted(_versions(versions.search_model_versions(filter_string))) == sorted(expected)


def test_unknown_stage_in_filter_lists_valid_ones(versions):
    with pytest.raises(InvalidParameterError, match="None, Staging, Production, Archived"):
        versions.search_model_versions("current_stage = 'Prod'")


def test_version_order_and_pages(versions):
    by_version = versions.search_model_versions(order_by=["version ASC", "name DESC"])
    assert _versions(by_version) == [("fraud", 1), ("churn", 1), ("fraud", 2), ("fraud", 3)]
    seen: list[tuple[str, int]] = []
    token = None
    while True:
        page = versions.search_model_versions(max_results=1, page_token=token)
        seen += _versions(page)
        token = page.token
        if token is None:
            break
    assert seen == _versions(versions.search_model_versions())


def test_search_results_carry_tags_and_aliases(versions):
    versions.set_registered_model_alias("fraud", "champion", 2)
    [found] = versions.search_model_versions("name = 'fraud' AND version = 2")
    assert found.tags == {"algo": "rf"}
    assert found.aliases == ("champion",)
    [model] = versions.search_registered_models("name = 'fraud'")
    assert model.aliases == {"champion": 2}
    assert [v.version for v in model.latest_versions] == [1, 3, 2]


def test_version_filter_needs_numbers_for_versions(versions):
    with pytest.raises(InvalidParameterError, match="a number"):
        versions.search_model_versions("version = 'two'")
