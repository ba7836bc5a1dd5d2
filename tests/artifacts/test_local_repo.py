"""ArtifactRepository behaviour, run against every backend, then the local repository's own rules.

The contract half runs unchanged on a plain local path, a ``file://`` URI and fsspec's
``memory://`` filesystem; fsspec-only behaviour lives in ``test_fsspec_repo.py``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import fsspec
import pytest

from jupyter_mltrack.artifacts import (
    ArtifactRepository,
    FsspecArtifactRepository,
    LocalArtifactRepository,
)
from jupyter_mltrack.artifacts.local import _write_atomic, local_path_from_uri
from jupyter_mltrack.entities import FileInfo
from jupyter_mltrack.errors import InvalidParameterError, NotFoundError

ESCAPES = ["../x", "/etc/passwd", "a/../../b", "..", "C:/windows"]


@pytest.fixture
def memory_fs() -> Iterator[None]:
    fs = fsspec.filesystem("memory")
    fs.store.clear()
    fs.pseudo_dirs.clear()
    fs.pseudo_dirs.append("")
    yield
    fs.store.clear()
    fs.pseudo_dirs.clear()
    fs.pseudo_dirs.append("")


@pytest.fixture(params=["path", "file-uri", "memory"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactRepository:
    root = tmp_path / "store" / "1" / "abc" / "artifacts"
    if request.param == "path":
        return LocalArtifactRepository(str(root))
    if request.param == "file-uri":
        return LocalArtifactRepository(root.as_uri())
    request.getfixturevalue("memory_fs")
    return FsspecArtifactRepository("memory://bucket/1/abc/artifacts")


def make_tree(base: Path) -> Path:
    """Create ``base/{a.txt, sub/b.txt, sub/deeper/c.bin}`` and return ``base``."""
    (base / "sub" / "deeper").mkdir(parents=True)
    (base / "a.txt").write_text("alpha")
    (base / "sub" / "b.txt").write_text("bravo!")
    (base / "sub" / "deeper" / "c.bin").write_bytes(b"\x00\x01")
    return base


# -- contract: write / read ----------------------------------------------------------------------
def test_write_bytes_then_read_bytes_round_trips(repo: ArtifactRepository) -> None:
    repo.write_bytes("notes/deep/summary.txt", "héllo".encode())
    assert repo.read_bytes("notes/deep/summary.txt") == "héllo".encode()


def test_write_bytes_overwrites(repo: ArtifactRepository) -> None:
    repo.write_bytes("x.txt", b"first version")
    repo.write_bytes("x.txt", b"second")
    assert repo.read_bytes("x.txt") == b"second"


def test_write_bytes_needs_a_file_name(repo: ArtifactRepository) -> None:
    with pytest.raises(InvalidParameterError, match="must name a file"):
        repo.write_bytes("", b"x")


def test_read_bytes_of_missing_file_names_it(repo: ArtifactRepository) -> None:
    with pytest.raises(NotFoundError, match=r"'nope/x\.txt' does not exist"):
        repo.read_bytes("nope/x.txt")


def test_read_bytes_of_directory_is_refused(repo: ArtifactRepository) -> None:
    repo.write_bytes("d/x.txt", b"x")
    with pytest.raises(InvalidParameterError, match="'d' is a directory"):
        repo.read_bytes("d")


# -- contract: log_artifact(s) -------------------------------------------------------------------
def test_log_artifact_keeps_the_file_name(repo: ArtifactRepository, tmp_path: Path) -> None:
    local = tmp_path / "model.pkl"
    local.write_bytes(b"weights")
    repo.log_artifact(local)
    repo.log_artifact(str(local), "models/best")
    assert repo.read_bytes("model.pkl") == b"weights"
    assert repo.read_bytes("models/best/model.pkl") == b"weights"


def test_log_artifact_refuses_missing_file_and_directory(
    repo: ArtifactRepository, tmp_path: Path
) -> None:
    with pytest.raises(InvalidParameterError, match="existing local file"):
        repo.log_artifact(tmp_path / "missing.txt")
    with pytest.raises(InvalidParameterError, match="use log_artifacts"):
        repo.log_artifact(tmp_path)


def test_log_artifacts_copies_recursively(repo: ArtifactRepository, tmp_path: Path) -> None:
    local = make_tree(tmp_path / "out")
    repo.log_artifacts(local, "run_outputs")
    assert repo.read_bytes("run_outputs/a.txt") == b"alpha"
    assert repo.read_bytes("run_outputs/sub/b.txt") == b"bravo!"
    assert repo.read_bytes("run_outputs/sub/deeper/c.bin") == b"\x00\x01"


def test_log_artifacts_into_root(repo: ArtifactRepository, tmp_path: Path) -> None:
    repo.log_artifacts(make_tree(tmp_path / "out"))
    assert [info.path for info in repo.list_artifacts()] == ["a.txt", "sub"]


def test_log_artifacts_refuses_a_missing_directory(
    repo: ArtifactRepository, tmp_path: Path
) -> None:
    with pytest.raises(InvalidParameterError, match="existing local directory"):
        repo.log_artifacts(tmp_path / "missing")


# -- contract: list ------------------------------------------------------------------------------
def test_list_artifacts_one_level_sorted_with_sizes(
    repo: ArtifactRepository, tmp_path: Path
) -> None:
    repo.log_artifacts(make_tree(tmp_path / "out"))
    repo.write_bytes("0_first.txt", b"12")
    assert repo.list_artifacts() == [
        FileInfo(path="0_first.txt", is_dir=False, file_size=2),
        FileInfo(path="a.txt", is_dir=False, file_size=5),
        FileInfo(path="sub", is_dir=True, file_size=None),
    ]
    assert repo.list_artifacts("sub") == [
        FileInfo(path="sub/b.txt", is_dir=False, file_size=6),
        FileInfo(path="sub/deeper", is_dir=True, file_size=None),
    ]
    assert repo.list_artifacts("sub/") == repo.list_artifacts("sub")
    assert repo.list_artifacts(None) == repo.list_artifacts("")


def test_list_artifacts_of_a_file_or_missing_path_is_empty(repo: ArtifactRepository) -> None:
    assert repo.list_artifacts() == []
    repo.write_bytes("a.txt", b"x")
    assert repo.list_artifacts("a.txt") == []
    assert repo.list_artifacts("nope") == []


# -- contract: download --------------------------------------------------------------------------
def test_download_file_into_dst(repo: ArtifactRepository, tmp_path: Path) -> None:
    repo.write_bytes("sub/b.txt", b"bravo")
    local = repo.download_artifacts("sub/b.txt", tmp_path / "dl")
    assert local == str(tmp_path / "dl" / "sub" / "b.txt")
    assert Path(local).read_bytes() == b"bravo"


def test_download_directory_recursively(repo: ArtifactRepository, tmp_path: Path) -> None:
    repo.log_artifacts(make_tree(tmp_path / "out"), "outputs")
    local = Path(repo.download_artifacts("outputs/sub", tmp_path / "dl"))
    assert local == tmp_path / "dl" / "outputs" / "sub"
    assert (local / "b.txt").read_text() == "bravo!"
    assert (local / "deeper" / "c.bin").read_bytes() == b"\x00\x01"


def test_download_root_into_dst(repo: ArtifactRepository, tmp_path: Path) -> None:
    repo.log_artifacts(make_tree(tmp_path / "out"))
    local = Path(repo.download_artifacts("", tmp_path / "dl"))
    assert local == tmp_path / "dl"
    found = sorted(p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file())
    assert found == ["a.txt", "sub/b.txt", "sub/deeper/c.bin"]


def test_download_without_dst_gives_a_readable_path(repo: ArtifactRepository) -> None:
    repo.write_bytes("a/b.txt", b"content")
    assert Path(repo.download_artifacts("a/b.txt")).read_bytes() == b"content"
    assert Path(repo.download_artifacts("a"), "b.txt").read_bytes() == b"content"


def test_download_missing_artifact_names_it(repo: ArtifactRepository, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"'missing/x\.txt' does not exist"):
        repo.download_artifacts("missing/x.txt", tmp_path / "dl")


# -- contract: delete ----------------------------------------------------------------------------
def test_delete_file_and_directory(repo: ArtifactRepository, tmp_path: Path) -> None:
    repo.log_artifacts(make_tree(tmp_path / "out"))
    repo.delete_artifacts("a.txt")
    repo.delete_artifacts("sub/deeper")
    assert [info.path for info in repo.list_artifacts()] == ["sub"]
    assert [info.path for info in repo.list_artifacts("sub")] == ["sub/b.txt"]


def test_delete_everything_and_missing_paths(repo: ArtifactRepository, tmp_path: Path) -> None:
    repo.log_artifacts(make_tree(tmp_path / "out"))
    repo.delete_artifacts()
    assert repo.list_artifacts() == []
    repo.delete_artifacts()
    repo.delete_artifacts("never/existed")


# -- contract: no escape from the root -----------------------------------------------------------
@pytest.mark.parametrize("bad", ESCAPES)
def test_every_path_argument_refuses_escapes(
    repo: ArtifactRepository, tmp_path: Path, bad: str
) -> None:
    local = tmp_path / "f.txt"
    local.write_text("x")
    calls: list[Callable[[], object]] = [
        lambda: repo.write_bytes(bad, b"x"),
        lambda: repo.read_bytes(bad),
        lambda: repo.log_artifact(local, bad),
        lambda: repo.log_artifacts(tmp_path, bad),
        lambda: repo.list_artifacts(bad),
        lambda: repo.download_artifacts(bad, tmp_path / "dl"),
        lambda: repo.delete_artifacts(bad),
    ]
    for call in calls:
        with pytest.raises(InvalidParameterError):
            call()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]


# -- local only ----------------------------------------------------------------------------------
def test_file_uri_and_plain_path_share_the_folder(tmp_path: Path) -> None:
    LocalArtifactRepository((tmp_path / "r").as_uri()).write_bytes("x.txt", b"1")
    assert LocalArtifactRepository(str(tmp_path / "r")).read_bytes("x.txt") == b"1"
    assert (tmp_path / "r" / "x.txt").read_bytes() == b"1"


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("file:///tmp/a%20b/artifacts", "/tmp/a b/artifacts"),
        ("file://localhost/tmp/x", "/tmp/x"),
        ("/tmp/plain/", "/tmp/plain"),
    ],
)
def test_local_path_from_uri(uri: str, expected: str) -> None:
    assert local_path_from_uri(uri) == expected


def test_relative_root_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert LocalArtifactRepository("mltrack/artifacts").root == str(tmp_path / "mltrack/artifacts")


def test_file_uri_with_remote_host_is_refused() -> None:
    with pytest.raises(InvalidParameterError, match="host 'server'"):
        LocalArtifactRepository("file://server/share/artifacts")


def test_download_without_dst_returns_the_stored_path(tmp_path: Path) -> None:
    repo = LocalArtifactRepository(str(tmp_path / "r"))
    repo.write_bytes("a/b.txt", b"x")
    assert repo.download_artifacts("a/b.txt") == str(tmp_path / "r" / "a" / "b.txt")


def test_failed_write_keeps_old_content_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "model.bin"
    target.write_bytes(b"old")

    def crash_halfway(tmp: str) -> None:
        Path(tmp).write_bytes(b"half-writ")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _write_atomic(str(target), crash_halfway)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.bin"]


def test_in_flight_temp_files_are_not_listed_or_downloaded(tmp_path: Path) -> None:
    repo = LocalArtifactRepository(str(tmp_path / "r"))
    repo.write_bytes("a.txt", b"x")
    (tmp_path / "r" / ".mltrack-tmp-0123").write_bytes(b"partial")
    assert [info.path for info in repo.list_artifacts()] == ["a.txt"]
    copied = Path(repo.download_artifacts("", tmp_path / "dl"))
    assert sorted(p.name for p in copied.iterdir()) == ["a.txt"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_written_files_follow_the_umask_not_0600(tmp_path: Path) -> None:
    repo = LocalArtifactRepository(str(tmp_path))
    repo.write_bytes("a.txt", b"x")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o666 & ~umask
