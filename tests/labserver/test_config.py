"""Which store the extension picks, and how its URI is masked (pure functions, no server)."""

from __future__ import annotations

import pytest

from jupyter_mltrack.labserver.config import mask_uri, resolve_tracking_uri


def test_option_then_environment_then_root_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_tracking_uri("", "/srv/work") == "sqlite:////srv/work/mltrack/mltrack.db"
    monkeypatch.setenv("MLTRACK_TRACKING_URI", "/data/runs.db")
    assert resolve_tracking_uri("  ", "/srv/work") == "sqlite:////data/runs.db"
    assert resolve_tracking_uri("http://host:5000", "/srv/work") == "http://host:5000"


@pytest.mark.parametrize(
    ("uri", "masked"),
    [
        ("postgresql://ml:s3cret@db:5432/runs", "postgresql://ml:***@db:5432/runs"),
        ("mysql+pymysql://root:p@ss@db/runs", "mysql+pymysql://root:***@db/runs"),
        ("https://user:tok@mltrack.example/", "https://user:***@mltrack.example/"),
        ("postgresql://db/runs?user=ml&password=x&sslmode=1",
         "postgresql://db/runs?user=ml&password=***&sslmode=1"),
        ("postgresql://ml@db/runs", "postgresql://ml@db/runs"),
        ("sqlite:////srv/work/mltrack/mltrack.db", "sqlite:////srv/work/mltrack/mltrack.db"),
    ],
)  # fmt: skip
def test_mask_uri(uri: str, masked: str) -> None:
    assert mask_uri(uri) == masked
