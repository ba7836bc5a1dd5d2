"""App mode (issue 12, item 1): a page served to visitors never writes on the server.

The old dashboard offered "Save to folder" with a free-text folder box, so a visitor could write
an artifact anywhere on the server. These tests pin the fix: in app mode no save control exists
and ``save_to`` refuses; in a user's own notebook saving is confined to the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import ipywidgets
import pytest

from jupyter_mltrack import TrackingClient
from jupyter_mltrack.apps import DashboardSettings, header_html
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.widgets import _app_mode
from jupyter_mltrack.widgets._app_mode import confined_folder, shown_path
from jupyter_mltrack.widgets.artifacts import ArtifactBrowser
from jupyter_mltrack.widgets.run_view import RunView, info_html


@pytest.fixture
def client(tmp_path: Path) -> TrackingClient:
    return TrackingClient(f"sqlite:///{tmp_path / 'store' / 'mltrack.db'}")


@pytest.fixture
def run_id(client: TrackingClient) -> str:
    run_id = client.create_run(client.create_experiment("arts")).info.run_id
    client.log_text(run_id, "secret-free payload", "out/result.txt")
    return run_id


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> None:
    """App mode for one test (in a real app kernel it is switched on for good)."""
    monkeypatch.setattr(_app_mode, "_enabled", True)


def _all_widgets(widget: ipywidgets.Widget) -> list[ipywidgets.Widget]:
    found = [widget]
    for child in getattr(widget, "children", ()):
        found.extend(_all_widgets(child))
    return found


def _classes(widget: ipywidgets.Widget) -> set[str]:
    return {name for w in _all_widgets(widget) for name in w._dom_classes}


def test_app_mode_offers_download_only_and_save_refuses(
    app: None, client: TrackingClient, run_id: str, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    browser = ArtifactBrowser(run_id, client=client)
    browser.open_directory("out")
    browser.select("out/result.txt")
    classes = _classes(browser.preview)
    assert "mltrack-download" in classes
    assert "mltrack-save-folder" not in classes and "mltrack-save" not in classes
    assert not any(isinstance(w, ipywidgets.Text) for w in _all_widgets(browser.preview))
    # The old attack, through the Python API the buttons used to call: nothing is written.
    target = tmp_path / "attack"
    assert browser.save_to("out/result.txt", str(target)) is None
    assert browser.notice.kind == "error" and "Download" in browser.notice.message
    assert not target.exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "store"]


def test_allow_save_false_hides_save_outside_app_mode(
    client: TrackingClient, run_id: str, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    browser = ArtifactBrowser(run_id, client=client, allow_save=False)
    browser.select("out/result.txt")
    assert "mltrack-save" not in _classes(browser.preview)
    assert browser.save_to("out/result.txt", "dl") is None
    assert not (tmp_path / "dl").exists()


@pytest.mark.parametrize(
    "folder",
    ["../outside", "/tmp/mltrack-outside-cwd", "dl/../../outside", "", "   ", "dl\x00x"],
)
def test_save_is_confined_to_the_working_directory(
    client: TrackingClient, run_id: str, tmp_path: Path, monkeypatch, folder: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    browser = ArtifactBrowser(run_id, client=client)
    before = set(tmp_path.rglob("*"))
    assert browser.save_to("out/result.txt", folder) is None
    assert browser.notice.kind == "error"
    assert set(tmp_path.rglob("*")) == before
    assert not Path("/tmp/mltrack-outside-cwd").exists()


def test_save_refuses_a_symlink_out_and_never_follows_one_in_the_folder(
    client: TrackingClient, run_id: str, tmp_path: Path, monkeypatch
) -> None:
    work, outside = tmp_path / "work", tmp_path / "outside"
    work.mkdir()
    outside.mkdir()
    monkeypatch.chdir(work)
    (work / "escape").symlink_to(outside, target_is_directory=True)
    browser = ArtifactBrowser(run_id, client=client)
    assert browser.save_to("out/result.txt", "escape") is None
    assert list(outside.iterdir()) == []
    # A symlink named like the file inside an allowed folder is replaced, not written through.
    (work / "dl").mkdir()
    victim = outside / "victim.txt"
    victim.write_text("keep me")
    (work / "dl" / "result.txt").symlink_to(victim)
    saved = browser.save_to("out/result.txt", "dl")
    assert saved == str(work / "dl" / "result.txt")
    assert not os.path.islink(saved) and Path(saved).read_text() == "secret-free payload"
    assert victim.read_text() == "keep me"
    assert [p.name for p in (work / "dl").iterdir()] == ["result.txt"]  # no .part left


def test_confined_folder_resolves_relative_and_absolute_inside(tmp_path: Path) -> None:
    assert confined_folder("dl", base=tmp_path) == tmp_path.resolve() / "dl"
    assert confined_folder(str(tmp_path / "a" / "b"), base=tmp_path) == tmp_path.resolve() / "a/b"
    with pytest.raises(InvalidParameterError, match="outside the working directory"):
        confined_folder("..", base=tmp_path)


def test_confined_folder_refuses_everything_in_app_mode(app: None, tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match="disabled in this app"):
        confined_folder("dl", base=tmp_path)


def test_dashboard_header_never_names_the_store() -> None:
    settings = DashboardSettings(
        tracking_uri="postgresql://me:hunter2@db.internal:5432/track", experiment="churn"
    )
    header = header_html(settings)
    assert "experiment <b>churn</b>" in header
    assert "db.internal" not in header and "hunter2" not in header and "postgresql" not in header
    local = header_html(DashboardSettings(tracking_uri="sqlite:////srv/team/mltrack.db"))
    assert "/srv/team" not in local and "sqlite" not in local


def test_run_pages_hide_server_paths_in_app_mode(
    app: None, client: TrackingClient, run_id: str, tmp_path: Path
) -> None:
    client.set_tag(run_id, "mlflow.source.name", "/home/alice/projects/churn/train.ipynb")
    run = client.get_run(run_id)
    assert str(tmp_path) not in info_html(run)
    view = RunView(run_id, client=client)
    assert str(tmp_path) not in view.details.value
    assert "/home/alice" not in view.details.value and "train.ipynb" in view.details.value
    assert view.artifact_browser is not None and not view.artifact_browser.allow_save


def test_run_pages_show_paths_in_a_users_own_notebook(client: TrackingClient, run_id: str) -> None:
    run = client.get_run(run_id)
    assert run.info.artifact_uri in info_html(run)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("/srv/data/train.ipynb", "train.ipynb"),
        ("file:///srv/x/mltrack/artifacts/1/abc", "abc"),
        ("s3://bucket/prefix/run/", "run"),
        ("notebooks/train.ipynb", "train.ipynb"),
        ("train.ipynb", "train.ipynb"),
        ("runs:/0123abcd/model", "runs:/0123abcd/model"),
        ("models:/churn@champion", "models:/churn@champion"),
        (None, None),
    ],
)
def test_shown_path_keeps_only_the_name_in_app_mode(app: None, value, shown) -> None:
    assert shown_path(value) == shown


def test_shown_path_is_unchanged_outside_app_mode() -> None:
    assert shown_path("/srv/data/train.ipynb") == "/srv/data/train.ipynb"
