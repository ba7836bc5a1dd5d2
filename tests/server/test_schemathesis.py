"""Schemathesis against the server's own ``/openapi.json``: no 5xx, no response schema violations,
only documented status codes and content types.

Every operation the description lists gets a bounded number of generated requests (Hypothesis,
no shrinking, no example database) sent in-process to the real app on a real SQLite store. The
operations are driven one by one here rather than through schemathesis' pytest plugin, whose lazy
fixture mode does not run under pytest 9.
"""

from __future__ import annotations

import collections
import time
from pathlib import Path
from typing import Any

import pytest

from jupyter_mltrack.server.app import create_app, open_server_store

pytestmark = [pytest.mark.server, pytest.mark.slow]

#: Generated requests per operation, and the time budget of the whole test.
EXAMPLES_PER_OPERATION = 20
BUDGET_S = 150.0


def seed(store: Any) -> None:
    """Give generated requests something to find besides 404s: an experiment with a run."""
    experiment_id = store.create_experiment("seeded")
    store.create_run(
        experiment_id=experiment_id, user_id="seed", start_time=0, tags={}, run_name="seeded"
    )


@pytest.mark.timeout(int(BUDGET_S) + 60)
def test_no_server_errors_and_no_schema_violations(tmp_path: Path) -> None:
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    store = open_server_store(f"sqlite:///{tmp_path}/server.db")
    seed(store)
    app = create_app(store, str(tmp_path / "artifacts"), max_upload_mb=1)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    checks = [
        not_a_server_error,
        response_schema_conformance,
        content_type_conformance,
        status_code_conformance,
    ]
    statuses: collections.Counter[int] = collections.Counter()
    failures: list[str] = []
    operations = 0
    started = time.monotonic()

    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(operation.as_strategy())
        def exercise(case: Any) -> None:
            response = case.call_and_validate(checks=checks)
            statuses[response.status_code] += 1

        try:
            exercise()
        except Exception as exc:  # schemathesis raises one error per failing operation
            failures.append(f"{operation.label}:\n{str(exc)[:2000]}")
        assert time.monotonic() - started < BUDGET_S, f"over budget after {operations} operations"

    store.close()
    assert not failures, "\n\n".join(failures)
    # The run means something only if it reached real endpoints and got real answers.
    assert operations >= 37, f"only {operations} operations in /openapi.json"
    assert statuses[200] > 50, dict(statuses)
    assert not [code for code in statuses if code >= 500]
