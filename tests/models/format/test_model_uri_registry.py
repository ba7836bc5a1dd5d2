"""The lazy registry of model URI schemes: one resolver per scheme, found by name on first use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.models import uri as model_uri
from jupyter_mltrack.tracking.client import TrackingClient


def test_runs_uri_resolves_in_a_fresh_process_without_any_registration(tmp_path: Path) -> None:
    """Nothing registers ``runs``: the first runs:/ URI imports its resolver by name."""
    store = f"sqlite:///{tmp_path}/mltrack.db"
    client = TrackingClient(store)
    run = client.create_run(client.create_experiment("uris"))
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "MLmodel").write_text("flavors: {}\n")
    client.log_artifacts(run.info.run_id, folder, "model")
    probe = (
        "import json, sys\n"
        "from jupyter_mltrack.models.uri import resolve_model_uri\n"
        "before = 'jupyter_mltrack.tracking.runs_uri' in sys.modules\n"
        f"path = resolve_model_uri('runs:/{run.info.run_id}/model', tracking_uri={store!r})\n"
        "print(json.dumps([before, path]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    before, path = json.loads(done.stdout.strip().splitlines()[-1])
    assert before is False
    assert (Path(path) / "MLmodel").read_text() == "flavors: {}\n"


def test_split_runs_uri_and_its_error() -> None:
    assert model_uri.split_runs_uri("runs:///abc/model/sub/") == ("abc", "model/sub")
    assert model_uri.split_runs_uri("runs:/abc") == ("abc", "")
    with pytest.raises(InvalidParameterError, match="expected 'runs:/<run_id>/<artifact path>'"):
        model_uri.split_runs_uri("runs:/")


def test_unknown_scheme_names_the_known_ones_and_the_entry_point_group() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        model_uri.resolve_model_uri("nosuch://bucket/model")
    message = caught.value.message
    assert "no resolver for the scheme 'nosuch'" in message
    assert "file, models, runs" in message
    assert model_uri.ENTRY_POINT_GROUP in message


def test_a_registered_resolver_gets_the_uri_and_the_tracking_uri(tmp_path: Path) -> None:
    seen: list[tuple[str, str | None]] = []

    def resolve(uri: str, *, tracking_uri: str | None = None) -> str:
        seen.append((uri, tracking_uri))
        return str(tmp_path)

    model_uri.register_model_uri_resolver("testscheme", resolve)
    try:
        got = model_uri.resolve_model_uri("testscheme:/a/b", tracking_uri="sqlite:///x.db")
    finally:
        with model_uri._lock:
            model_uri._resolvers.pop("testscheme", None)
    assert got == str(tmp_path)
    assert seen == [("testscheme:/a/b", "sqlite:///x.db")]
