"""Tests of ``mltrack gc``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from jupyter_mltrack import TrackingClient
from jupyter_mltrack.entities import RunStatus
from jupyter_mltrack.errors import RunNotFound
from jupyter_mltrack.tracking.heartbeat import HEARTBEAT, KERNEL_HOST, KERNEL_PID, KILLED_REASON

Cli = Callable[..., Result]


def make_run(uri: str, *, deleted: bool) -> tuple[str, Path]:
    """Create a run with one artifact; return its id and artifact folder."""
    client = TrackingClient(uri)
    run = client.create_run("0")
    client.log_text(run.info.run_id, "weights", "model.txt")
    root = Path(run.info.artifact_uri.removeprefix("file://"))
    assert (root / "model.txt").read_text() == "weights"
    if deleted:
        client.delete_run(run.info.run_id)
    return run.info.run_id, root


def exists(uri: str, run_id: str) -> bool:
    try:
        TrackingClient(uri).get_run(run_id)
    except RunNotFound:
        return False
    return True


def test_gc_purges_deleted_runs_and_their_artifacts(cli: Cli, uri: str) -> None:
    gone, gone_root = make_run(uri, deleted=True)
    kept, kept_root = make_run(uri, deleted=False)
    result = cli("gc")
    assert result.exit_code == 0, result.output
    assert f"Removed run {gone}" in result.stdout
    assert result.stdout.endswith("Removed 1 deleted run.\n")
    assert not exists(uri, gone) and not gone_root.exists()
    assert exists(uri, kept) and (kept_root / "model.txt").exists()


def test_dry_run_removes_nothing(cli: Cli, uri: str) -> None:
    run_id, root = make_run(uri, deleted=True)
    result = cli("gc", "--dry-run")
    assert f"Would remove run {run_id}" in result.stdout
    assert result.stdout.endswith("Would remove 1 deleted run.\n")
    assert exists(uri, run_id) and root.exists()


def test_older_than_spares_recently_deleted_runs(cli: Cli, uri: str) -> None:
    run_id, _ = make_run(uri, deleted=True)
    assert cli("gc", "--older-than", "30d").stdout == "Removed 0 deleted runs.\n"
    assert exists(uri, run_id)
    assert cli("gc", "--older-than", "0s").stdout.endswith("Removed 1 deleted run.\n")
    assert not exists(uri, run_id)


def test_run_ids_limit_what_is_removed(cli: Cli, uri: str) -> None:
    first, _ = make_run(uri, deleted=True)
    second, _ = make_run(uri, deleted=True)
    result = cli("gc", "--run-ids", f"{first}, {first}")
    assert result.stdout.endswith("Removed 1 deleted run.\n")
    assert not exists(uri, first) and exists(uri, second)


def test_run_ids_refuse_active_runs_before_touching_anything(cli: Cli, uri: str) -> None:
    deleted, deleted_root = make_run(uri, deleted=True)
    active, _ = make_run(uri, deleted=False)
    result = cli("gc", "--run-ids", f"{deleted},{active}")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: Run(s) '{active}' is not deleted; delete runs with 'mltrack runs delete' first\n"
    )
    assert exists(uri, deleted) and deleted_root.exists()


def test_run_ids_unknown_run_is_an_error(cli: Cli, uri: str) -> None:
    result = cli("gc", "--run-ids", "f" * 32)
    assert result.exit_code == 1
    assert "not found" in result.stderr


@pytest.mark.parametrize("bad", ["3x", "d", "10", "-1d", "1.5h"])
def test_bad_duration_is_a_usage_error(cli: Cli, uri: str, bad: str) -> None:
    result = cli("gc", "--older-than", bad)
    assert result.exit_code == 2
    assert "is not a duration" in result.stderr


@pytest.mark.parametrize(
    ("text", "ms"),
    [("45s", 45_000), ("90m", 5_400_000), ("1d12h", 129_600_000), ("2w", 1_209_600_000)],
)
def test_durations(text: str, ms: int) -> None:
    import click

    from jupyter_mltrack.cli._common import parse_duration

    ctx = click.Context(click.Command("x"))
    assert parse_duration(ctx, click.Option(["--d"]), text) == ms


def test_gc_marks_runs_of_dead_kernels_killed(cli: Cli, uri: str) -> None:
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()  # its pid now names no live process: a kernel that died
    client = TrackingClient(uri)
    tags = {KERNEL_HOST: socket.gethostname(), KERNEL_PID: str(ended.pid), HEARTBEAT: "0"}
    dead = client.create_run("0", tags=tags).info.run_id
    alive = client.create_run("0", tags={**tags, KERNEL_PID: str(os.getpid())}).info.run_id
    result = cli("gc")
    assert result.exit_code == 0, result.output
    assert "KILLED" in result.output and dead in result.output
    assert client.get_run(dead).info.status is RunStatus.KILLED
    assert client.get_run(dead).data.tags[KILLED_REASON]
    assert client.get_run(alive).info.status is RunStatus.RUNNING


def test_gc_leaves_no_empty_run_folder(cli: Cli, uri: str) -> None:
    run_id, root = make_run(uri, deleted=True)
    run_folder = root.parent
    assert run_folder.name == run_id
    assert cli("gc").exit_code == 0
    assert not run_folder.exists(), "the run's folder outlived its artifacts"
    assert run_folder.parent.is_dir(), "the experiment's folder stays"


def test_gc_keeps_a_run_folder_holding_something_else(cli: Cli, uri: str) -> None:
    _, root = make_run(uri, deleted=True)
    stranger = root.parent / "notes.txt"
    stranger.write_text("not the store's")
    assert cli("gc").exit_code == 0
    assert not root.exists() and stranger.read_text() == "not the store's"
