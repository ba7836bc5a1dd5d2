"""The example projects (examples/mlproject, notebooks/) run from a local Git repository at a
pinned commit, in an environment built with ``--env-manager virtualenv``.

The environments are built once into the default cache (``~/.cache/mltrack/envs``) and reused by
later sessions, like a user's; the first build needs the package index (pip).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_git_source import git

from jupyter_mltrack.cli.main import main
from jupyter_mltrack.tracking.client import TrackingClient

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TrackingClient:
    uri = f"sqlite:///{tmp_path / 'mltrack.db'}"
    monkeypatch.setenv("MLTRACK_TRACKING_URI", uri)
    monkeypatch.setenv("MLTRACK_PROJECTS_CACHE", str(tmp_path / "checkouts"))
    return TrackingClient(uri)


def _repository(tmp_path: Path, folder: str) -> tuple[Path, str]:
    """A repository holding a copy of ``folder``; a later commit changes it. Returns the
    repository and the first (pinned) commit."""
    repo = tmp_path / "repo"
    shutil.copytree(REPO / folder, repo / "project", ignore=shutil.ignore_patterns("mltrack"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "pinned")
    pinned = git(repo, "rev-parse", "HEAD")
    (repo / "project" / "later.txt").write_text("a later commit")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "later")
    return repo, pinned


def _run(*args: str) -> None:
    result = CliRunner().invoke(main, ["run", *args])
    assert result.exit_code == 0, result.output


def test_mlproject_example_from_git_in_a_virtualenv(tmp_path: Path, client: TrackingClient) -> None:
    repo, pinned = _repository(tmp_path, "examples/mlproject")
    uri = f"file://{repo}#project"
    _run(uri, "-v", pinned, "--env-manager", "virtualenv", "-P", "alpha=0.5")
    _run(uri, "-v", pinned, "--env-manager", "virtualenv", "-e", "prepare", "-P", "rows=50")
    prepare, train = sorted(client.search_runs(["0"]), key=lambda r: r.info.run_name or "")[::-1]
    assert train.info.run_name == "ridge-example-main" and train.info.status == "FINISHED"
    assert train.data.params["alpha"] == "0.5" and train.data.params["rows"] == "60"
    assert 0 < train.data.metrics["rmse"] < 0.2
    tags = train.data.tags
    assert tags["mlflow.source.git.commit"] == pinned
    assert tags["mltrack.env.manager"] == "virtualenv" and tags["mltrack.env.hash"]
    assert "numpy" in tags["mltrack.env.spec"]
    # The same spec, the same environment: the second run reused what the first one built.
    assert prepare.data.tags["mltrack.env.hash"] == tags["mltrack.env.hash"]
    assert prepare.info.status == "FINISHED"
    assert [f.path for f in client.list_artifacts(prepare.info.run_id, "data")] == ["data/data.csv"]


@pytest.mark.kernel
def test_notebook_example_from_git_in_a_virtualenv(tmp_path: Path, client: TrackingClient) -> None:
    repo, pinned = _repository(tmp_path, "notebooks")
    uri = f"file://{repo}#project"
    _run(uri, "-v", pinned, "--env-manager", "virtualenv", "-P", "n_estimators=10")
    (trained,) = [
        r for r in client.search_runs(["0"]) if r.info.run_name == "breast-cancer-example-main"
    ]
    assert trained.info.status == "FINISHED"
    assert trained.data.metrics["accuracy"] > 0.85
    assert trained.data.tags["mlflow.source.git.commit"] == pinned
    assert trained.data.tags["mltrack.env.manager"] == "virtualenv"
