"""The same raw requests to a real ``mlflow server`` (MLflow 3.17.2) and to ``mltrack server``.

Every route of the tracking, registry, logged-model and artifact-proxy API (GenAI, tracing,
gateway, GraphQL and UI-only endpoints left out) is called on both servers, success paths and
error cases alike (missing required fields, bad types, unknown ids, deleted runs, traversal). The
answers must agree on status, error code, message and JSON shape, ids, timestamps and generated
names aside (see ``side_by_side.py``). ``ON_PURPOSE`` lists the differences we keep, each with its
reason; any other difference fails, and so does an entry there that no longer differs.
"""

from __future__ import annotations

from pathlib import Path

import mlflow_server as shared_mlflow_server
import pytest
from serverproc import ServerProcess, mltrack_server
from side_by_side import Answer, State, difference, send
from side_by_side_steps import all_steps

pytestmark = [pytest.mark.server, pytest.mark.slow]

mlflow_server = shared_mlflow_server.mlflow_server  # one real mlflow server for this module

# What may differ, per step: "message" (status and error code agree, the words differ), "body"
# (the status agrees) or "status" (anything). Each entry says why we keep the difference.
ON_PURPOSE: dict[str, tuple[str, str]] = {
    # -- experiments
    "exp create: taken name": (
        "message", "MLflow's message carries the failed SQL statement; ours names the experiment"
    ),
    "exp get": ("body", "MLflow 3.17 adds workspace='default'; we have no workspaces"),
    "exp get-by-name": ("body", "workspace field, as above"),
    "exp search": ("body", "workspace field, as above"),
    "exp search GET": ("body", "workspace field, as above"),
    "exp get with tag": ("body", "workspace field, as above"),
    "exp get deleted": ("body", "workspace field, as above"),
    "exp search: no max_results": (
        "status", "MLflow refuses a POST without max_results (it reads 0); we use the default"
    ),
    "exp search: bad filter": ("message", "our filter parser says where and what it expected"),
    # -- runs
    "POST /runs/create: empty": (
        "status", "MLflow fails in its database (BAD_REQUEST with the SQL); we use experiment 0"
    ),
    "run update: bad status": (
        "status", "MLflow ignores an unknown status (200, unchanged); we refuse it (400)"
    ),
    "run search: bad filter": ("message", "our filter parser says where and what it expected"),
    "metric history": (
        "body", "we return a history ordered by step then time; MLflow in storage order"
    ),
    "metric history: unknown run": (
        "status", "MLflow answers an empty history; we answer 404 RESOURCE_DOES_NOT_EXIST"
    ),
    "artifacts list: traversal": (
        "message", "MLflow says 'Invalid path'; ours says which segment is refused"
    ),
    # -- registry
    "version download uri": (
        "body", "we resolve runs:/ sources to the artifact location; clients accept both"
    ),
    "alias get: unknown": (
        "status", "MLflow answers 400 INVALID_PARAMETER_VALUE; a missing alias is our 404"
    ),
    # -- logged models
    "logged get: unknown": ("message", "ours tells what a logged model id looks like"),
    "logged get deleted": ("message", "as above"),
    "logged artifacts list: unknown": ("message", "as above"),
    "logged artifacts list: traversal": (
        "message", "MLflow says 'Invalid path'; ours says which segment is refused"
    ),
    "logged search: metric on eval": (
        "body", "MLflow's server turns a datasets entry without dataset_digest into 'digest IS "
        "NULL' and misses the point on eval (digest e1); we match the name alone, as MLflow's "
        "store and client document"
    ),
    # -- artifact proxy
    "artifact listing: traversal": ("message", "ours says which segment is refused"),
    "artifact download: traversal": ("message", "ours says which encoding is refused"),
    "run artifacts list: dot": (
        "body", "MLflow lists 'd/./a.txt'; we normalise the '.' away ('d/a.txt')"
    ),
    "server info": (
        "body", "we offer no AI gateway and no presigned uploads; the flags say so"
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def answers(
    mlflow_server: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Answer, Answer]]:
    """Send every step to both servers (fresh stores); return both answers by step name."""
    root: Path = tmp_path_factory.mktemp("mltrack-server")
    with mltrack_server(
        "--backend-store-uri", f"sqlite:///{root / 'mltrack.db'}",
        "--artifacts-destination", str(root / "artifacts"),
        cwd=root,
    ) as ours:  # fmt: skip
        return _exchange(mlflow_server, ours)


def _exchange(mlflow_url: str, ours: ServerProcess) -> dict[str, tuple[Answer, Answer]]:
    theirs_ids, our_ids = State(), State()
    out = {}
    for step in all_steps():
        assert step.name not in out, f"duplicate step name {step.name!r}"
        out[step.name] = (send(mlflow_url, step, theirs_ids), send(ours.url, step, our_ids))
    return out


def _allowed(kind: str, mlflow: Answer, ours: Answer) -> bool:
    if kind == "status":
        return True
    if mlflow.status != ours.status:
        return False
    if kind == "body":
        return True
    return (  # "message": an error in both, with the same code
        isinstance(mlflow.payload, dict)
        and isinstance(ours.payload, dict)
        and mlflow.payload.get("error_code") == ours.payload.get("error_code") is not None
    )


def test_every_route_answers_as_mlflow_does(answers):  # type: ignore[no-untyped-def]
    unexpected = []
    for name, (mlflow, ours) in answers.items():
        diff = difference(mlflow, ours)
        if diff is None:
            continue
        if name in ON_PURPOSE and _allowed(ON_PURPOSE[name][0], mlflow, ours):
            continue
        unexpected.append(f"{name}: {diff}")
    assert not unexpected, "\n".join(unexpected)


def test_differences_on_purpose_are_still_real(answers):  # type: ignore[no-untyped-def]
    # Keeps the list honest: once a difference is gone, its entry must go too.
    gone = [name for name in ON_PURPOSE if difference(*answers[name]) is None]
    assert not gone, f"no longer different, remove from ON_PURPOSE: {gone}"


def test_downloads_send_mlflows_safety_headers(answers):  # type: ignore[no-untyped-def]
    mlflow, ours = answers["artifact download"]
    for header in ("x-content-type-options", "x-frame-options"):
        assert ours.headers.get(header) == mlflow.headers.get(header) is not None
    assert ours.payload == mlflow.payload == "hello"


def test_the_route_table_is_covered(answers):  # type: ignore[no-untyped-def]
    # Every route MLflow 3.17 serves for these APIs (outside GenAI/tracing/gateway/GraphQL/UI)
    # is called at least once; the list below is the table of the closing note.
    called = {_route_of(step.path if isinstance(step.path, str) else "") for step in all_steps()}
    called.discard("")
    assert len(answers) >= 150
    assert {"/runs/log-batch", "/model-versions/search", "/artifacts/list"} <= called


def _route_of(path: str) -> str:
    return path.removeprefix("/api/2.0/mlflow")
