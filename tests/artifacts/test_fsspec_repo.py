"""FsspecArtifactRepository's own rules; the shared contract runs in ``test_local_repo.py``."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest

from jupyter_mltrack.artifacts import FsspecArtifactRepository
from jupyter_mltrack.artifacts.fsspec_repo import open_filesystem
from jupyter_mltrack.entities import FileInfo
from jupyter_mltrack.errors import InvalidParameterError, MissingDependencyError

ROOT = "memory://bucket/1/abc/artifacts"


@pytest.fixture(autouse=True)
def memory_fs() -> Iterator[fsspec.AbstractFileSystem]:
    fs = fsspec.filesystem("memory")
    fs.store.clear()
    fs.pseudo_dirs.clear()
    fs.pseudo_dirs.append("")
    yield fs
    fs.store.clear()
    fs.pseudo_dirs.clear()
    fs.pseudo_dirs.append("")


def test_root_is_the_uri_path_without_trailing_slash() -> None:
    repo = FsspecArtifactRepository(ROOT + "/")
    assert repo.root == "/bucket/1/abc/artifacts"
    assert repo.artifact_uri == ROOT + "/"


def test_writes_land_under_the_root_on_the_filesystem(
    memory_fs: fsspec.AbstractFileSystem,
) -> None:
    FsspecArtifactRepository(ROOT).write_bytes("plots/loss.json", b"{}")
    assert memory_fs.cat_file("/bucket/1/abc/artifacts/plots/loss.json") == b"{}"


def test_two_runs_do_not_see_each_other() -> None:
    FsspecArtifactRepository("memory://bucket/1/run_a/artifacts").write_bytes("x.txt", b"a")
    other = FsspecArtifactRepository("memory://bucket/1/run_b/artifacts")
    assert other.list_artifacts() == []


def test_empty_directories_are_listed_as_directories(
    memory_fs: fsspec.AbstractFileSystem,
) -> None:
    memory_fs.makedirs("/bucket/1/abc/artifacts/empty")
    repo = FsspecArtifactRepository(ROOT)
    assert repo.list_artifacts() == [FileInfo(path="empty", is_dir=True, file_size=None)]
    assert repo.list_artifacts("empty") == []


def test_log_artifacts_of_an_empty_directory_writes_nothing(tmp_path: Path) -> None:
    repo = FsspecArtifactRepository(ROOT)
    repo.log_artifacts(tmp_path)
    assert repo.list_artifacts() == []


def test_download_without_dst_uses_a_fresh_temp_dir(tmp_path: Path) -> None:
    repo = FsspecArtifactRepository(ROOT)
    repo.write_bytes("a/b.txt", b"x")
    first, second = repo.download_artifacts("a/b.txt"), repo.download_artifacts("a/b.txt")
    assert first != second
    assert Path(first).read_bytes() == Path(second).read_bytes() == b"x"


def test_filesystem_with_real_folders_gets_parents_created(tmp_path: Path) -> None:
    # fsspec's own local filesystem (not LocalArtifactRepository) needs parent folders.
    repo = FsspecArtifactRepository(f"local://{tmp_path}/artifacts")
    repo.write_bytes("deep/er/x.txt", b"x")
    assert (tmp_path / "artifacts" / "deep" / "er" / "x.txt").read_bytes() == b"x"
    assert repo.list_artifacts("deep") == [FileInfo(path="deep/er", is_dir=True)]


def test_unknown_scheme_is_invalid() -> None:
    with pytest.raises(InvalidParameterError, match=r"scheme 'nosuchfs'.*register_artifact"):
        FsspecArtifactRepository("nosuchfs://bucket/x")


@pytest.mark.parametrize(
    ("uri", "package", "extra"),
    [("s3://bucket/1/abc/artifacts", "s3fs", "s3"), ("gs://bucket/x", "gcsfs", "gcs")],
)
def test_missing_driver_names_package_and_extra(
    uri: str, package: str, extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Make the driver unimportable even where it is installed (the dev extra has s3fs), and
    # forget fsspec's cached class for the scheme.
    monkeypatch.setitem(sys.modules, package, None)
    loaded = importlib.import_module("fsspec.registry")._registry
    monkeypatch.delitem(loaded, uri.split(":")[0], raising=False)
    with pytest.raises(MissingDependencyError, match=rf"jupyter_mltrack\[{extra}\]") as info:
        open_filesystem(uri)
    assert (info.value.package, info.value.extra) == (package, extra)
    assert isinstance(info.value, ImportError)
