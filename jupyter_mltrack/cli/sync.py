"""``mltrack sync``: send the offline journals left by processes that ended while offline."""

from __future__ import annotations

import json
from pathlib import Path

import click

from jupyter_mltrack.cli._common import CliState, pass_state

__all__ = ["sync"]


@click.command()
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="The offline journal root [env MLTRACK_OFFLINE_DIR; default ~/.cache/mltrack/offline].",
)
@click.option("--dry-run", is_flag=True, help="List what waits to be sent, send nothing.")
@pass_state
def sync(state: CliState, folder: Path | None, dry_run: bool) -> None:
    """Send offline-logged metrics, params, tags and artifacts to their tracking server.

    A process that logs to an http(s) tracking server keeps its writes in an offline journal
    while the server is unreachable and sends them when it answers again. What a process could
    not send before it ended waits on disk; this command sends it, in order. Sending twice is
    harmless: each write carries its request id, and the server applies it once. With
    --tracking-uri only that server's journal is sent, else every server's. Exits with status 1
    when something could not be sent (the server is still down).
    """
    from jupyter_mltrack.store.rest.offline import offline_root, server_folder

    root = folder or offline_root()
    uri = state.tracking_uri
    if uri and uri.startswith(("http://", "https://")):
        folders = [server_folder(uri, root)]
    else:
        folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    left = 0
    for server in folders:
        left += _sync_server(server, uri, dry_run=dry_run)
    if left == 0 and not dry_run:
        click.echo("Nothing left to send.")
    elif not dry_run:
        raise click.exceptions.Exit(1)


def _sync_server(folder: Path, uri: str | None, *, dry_run: bool) -> int:
    """Send one server's journals; return how many lines are left unsent."""
    from jupyter_mltrack.errors import StoreError
    from jupyter_mltrack.store.rest.http import HttpClient
    from jupyter_mltrack.store.rest.offline import OfflineJournal
    from jupyter_mltrack.store.rest.offline_log import send_journal

    url = _server_url(folder, uri)
    if url is None:
        return 0
    journal = OfflineJournal(url, folder=folder)
    http = HttpClient(uri if uri and uri.startswith(("http://", "https://")) else url)
    left = 0
    for run_id in journal.pending_runs():
        waiting = len(journal.unsent(run_id))
        if dry_run:
            click.echo(f"{url} run {run_id}: {waiting} write(s) waiting")
            left += waiting
            continue
        try:
            result = send_journal(http, journal, run_id)
        except StoreError as exc:
            remaining = len(journal.unsent(run_id))
            left += remaining
            click.echo(
                f"{url} run {run_id}: {remaining} write(s) not sent: {exc.message}", err=True
            )
            continue
        line = f"{url} run {run_id}: sent {result.sent} write(s)"
        if result.failed:
            refused = journal.path(run_id, ".failed.jsonl")
            line += f", {result.failed} refused by the server (kept in {refused})"
        click.echo(line + ".")
    return left


def _server_url(folder: Path, uri: str | None) -> str | None:
    """The URL a journal folder belongs to (its server.json), or the given one."""
    try:
        data = json.loads((folder / "server.json").read_text())
        url = data.get("url") if isinstance(data, dict) else None
    except (OSError, ValueError):
        url = None
    if isinstance(url, str) and url:
        return url
    return uri if uri and uri.startswith(("http://", "https://")) else None
