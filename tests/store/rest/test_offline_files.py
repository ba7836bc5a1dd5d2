"""The offline journal's files: order, offsets, a line cut by a crash, the folder's name."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.store.rest.offline import Entry, OfflineJournal, offline_root, server_folder

RUN = "a" * 32


def _entry(index: int) -> Entry:
    return Entry(f"id-{index}", endpoint="runs/log-batch", message={"run_id": RUN, "i": index})


def test_lines_come_back_in_order_and_go_once_sent(tmp_path: Path) -> None:
    journal = OfflineJournal("http://h:1", folder=tmp_path)
    for index in range(5):
        journal.append(RUN, _entry(index))
    first = journal.unsent(RUN, 2)
    assert [e.request_id for e, _ in first] == ["id-0", "id-1"]
    assert journal.mark_sent(RUN, first[-1][1]) is False
    rest = journal.unsent(RUN)
    assert [e.message for e, _ in rest] == [{"run_id": RUN, "i": i} for i in (2, 3, 4)]
    assert journal.pending_runs() == [RUN]
    assert journal.mark_sent(RUN, rest[-1][1]) is True
    assert journal.unsent(RUN) == [] and journal.pending_runs() == []
    assert not journal.path(RUN).exists() and not journal.path(RUN, ".sent").exists()


def test_a_line_cut_by_a_crash_is_skipped_and_later_lines_survive(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    journal = OfflineJournal("http://h:1", folder=tmp_path)
    journal.append(RUN, _entry(0))
    with journal.path(RUN).open("ab") as handle:
        handle.write(b'{"id": "id-torn", "endpo')  # the process died mid-write
    journal.append(RUN, _entry(1))
    with caplog.at_level(logging.WARNING):
        ids = [e.request_id for e, _ in journal.unsent(RUN)]
    assert ids == ["id-0", "id-1"]
    assert "damaged line" in caplog.text


def test_artifact_entries_round_trip() -> None:
    entry = Entry("id-a", artifact="r.artifacts/id-a/x.txt", artifact_path="/api/x/x.txt")
    assert Entry.from_line(entry.to_line()) == entry


def test_the_folder_is_named_after_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLTRACK_OFFLINE_DIR", "/data/offline")
    assert offline_root() == Path("/data/offline")
    assert server_folder("http://127.0.0.1:5000").name == "127.0.0.1-5000"
    assert server_folder("https://track.example.org/team/a").name == "track.example.org-443-team_a"
    monkeypatch.delenv("MLTRACK_OFFLINE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "/cache")
    assert offline_root() == Path("/cache/mltrack/offline")


@pytest.mark.parametrize("bad", ["../etc", "a/b", "", "x" * 65])
def test_run_ids_cannot_leave_the_folder(tmp_path: Path, bad: str) -> None:
    journal = OfflineJournal("http://h:1", folder=tmp_path)
    with pytest.raises(InvalidParameterError, match="Invalid run id"):
        journal.path(bad)


def test_a_bad_bound_setting_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLTRACK_OFFLINE_MAX_MB", "lots")
    with pytest.raises(InvalidParameterError, match="MLTRACK_OFFLINE_MAX_MB='lots'"):
        OfflineJournal("http://h:1")
