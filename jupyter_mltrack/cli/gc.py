"""``mltrack gc``: permanently remove deleted runs and their artifacts."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from jupyter_mltrack._time import now_ms
from jupyter_mltrack.cli._common import CliState, parse_duration, pass_state
from jupyter_mltrack.errors import InvalidStateError
from jupyter_mltrack.store.base import TrackingStore

if TYPE_CHECKING:
    from jupyter_mltrack.artifacts.base import ArtifactRepository

__all__ = ["gc"]

logger = logging.getLogger(__name__)


@click.command()
@click.option(
    "--older-than",
    metavar="DURATION",
    callback=parse_duration,
    help="Only runs deleted at least this long ago, e.g. 30d, 12h, 1d12h, 90m (default: all).",
)
@click.option(
    "--run-ids",
    metavar="ID[,ID...]",
    help="Only these runs (comma-separated); each must be deleted.",
)
@click.option("--dry-run", is_flag=True, help="Print what would be removed, remove nothing.")
@pass_state
def gc(state: CliState, older_than: int | None, run_ids: str | None, dry_run: bool) -> None:
    """Purge deleted runs and their artifacts.

    Removes the runs' artifacts, metrics, params and tags for good. Runs are deleted with
    'mltrack runs delete' (or by deleting their experiment) and stay restorable until gc
    removes them. It also marks KILLED the RUNNING runs whose process died without ending them:
    their owner on this machine is gone, or their heartbeat is stale (MLTRACK_RUN_LIVENESS=off
    turns that off).
    """
    store = state.client.store
    if not dry_run:
        _sweep(store)
    cutoff = None if older_than is None else now_ms() - older_than
    targets = _select(store, cutoff, run_ids)
    for run_id in targets:
        _remove(store, run_id, dry_run=dry_run)
    verb = "Would remove" if dry_run else "Removed"
    click.echo(f"{verb} {len(targets)} deleted run{'' if len(targets) == 1 else 's'}.")


def _sweep(store: TrackingStore) -> None:
    from jupyter_mltrack.tracking.liveness import sweep_runs

    for run_id, reason in sweep_runs(store):
        click.echo(f"Marked run {run_id} KILLED: {reason}")


def _select(store: TrackingStore, cutoff: int | None, run_ids: str | None) -> list[str]:
    """Return the runs to remove; refuse requested runs that are not (old enough and) deleted."""
    deleted = store.list_deleted_run_ids(older_than_ms=cutoff)
    if run_ids is None:
        return deleted
    wanted = list(dict.fromkeys(i.strip() for i in run_ids.split(",") if i.strip()))
    eligible = set(deleted)
    refused = [run_id for run_id in wanted if run_id not in eligible]
    for run_id in refused:
        store.get_run(run_id)  # raises RunNotFound for unknown ids
    if refused:
        why = "deleted" if cutoff is None else "deleted long enough ago for --older-than"
        raise InvalidStateError(
            f"Run(s) {_names(refused)} not {why}; delete runs with 'mltrack runs delete' first"
        )
    return wanted


def _names(run_ids: Sequence[str]) -> str:
    return ", ".join(repr(i) for i in run_ids) + (" is" if len(run_ids) == 1 else " are")


def _remove(store: TrackingStore, run_id: str, *, dry_run: bool) -> None:
    from jupyter_mltrack.artifacts import get_artifact_repository

    artifact_uri = store.get_run(run_id).info.artifact_uri
    if dry_run:
        click.echo(f"Would remove run {run_id} and its artifacts at {artifact_uri}")
        return
    repository = get_artifact_repository(artifact_uri)
    repository.delete_artifacts()
    _remove_run_folder(repository, run_id)
    store.purge_runs([run_id])
    click.echo(f"Removed run {run_id} and its artifacts at {artifact_uri}")


def _remove_run_folder(repository: ArtifactRepository, run_id: str) -> None:
    """Remove the run's own folder (``<experiment>/<run_id>``) once its artifacts are gone.

    Only a local ``.../<run_id>/artifacts`` layout, and only if the folder is empty: anything
    else in it was not put there by the store. Object stores have no folders to leave behind.
    """
    from jupyter_mltrack.artifacts.local import LocalArtifactRepository

    if not isinstance(repository, LocalArtifactRepository):
        return
    folder = os.path.dirname(os.path.normpath(repository.root))
    if os.path.basename(folder) != run_id:
        return
    try:
        os.rmdir(folder)
    except FileNotFoundError:
        pass
    except OSError:  # not empty: keep what someone else put there
        logger.info("Kept run folder %s: it is not empty", folder)
