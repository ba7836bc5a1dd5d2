"""Pieces shared by the CLI commands: the lazily opened client, option parsers, paging."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

import click

from jupyter_mltrack.entities import Experiment, PagedList, ViewType
from jupyter_mltrack.errors import ExperimentNotFound

if TYPE_CHECKING:
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = [
    "VIEWS",
    "CliState",
    "collect",
    "find_experiment",
    "parse_duration",
    "parse_tags",
    "pass_state",
    "view_option",
]

T = TypeVar("T")
PAGE_SIZE = 1000
VIEWS = {"active": ViewType.ACTIVE_ONLY, "deleted": ViewType.DELETED_ONLY, "all": ViewType.ALL}
_DURATION_RE = re.compile(r"(\d+)([wdhms])")
_UNIT_MS = {"w": 604_800_000, "d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1000}


class CliState:
    """Per-invocation state: the tracking URI and the client, opened on first use."""

    def __init__(self, tracking_uri: str | None = None) -> None:
        self.tracking_uri = tracking_uri
        self._client: TrackingClient | None = None

    @property
    def client(self) -> TrackingClient:
        """The tracking client; importing and opening the store waits until a command needs it."""
        if self._client is None:
            from jupyter_mltrack.tracking.client import TrackingClient

            self._client = TrackingClient(self.tracking_uri)
        return self._client


pass_state = click.make_pass_decorator(CliState, ensure=True)

view_option = click.option(
    "--view",
    type=click.Choice(sorted(VIEWS)),
    default="active",
    show_default=True,
    help="Which lifecycle stages to show.",
)


def parse_tags(ctx: click.Context, param: click.Parameter, values: Sequence[str]) -> dict[str, str]:
    """Turn repeated ``KEY=VALUE`` options into a dict (click callback)."""
    tags: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", ctx=ctx, param=param)
        tags[key] = value
    return tags


def parse_duration(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """Turn ``30d``, ``12h``, ``1d12h``, ``90m``, ``45s`` or ``2w`` into milliseconds."""
    if value is None:
        return None
    text = value.strip().lower()
    if not text or _DURATION_RE.sub("", text):
        raise click.BadParameter(
            f"{value!r} is not a duration like 30d, 12h, 1d12h, 90m or 45s", ctx=ctx, param=param
        )
    return sum(int(n) * _UNIT_MS[unit] for n, unit in _DURATION_RE.findall(text))


def find_experiment(client: TrackingClient, id_or_name: str) -> Experiment:
    """Return the experiment with this id (tried first when numeric) or else this name."""
    if id_or_name.isdigit():
        try:
            return client.get_experiment(id_or_name)
        except ExperimentNotFound:
            pass
    experiment = client.get_experiment_by_name(id_or_name)
    if experiment is None:
        raise ExperimentNotFound(
            f"No experiment has the id or name {id_or_name!r}; "
            "see 'mltrack experiments list --view all'"
        )
    return experiment


def collect(fetch: Callable[[int, str | None], PagedList[T]], limit: int | None) -> list[T]:
    """Page through a search: ``fetch(max_results, page_token)`` until ``limit`` items or the end.

    Returns at most ``limit + 1`` items, so callers can tell whether the limit cut anything off.
    """
    items: list[T] = []
    token: str | None = None
    while True:
        want = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit + 1 - len(items))
        page = fetch(want, token)
        items.extend(page)
        token = page.token
        if not token or not page or (limit is not None and len(items) > limit):
            return items
