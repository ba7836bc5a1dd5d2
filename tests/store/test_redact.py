"""``redact_uri``: passwords and secret query values never reach a repr or a message."""

from __future__ import annotations

import pytest

from jupyter_mltrack.store.redact import redact_uri


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("http://ada:secret@host:5000", "http://ada:***@host:5000"),
        ("https://ada:s3cr@t@host/prefix", "https://ada:***@host/prefix"),  # "@" in a password
        ("postgresql+psycopg://bob:pw@db:5432/x", "postgresql+psycopg://bob:***@db:5432/x"),
        ("http://:pw@host", "http://:***@host"),
        ("http://ada@host", "http://ada@host"),  # a user name alone is no secret
        ("http://host:5000/x?token=abc&n=1", "http://host:5000/x?token=***&n=1"),
        ("mysql://u@h/db?charset=utf8&password=zz", "mysql://u@h/db?charset=utf8&password=***"),
        ("sqlite:////tmp/a@b/mltrack.db", "sqlite:////tmp/a@b/mltrack.db"),  # a path, no host
        ("/plain/path", "/plain/path"),
    ],
)
def test_redact_uri(uri, shown):
    assert redact_uri(uri) == shown


def test_client_reprs_hide_the_password(tmp_path):
    from jupyter_mltrack import TrackingClient

    client = TrackingClient(f"sqlite:///{tmp_path}/m.db")
    client.tracking_uri = "http://ada:secret@host:5000"  # as a server URI would be kept
    assert repr(client) == "TrackingClient('http://ada:***@host:5000')"
