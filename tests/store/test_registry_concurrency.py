"""Version numbers under concurrency: 8 processes registering at once get 1..8 exactly.

Real processes (spawned, so nothing is inherited from the test process) wait on a barrier and
then register a version of the same model at the same moment, on SQLite and on the server
databases. The model does not exist beforehand in one case, so its creation races too.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest

from jupyter_mltrack.store.sql.store import SqlStore

WORKERS = 8


def _register(uri: str, index: int, barrier: Any, results: Any) -> None:
    store = SqlStore(uri)
    try:
        barrier.wait(timeout=60)
        version = store.create_model_version("racy", f"runs:/worker{index}/model")
        results.put((index, version.version, None))
    except Exception as exc:  # reported to the test, which fails with it
        results.put((index, None, f"{type(exc).__name__}: {exc}"))
    finally:
        store.close()


def _race(uri: str) -> list[tuple[int, int | None, str | None]]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WORKERS)
    results = context.Queue()
    workers = [
        context.Process(target=_register, args=(uri, i, barrier, results)) for i in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=180) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    return outcomes


def _uri(backend: str, tmp_path, server_database_uri) -> str:  # type: ignore[no-untyped-def]
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/race.db"
    return server_database_uri(backend)  # type: ignore[no-any-return]


@pytest.mark.parametrize("model_exists", [False, True], ids=["new-model", "existing-model"])
@pytest.mark.parametrize("backend", ["sqlite", "postgres", "mysql"])
def test_concurrent_registrations_get_distinct_consecutive_versions(
    backend, model_exists, tmp_path, server_database_uri
):
    uri = _uri(backend, tmp_path, server_database_uri)
    store = SqlStore(uri)  # creates the schema before the race
    if model_exists:
        store.create_registered_model("racy")
    try:
        outcomes = _race(uri)
        errors = [error for _, _, error in outcomes if error is not None]
        assert errors == []
        assert sorted(version for _, version, _ in outcomes) == list(range(1, WORKERS + 1))
        stored = store.search_model_versions("name = 'racy'")
        assert sorted(v.version for v in stored) == list(range(1, WORKERS + 1))
        # Each worker's version holds that worker's source: no row was overwritten.
        by_version = {v.version: v.source for v in stored}
        for index, version, _ in outcomes:
            assert by_version[version] == f"runs:/worker{index}/model"
        assert len(store.search_registered_models("name = 'racy'")) == 1
    finally:
        store.close()
