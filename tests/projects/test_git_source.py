"""Projects from Git repositories at a pinned version: local repositories made in tmp."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from jupyter_mltrack.cli.main import main
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.projects import run
from jupyter_mltrack.projects.git_source import fetch_project
from jupyter_mltrack.tracking.client import TrackingClient

MLPROJECT = """\
name: versioned
entry_points:
  main:
    parameters:
      n: {type: float, default: 1}
    command: "python step.py {n}"
"""
STEP = """\
import sys
import jupyter_mltrack as mlt
with mlt.start_run():
    mlt.log_metric("version", VERSION)
    mlt.log_metric("n", float(sys.argv[1]))
"""


def git(repo: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@x", "HOME": str(repo.parent), "PATH": "/usr/bin:/bin",
    }  # fmt: skip
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def commit_version(repo: Path, version: int, message: str) -> str:
    sub = repo / "sub"
    sub.mkdir(exist_ok=True)
    (sub / "MLproject").write_text(MLPROJECT)
    (sub / "step.py").write_text(STEP.replace("VERSION", str(version)))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> dict[str, str]:
    """A repository with v1 (tagged) and v2 on trunk, v3 on a branch; returns name -> sha."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "trunk")
    shas = {"v1": commit_version(path, 1, "one")}
    git(path, "tag", "-a", "release-1", "-m", "first release")
    shas["v2"] = commit_version(path, 2, "two")
    git(path, "checkout", "-q", "-b", "feature")
    shas["v3"] = commit_version(path, 3, "three")
    git(path, "checkout", "-q", "trunk")
    shas["path"] = str(path)
    return shas


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TrackingClient:
    uri = f"sqlite:///{tmp_path / 'mltrack.db'}"
    monkeypatch.setenv("MLTRACK_TRACKING_URI", uri)
    monkeypatch.setenv("MLTRACK_PROJECTS_CACHE", str(tmp_path / "cache"))
    return TrackingClient(uri)


@pytest.mark.parametrize(
    ("version", "expected"),
    [(None, "v2"), ("release-1", "v1"), ("feature", "v3"), ("trunk", "v2"), ("v1", "v1")],
)
def test_versions_resolve_to_commits(
    repo: dict[str, str], client: TrackingClient, version: str | None, expected: str
) -> None:
    asked = repo["v1"][:10] if version == "v1" else version  # an abbreviated commit
    source = fetch_project(f"file://{repo['path']}#sub", asked)
    assert source.commit == repo[expected]
    assert (Path(source.root) / "step.py").read_text() == STEP.replace("VERSION", expected[1])
    assert Path(source.root).parent.name == repo[expected]  # cached by commit
    assert source.branch == (version if version in ("feature", "trunk") else None)


def test_checkout_is_reused_and_clean(repo: dict[str, str], client: TrackingClient) -> None:
    first = fetch_project(repo["path"] + "#sub", "release-1")
    (Path(first.root) / "marker").write_text("left by the first fetch")
    again = fetch_project(f"file://{repo['path']}#sub", repo["v1"])  # full sha: no git at all
    assert again.root == first.root and (Path(again.root) / "marker").exists()
    assert not (Path(repo["path"]) / "sub" / "marker").exists()  # the repository is untouched


@pytest.mark.parametrize(
    ("uri_suffix", "version", "message"),
    [
        ("#sub", "nope", r"Unknown version 'nope'.*branches: feature, trunk; tags: release-1"),
        ("#sub", "deadbeef", "Unknown version 'deadbeef'"),
        ("#sub", "0" * 40, "Unknown version"),
        ("#missing", None, "has no folder 'missing'"),
        ("#../x", None, "relative path inside the repository"),
    ],
)
def test_bad_versions_are_one_clear_error(
    repo: dict[str, str], client: TrackingClient, uri_suffix: str, version: str | None,
    message: str,
) -> None:  # fmt: skip
    with pytest.raises(InvalidParameterError, match=message):
        run(f"file://{repo['path']}{uri_suffix}", version=version)
    assert client.search_runs(["0"]) == []  # nothing ran, no run was created


def test_version_needs_a_repository(tmp_path: Path, client: TrackingClient) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "a.py").write_text("")
    with pytest.raises(InvalidParameterError, match="needs a Git repository"):
        fetch_project(str(tmp_path / "plain"), "main")
    with pytest.raises(InvalidParameterError, match="Cannot read the Git repository"):
        fetch_project(f"file://{tmp_path / 'nowhere'}", None)


@pytest.mark.slow
def test_run_from_git_records_commit_and_uri(repo: dict[str, str], client: TrackingClient) -> None:
    uri = f"file://{repo['path']}#sub"
    result = CliRunner().invoke(main, ["run", uri, "-v", "feature", "-P", "n=5"])
    assert result.exit_code == 0, result.output
    (finished,) = client.search_runs(["0"])
    assert finished.info.status == "FINISHED"
    assert finished.data.metrics == {"version": 3.0, "n": 5.0}
    tags = finished.data.tags
    assert tags["mlflow.source.git.commit"] == tags["mltrack.source.git.commit"] == repo["v3"]
    repo_url = f"file://{repo['path']}"
    assert tags["mlflow.source.git.repoURL"] == tags["mlflow.gitRepoURL"] == repo_url
    assert tags["mlflow.source.name"] == tags["mltrack.project.uri"] == uri
    assert tags["mlflow.source.git.branch"] == tags["mltrack.source.git.branch"] == "feature"
    assert tags["mltrack.project.version"] == "feature"
    assert tags["mlflow.project.entryPoint"] == "main"
    assert json.loads(tags["mltrack.project.parameterTypes"]) == {"n": "float"}
