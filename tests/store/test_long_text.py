"""Long text on every database: a 100,000-character description is stored whole.

MySQL's TEXT holds 65,535 bytes, a quarter of a 100,000-character description in 4-byte
characters; its long-text columns are MEDIUMTEXT (migration ``0008_long_text`` converts older
stores). Input over the API's limits gets the project's own error before any database sees it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from jupyter_mltrack import RegistryClient, TrackingClient
from jupyter_mltrack.entities import ModelStage
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.registry.validation import MAX_DESCRIPTION_LENGTH
from jupyter_mltrack.store.sql.engine import create_engine
from jupyter_mltrack.store.sql.migrate import upgrade_to
from jupyter_mltrack.store.sql.store import SqlStore

# 4-byte characters: 100,000 of them are 400,000 bytes in utf8mb4.
LONG = ("🦜 markdown **bold**\n" * (MAX_DESCRIPTION_LENGTH // 20))[:MAX_DESCRIPTION_LENGTH]


@pytest.fixture(scope="module", params=["sqlite", "postgres", "mysql"])
def uri(request, tmp_path_factory, server_database_uri) -> str:  # type: ignore[no-untyped-def]
    # One database per backend for the module: the tests use distinct names.
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('long')}/long.db"
    return str(server_database_uri(request.param))


@pytest.fixture
def registry(uri: str) -> Iterator[RegistryClient]:
    store = SqlStore(uri)
    yield RegistryClient(store=store)
    store.close()


def test_a_100000_character_description_round_trips(registry: RegistryClient) -> None:
    assert len(LONG) == MAX_DESCRIPTION_LENGTH
    registry.create_registered_model("long", description=LONG)
    version = registry.create_model_version("long", "file:///tmp/model", description=LONG)
    assert registry.get_registered_model("long").description == LONG
    assert registry.get_model_version("long", version.version).description == LONG
    registry.update_model_version("long", version.version, description=LONG[::-1])
    assert registry.get_model_version("long", version.version).description == LONG[::-1]


def test_a_description_over_the_limit_is_refused_clearly(registry: RegistryClient) -> None:
    with pytest.raises(InvalidParameterError, match="100000"):
        registry.create_registered_model("too-long", description=LONG + "x")
    assert registry.search_registered_models("name = 'too-long'") == []


@pytest.mark.parametrize(
    ("call", "limit"),
    [
        (lambda c, r: c.log_param(r, "p", "v" * 6001), "6000"),
        (lambda c, r: c.set_tag(r, "t", "v" * 8001), "8000"),
        (lambda c, r: c.log_metric(r, "k" * 251, 1.0), "250"),
    ],
    ids=["param-value", "tag-value", "metric-key"],
)
def test_values_over_the_column_limits_get_our_error(uri: str, call, limit: str) -> None:  # type: ignore[no-untyped-def]
    store = SqlStore(uri)
    try:
        client = TrackingClient(store=store)
        run_id = client.create_run("0").info.run_id
        with pytest.raises(InvalidParameterError, match=limit):
            call(client, run_id)
        assert client.get_run(run_id).data.params == {}
    finally:
        store.close()


@pytest.mark.parametrize(
    ("call", "limit"),
    [
        (lambda s: s.create_experiment("e", artifact_location="/" + "x" * 900), "900"),
        (
            lambda s: s.create_run(
                experiment_id="0", user_id="u" * 257, start_time=1, tags={}, run_name="r"
            ),
            "256",
        ),
        (lambda s: s.create_model_version("m", "file:///x", user_id="u" * 257), "256"),
        (lambda s: s.create_model_version("m", "file:///x", flavors=["f" * 600] * 2), "1000"),
        (lambda s: _transition(s, "t1", user_id="u" * 257), "256"),
        (lambda s: _transition(s, "t2", evidence_uri="x" * 2001), "2000"),
    ],
    ids=[
        "experiment-location",
        "run-user",
        "version-user",
        "version-flavors",
        "transition-user",
        "transition-evidence",
    ],
)
def test_store_inputs_longer_than_their_columns_get_our_error(uri: str, call, limit: str) -> None:  # type: ignore[no-untyped-def]
    # PostgreSQL and MySQL used to answer with their own "value too long" error, SQLite stored
    # them: now every database refuses them alike, before writing anything.
    store = SqlStore(uri)
    try:
        with pytest.raises(InvalidParameterError, match=limit):
            call(store)
        assert [e.name for e in store.search_experiments()] == ["Default"]
        assert store.search_model_versions("name = 'm'") == []
    finally:
        store.close()


def _transition(store: SqlStore, name: str, *, user_id: str = "", evidence_uri: str = "") -> None:
    store.create_model_version(name, "file:///x")
    try:
        store.transition_model_version_stage(
            name, 1, ModelStage.STAGING, user_id=user_id, evidence_uri=evidence_uri or None
        )
    finally:  # the refused transition changed nothing
        assert store.get_model_version(name, 1).current_stage == "None"


def test_an_old_mysql_store_gets_medium_text(server_database_uri) -> None:  # type: ignore[no-untyped-def]
    uri = server_database_uri("mysql")
    engine = create_engine(uri)
    upgrade_to(engine, "0007_logged_model_metrics")
    engine.dispose()
    store = SqlStore(uri)  # upgrades to head
    try:
        with store.engine.connect() as conn:
            kinds: dict[str, str] = dict(
                conn.execute(
                    sa.text(
                        "SELECT CONCAT(table_name, '.', column_name), data_type "
                        "FROM information_schema.columns WHERE table_schema = DATABASE() "
                        "AND data_type LIKE '%text'"
                    )
                ).all()
            )
        for column in (
            "registered_models.description",
            "model_versions.description",
            "model_versions.signature",
            "model_version_events.comment",
            "run_dataset_inputs.profile",
        ):
            assert kinds[column] == "mediumtext", kinds
        RegistryClient(store=store).create_registered_model("old", description=LONG)
        assert RegistryClient(store=store).get_registered_model("old").description == LONG
    finally:
        store.close()
