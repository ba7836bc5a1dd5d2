"""Tests of the run-context-provider registry and the built-in providers."""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_mltrack.tracking import _git, _source, context
from jupyter_mltrack.tracking import tags as t
from jupyter_mltrack.tracking.context import (
    RunContextProvider,
    list_context_providers,
    register_context_provider,
    resolve_context_tags,
    resolve_source_path,
    unregister_context_provider,
)

PRINT_TAGS = (
    "import json; from jupyter_mltrack.tracking.context import resolve_context_tags; "
    "print(json.dumps(resolve_context_tags()))"
)


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Give every test the built-in providers only, and empty caches."""
    monkeypatch.setattr(context, "_registry", context._Registry(context._builtin_providers()))
    context.clear_context_cache()
    yield
    context.clear_context_cache()


class FixedProvider(RunContextProvider):
    """A provider with fixed answers, like the notebook layer's."""

    def __init__(self, tags: dict[str, str], *, path: str | None = None, active: bool = True):
        self._tags, self._path, self._active = tags, path, active

    def in_context(self) -> bool:
        return self._active

    def tags(self) -> dict[str, str]:
        return self._tags

    def source_path(self) -> str | None:
        return self._path


class BrokenProvider(RunContextProvider):
    def __init__(self, where: str) -> None:
        self.where = where

    def in_context(self) -> bool:
        if self.where == "in_context":
            raise RuntimeError("boom in_context")
        return True

    def tags(self) -> dict[str, str]:
        raise RuntimeError("boom tags")

    def source_path(self) -> str | None:
        raise RuntimeError("boom source_path")


# -- registry -------------------------------------------------------------------------------------
def test_builtins_provide_user_source_python_and_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLTRACK_USER", "ada")
    tags = resolve_context_tags()
    assert list_context_providers() == ["user", "source", "git", "python", "hostname"]
    assert tags[t.USER] == "ada"
    assert tags[t.SOURCE_TYPE] == "LOCAL"
    assert tags[t.PYTHON_VERSION].count(".") == 2
    assert tags[t.HOSTNAME]


def test_registered_provider_overrides_source_type_and_name() -> None:
    register_context_provider(
        FixedProvider({t.SOURCE_TYPE: "NOTEBOOK", t.SOURCE_NAME: "/nb/a.ipynb"}), name="notebook"
    )
    tags = resolve_context_tags()
    assert (tags[t.SOURCE_TYPE], tags[t.SOURCE_NAME]) == ("NOTEBOOK", "/nb/a.ipynb")
    assert list_context_providers()[-1] == "notebook"


def test_user_tags_override_every_provider() -> None:
    register_context_provider(FixedProvider({"team": "a", t.USER: "x"}), name="p")
    tags = resolve_context_tags({"team": "b", t.USER: "me"})
    assert (tags["team"], tags[t.USER]) == ("b", "me")


def test_priority_then_registration_order_decides() -> None:
    register_context_provider(FixedProvider({"k": "high"}), name="high", priority=10)
    register_context_provider(FixedProvider({"k": "low"}), name="low")
    assert resolve_context_tags()["k"] == "high"
    register_context_provider(FixedProvider({"k": "later"}), name="later", priority=10)
    assert resolve_context_tags()["k"] == "later"


def test_out_of_context_provider_is_ignored() -> None:
    register_context_provider(FixedProvider({"k": "v"}, active=False), name="off")
    assert "k" not in resolve_context_tags()


def test_same_name_replaces_and_unregister_removes() -> None:
    register_context_provider(FixedProvider({"k": "1"}), name="p")
    register_context_provider(FixedProvider({"k": "2"}), name="p")
    assert resolve_context_tags()["k"] == "2"
    assert unregister_context_provider("p") is True
    assert unregister_context_provider("p") is False
    assert "k" not in resolve_context_tags()


def test_default_name_is_the_class_name() -> None:
    register_context_provider(FixedProvider({}))
    assert "FixedProvider" in list_context_providers()


@pytest.mark.parametrize("where", ["in_context", "tags"])
def test_raising_provider_is_logged_and_skipped(
    where: str, caplog: pytest.LogCaptureFixture
) -> None:
    register_context_provider(FixedProvider({"before": "1"}), name="before", priority=-1)
    register_context_provider(BrokenProvider(where), name="broken")
    register_context_provider(FixedProvider({"after": "1"}), name="after", priority=1)
    with caplog.at_level(logging.WARNING, logger=context.__name__):
        tags = resolve_context_tags()
    assert tags["before"] == tags["after"] == "1"
    assert t.USER in tags
    assert "'broken' failed" in caplog.text


def test_provider_returning_a_non_dict_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    register_context_provider(FixedProvider(["oops"]), name="bad")  # type: ignore[arg-type]
    assert t.USER in resolve_context_tags()
    assert "not a dict" in caplog.text


# -- entry points ---------------------------------------------------------------------------------
@pytest.fixture
def fake_entry_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Serve entry points from a module in tmp_path; returns a list of loaded names."""
    (tmp_path / "ep_providers.py").write_text(
        textwrap.dedent(
            """
            from jupyter_mltrack.tracking.context import RunContextProvider
            LOADED = []
            class JobProvider(RunContextProvider):
                priority = 5
                def __init__(self): LOADED.append("job")
                def in_context(self): return True
                def tags(self): return {"mltrack.source.type": "JOB"}
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = importlib.metadata.EntryPoints(
        importlib.metadata.EntryPoint(name, value, context.ENTRY_POINT_GROUP)
        for name, value in [("job", "ep_providers:JobProvider"), ("bad", "no_such_mod:X")]
    )
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: eps)
    sys.modules.pop("ep_providers", None)  # each test gets a fresh module from its tmp_path
    import ep_providers

    return ep_providers.LOADED  # type: ignore[no-any-return]


def test_entry_points_load_lazily_on_first_resolve(
    fake_entry_points: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    register_context_provider(FixedProvider({"x": "1"}), name="explicit")
    assert fake_entry_points == []  # registering does not load entry points
    assert resolve_context_tags()[t.SOURCE_TYPE] == "JOB"
    assert fake_entry_points == ["job"]
    assert "Cannot load run context provider 'bad'" in caplog.text
    resolve_context_tags()
    assert fake_entry_points == ["job"]


def test_explicit_registration_wins_over_entry_point(fake_entry_points: list[str]) -> None:
    register_context_provider(FixedProvider({t.SOURCE_TYPE: "PROJECT"}), name="job")
    assert resolve_context_tags()[t.SOURCE_TYPE] == "PROJECT"
    assert fake_entry_points == []


def test_import_loads_no_entry_points() -> None:
    code = "import jupyter_mltrack.tracking.context as c; print(c._registry._entry_points_loaded)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- source detection -----------------------------------------------------------------------------
def run_python(*args: str, cwd: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLTRACK_")}
    out = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_script_source_is_its_absolute_path(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(PRINT_TAGS)
    tags = run_python("train.py", cwd=tmp_path)
    assert tags[t.SOURCE_NAME] == str(script.resolve())
    assert tags[t.SOURCE_TYPE] == "LOCAL"


def test_module_run_with_dash_m_is_its_file(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(PRINT_TAGS)
    tags = run_python("-m", "job", cwd=tmp_path)
    assert tags[t.SOURCE_NAME] == str(tmp_path.resolve() / "job.py")


def test_dash_c_has_no_source_file(tmp_path: Path) -> None:
    tags = run_python("-c", PRINT_TAGS, cwd=tmp_path)
    assert (tags[t.SOURCE_NAME], tags[t.SOURCE_TYPE]) == ("<stdin>", "LOCAL")


def test_launchers_are_not_the_users_source() -> None:
    _, path = _source.detect_source(sys.modules["__main__"])  # pytest is no user source
    assert path is None
    installed = os.path.join(_source._installed_roots()[0], "tool.py")
    assert _source._classify_main_file(installed, None) == ("tool", None)


def test_env_overrides_source_name_and_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLTRACK_SOURCE_NAME", "nightly-job")
    monkeypatch.setenv("MLTRACK_SOURCE_TYPE", "job")
    tags = resolve_context_tags()
    assert (tags[t.SOURCE_NAME], tags[t.SOURCE_TYPE]) == ("nightly-job", "JOB")
    assert resolve_source_path() is None


def test_invalid_source_type_env_is_ignored(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("MLTRACK_SOURCE_TYPE", "spaceship")
    assert resolve_context_tags()[t.SOURCE_TYPE] == "LOCAL"
    assert "MLTRACK_SOURCE_TYPE" in caplog.text


def test_source_path_comes_from_highest_priority_provider(tmp_path: Path) -> None:
    register_context_provider(FixedProvider({}, path="/low"), name="low", priority=1)
    register_context_provider(FixedProvider({}, path=None), name="abstains", priority=3)
    register_context_provider(FixedProvider({}, path="/high"), name="high", priority=2)
    assert resolve_source_path() == "/high"
    register_context_provider(BrokenProvider("source_path"), name="broken", priority=9)
    assert resolve_source_path() == "/high"


# -- git ------------------------------------------------------------------------------------------
needs_git = pytest.mark.skipif(_git._git_executable() is None, reason="git is not installed")
GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str) -> str:
    ident = ["-c", "user.email=t@example.com", "-c", "user.name=T", "-c", "commit.gpgsign=false"]
    out = subprocess.run(
        ["git", *ident, *args],
        cwd=repo,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with one commit of ``src/train.py`` on ``main``."""
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "train.py").write_text("print('v1')\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "remote", "add", "origin", "https://user:secret@example.com/org/repo.git")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    return root


@needs_git
def test_git_tags_follow_commits_branches_and_edits(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_git, "GIT_DIRTY_TTL_SECONDS", 0.0)
    source = str(repo / "src" / "train.py")
    first = context.git_tags(source)
    assert first[t.GIT_COMMIT] == git(repo, "rev-parse", "HEAD")
    assert (first[t.GIT_BRANCH], first[t.GIT_DIRTY]) == ("main", "false")
    assert first[t.GIT_REPO_URL] == "https://example.com/org/repo.git"  # no credentials

    (repo / "src" / "train.py").write_text("print('v2')\n")
    assert context.git_tags(source)[t.GIT_DIRTY] == "true"

    git(repo, "commit", "-q", "-am", "second")
    second = context.git_tags(source)
    assert second[t.GIT_COMMIT] == git(repo, "rev-parse", "HEAD") != first[t.GIT_COMMIT]
    assert second[t.GIT_DIRTY] == "false"

    git(repo, "checkout", "-q", "-b", "feature")
    assert context.git_tags(source)[t.GIT_BRANCH] == "feature"


@needs_git
def test_packed_refs_and_detached_head(repo: Path) -> None:
    source = str(repo / "src" / "train.py")
    head = git(repo, "rev-parse", "HEAD")
    git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    assert context.git_tags(source)[t.GIT_COMMIT] == head
    git(repo, "checkout", "-q", "--detach")
    detached = context.git_tags(source)
    assert detached[t.GIT_COMMIT] == head
    assert t.GIT_BRANCH not in detached


@needs_git
def test_worktree_reads_its_own_head(repo: Path, tmp_path: Path) -> None:
    git(repo, "worktree", "add", "-q", "-b", "side", str(tmp_path / "wt"))
    tags = context.git_tags(str(tmp_path / "wt" / "src" / "train.py"))
    assert tags[t.GIT_BRANCH] == "side"
    assert tags[t.GIT_COMMIT] == git(repo, "rev-parse", "HEAD")
    assert tags[t.GIT_REPO_URL] == "https://example.com/org/repo.git"


def test_no_repository_means_no_git_tags(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("")
    assert context.git_tags(str(tmp_path / "a.py")) == {}


@needs_git
def test_git_comes_from_the_source_file_not_the_cwd(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = repo / "src" / "run.py"
    script.write_text(PRINT_TAGS)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    tags = run_python(str(script), cwd=elsewhere)
    assert tags[t.SOURCE_NAME] == str(script.resolve())
    assert tags[t.GIT_COMMIT] == git(repo, "rev-parse", "HEAD")
    assert t.GIT_COMMIT not in run_python("-c", PRINT_TAGS, cwd=repo)  # cwd is not the source


@needs_git
def test_provider_source_path_selects_the_repository(repo: Path) -> None:
    notebook = str(repo / "src" / "analysis.ipynb")
    register_context_provider(
        FixedProvider({t.SOURCE_TYPE: "NOTEBOOK", t.SOURCE_NAME: notebook}, path=notebook),
        name="notebook",
    )
    tags = resolve_context_tags()
    assert tags[t.SOURCE_TYPE] == "NOTEBOOK"
    assert tags[t.GIT_COMMIT] == git(repo, "rev-parse", "HEAD")


@needs_git
def test_git_facts_are_cached_per_repository(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_status = _git._git_status_dirty

    def counting_status(root: str) -> bool | None:
        calls.append(root)
        return real_status(root)

    monkeypatch.setattr(_git, "_git_status_dirty", counting_status)
    monkeypatch.setattr(_git, "GIT_DIRTY_TTL_SECONDS", 3600.0)
    notebook = str(repo / "src" / "a.ipynb")
    register_context_provider(FixedProvider({}, path=notebook), name="nb")
    results = [resolve_context_tags() for _ in range(200)]
    assert calls == [str(repo)]
    assert list(_git._REPOS) == [str(repo)]
    assert all(r == results[0] for r in results)


@needs_git
def test_without_git_executable_dirty_is_omitted(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_git, "_git_executable", lambda: None)
    tags = context.git_tags(str(repo / "src" / "train.py"))
    assert t.GIT_DIRTY not in tags
    assert tags[t.GIT_BRANCH] == "main"


@needs_git
def test_slow_git_status_is_not_retried(
    repo: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[list[str]] = []

    def slow_run(args: list[str], **kwargs: object) -> None:
        calls.append(args)
        raise subprocess.TimeoutExpired(args, 2.0)

    monkeypatch.setattr(subprocess, "run", slow_run)
    monkeypatch.setattr(_git, "GIT_DIRTY_TTL_SECONDS", 0.0)
    source = str(repo / "src" / "train.py")
    assert t.GIT_DIRTY not in context.git_tags(source)
    assert t.GIT_COMMIT in context.git_tags(source)
    assert len(calls) == 1
    assert "git status took over" in caplog.text
