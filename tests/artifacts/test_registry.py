"""The artifact repository registry: scheme lookup, plugins by entry point, URI joining."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest

from jupyter_mltrack.artifacts import (
    ArtifactRepository,
    FsspecArtifactRepository,
    LocalArtifactRepository,
    get_artifact_repository,
    register_artifact_repository,
    registry,
    resolve_uri,
)
from jupyter_mltrack.errors import InvalidParameterError

PLUGIN_MODULE = "mltrack_fake_artifact_plugin"


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(registry, "_registered", {})
    monkeypatch.setattr(registry, "_entry_points", None)
    yield
    fs = fsspec.filesystem("memory")
    fs.store.clear()


class TaggedRepository(LocalArtifactRepository):
    """A local repository that remembers the URI it was built from."""

    def __init__(self, artifact_uri: str) -> None:
        super().__init__(artifact_uri.split("://", 1)[1])
        self.built_from = artifact_uri


@pytest.fixture
def plugin_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Install a fake distribution whose entry point serves the ``plugged`` scheme."""
    dist_info = tmp_path / "mltrack_fake_artifact_plugin-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: mltrack-fake-artifact-plugin\nVersion: 1.0\n"
    )
    (dist_info / "entry_points.txt").write_text(
        f"[jupyter_mltrack.artifact_repositories]\nplugged = {PLUGIN_MODULE}:PluggedRepository\n"
    )
    (tmp_path / f"{PLUGIN_MODULE}.py").write_text(
        textwrap.dedent(
            """
            from jupyter_mltrack.artifacts import LocalArtifactRepository

            class PluggedRepository(LocalArtifactRepository):
                def __init__(self, artifact_uri):
                    super().__init__(artifact_uri.split("://", 1)[1])
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, PLUGIN_MODULE, raising=False)
    return tmp_path


@pytest.mark.parametrize(
    ("uri", "kind"),
    [
        ("/abs/mltrack/artifacts/1/abc/artifacts", LocalArtifactRepository),
        ("relative/artifacts", LocalArtifactRepository),
        ("file:///abs/artifacts", LocalArtifactRepository),
        ("FILE:///abs/artifacts", LocalArtifactRepository),
        ("C:\\mltrack\\artifacts", LocalArtifactRepository),
        ("memory://bucket/1/abc/artifacts", FsspecArtifactRepository),
        ("MEMORY://bucket/x", FsspecArtifactRepository),
    ],
)
def test_builtin_repository_by_scheme(uri: str, kind: type[ArtifactRepository]) -> None:
    repo = get_artifact_repository(uri)
    assert type(repo) is kind
    assert repo.artifact_uri == uri


def test_unknown_scheme_is_invalid_with_a_clear_message() -> None:
    with pytest.raises(InvalidParameterError, match=r"No artifact repository handles.*'nosuchfs'"):
        get_artifact_repository("nosuchfs://somewhere/x")


@pytest.mark.parametrize("uri", ["", None, 42])
def test_uri_must_be_a_non_empty_string(uri: object) -> None:
    with pytest.raises(InvalidParameterError, match="non-empty string"):
        get_artifact_repository(uri)  # type: ignore[arg-type]


@pytest.mark.parametrize("scheme", ["tagged", "tagged://", "TAGGED:"])
def test_registered_factory_serves_its_scheme(scheme: str, tmp_path: Path) -> None:
    register_artifact_repository(scheme, TaggedRepository)
    repo = get_artifact_repository(f"tagged://{tmp_path}")
    assert isinstance(repo, TaggedRepository)
    assert repo.built_from == f"tagged://{tmp_path}"


def test_registration_overrides_a_builtin(tmp_path: Path) -> None:
    register_artifact_repository("memory", TaggedRepository)
    assert isinstance(get_artifact_repository(f"memory://{tmp_path}"), TaggedRepository)


@pytest.mark.parametrize("scheme", ["s 3", "3s", "a/b", 7])
def test_register_refuses_a_bad_scheme(scheme: object) -> None:
    with pytest.raises(InvalidParameterError, match="not a URI scheme"):
        register_artifact_repository(scheme, TaggedRepository)  # type: ignore[arg-type]


def test_register_refuses_a_non_callable() -> None:
    with pytest.raises(InvalidParameterError, match="must be callable"):
        register_artifact_repository("x", "not a factory")  # type: ignore[arg-type]


def test_entry_point_is_loaded_on_lookup_of_its_scheme(plugin_on_path: Path) -> None:
    get_artifact_repository(str(plugin_on_path))
    assert PLUGIN_MODULE not in sys.modules  # read the table, loaded nothing
    repo = get_artifact_repository(f"plugged://{plugin_on_path}")
    assert type(repo).__name__ == "PluggedRepository"
    assert PLUGIN_MODULE in sys.modules


def test_explicit_registration_beats_an_entry_point(plugin_on_path: Path) -> None:
    register_artifact_repository("plugged", TaggedRepository)
    assert isinstance(get_artifact_repository(f"plugged://{plugin_on_path}"), TaggedRepository)
    assert PLUGIN_MODULE not in sys.modules


@pytest.mark.parametrize(
    ("base", "parts", "expected"),
    [
        ("s3://bucket/1/abc/artifacts", ("model", "MLmodel"), "s3://bucket/1/abc/artifacts/model/MLmodel"),
        ("s3://bucket/1/abc/artifacts/", ("model/MLmodel",), "s3://bucket/1/abc/artifacts/model/MLmodel"),
        ("memory://b/x", ("a/./b", "c.txt"), "memory://b/x/a/b/c.txt"),
        ("file:///abs/root", ("a.txt",), "file:///abs/root/a.txt"),
        ("file:///", ("a.txt",), "file:///a.txt"),
        ("/abs/root", ("sub", "", "a.txt"), "/abs/root/sub/a.txt"),
        ("/abs/root", (), "/abs/root"),
        ("/abs/root", ("",), "/abs/root"),
        ("/", ("a",), "/a"),
    ],
)  # fmt: skip
def test_resolve_uri(base: str, parts: tuple[str, ...], expected: str) -> None:
    assert resolve_uri(base, *parts) == expected


@pytest.mark.parametrize("parts", [("..", "x"), ("a", "/etc/passwd"), ("a/../../b",)])
def test_resolve_uri_refuses_escapes(parts: tuple[str, ...]) -> None:
    with pytest.raises(InvalidParameterError):
        resolve_uri("s3://bucket/root", *parts)


def test_import_is_cheap() -> None:
    code = (
        "import sys, jupyter_mltrack.artifacts\n"
        "heavy = {'fsspec', 'pandas', 'yaml', 'importlib.metadata'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
