"""MLflow's prompt filter on model searches - on every backend.

MLflow's client adds ``tag.`mlflow.prompt.is_prompt` != 'true'`` to every registered-model
search to hide prompts; models without that tag must match it (MLflow's server answers so),
while every other ``tags.<key> != 'v'`` still needs the tag to exist.
"""

from __future__ import annotations

import pytest

PROMPT_FILTER = "tag.`mlflow.prompt.is_prompt` != 'true'"


@pytest.fixture
def models(store):  # type: ignore[no-untyped-def]
    store.create_registered_model("plain")
    store.create_registered_model("tagged", tags={"team": "risk"})
    store.create_registered_model("prompt", tags={"mlflow.prompt.is_prompt": "true"})
    store.create_registered_model("not-prompt", tags={"mlflow.prompt.is_prompt": "false"})
    return store


def _names(found) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.name for m in found]


def test_prompt_filter_hides_prompts_only(models):
    found = models.search_registered_models(PROMPT_FILTER)
    assert _names(found) == ["not-prompt", "plain", "tagged"]


def test_prompt_filter_pages_and_combines(models):
    first = models.search_registered_models(PROMPT_FILTER, max_results=2)
    assert first.token is not None
    second = models.search_registered_models(PROMPT_FILTER, max_results=2, page_token=first.token)
    assert _names(first) + _names(second) == ["not-prompt", "plain", "tagged"]
    combined = models.search_registered_models(f"{PROMPT_FILTER} AND name LIKE 'p%'")
    assert _names(combined) == ["plain"]


def test_prompts_can_still_be_asked_for(models):
    found = models.search_registered_models("tags.`mlflow.prompt.is_prompt` = 'true'")
    assert _names(found) == ["prompt"]


def test_other_tags_keep_their_meaning(models):
    # A model without the tag does not match != on an ordinary tag.
    assert _names(models.search_registered_models("tags.team != 'growth'")) == ["tagged"]


def test_version_search_tolerates_the_prompt_filter(models):
    models.create_model_version("plain", "s3://bucket/plain")
    found = models.search_model_versions(PROMPT_FILTER)
    assert [(v.name, v.version) for v in found] == [("plain", 1)]
