"""Resolve the ``experiment`` argument of the widgets (names, ids, or all) to experiment ids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from jupyter_mltrack.errors import ExperimentNotFound

if TYPE_CHECKING:
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = ["resolve_experiments"]

_PAGE = 1000


def resolve_experiments(
    client: TrackingClient, experiment: str | Sequence[str] | None
) -> tuple[list[str], dict[str, str]]:
    """Return the experiment ids and ``{id: name}`` for a name, an id, several, or None (all).

    A value is tried as a name first, then as an id.

    Raises:
        ExperimentNotFound: No experiment has that name or id.
    """
    if experiment is None:
        names: dict[str, str] = {}
        token: str | None = None
        while True:
            page = client.search_experiments(max_results=_PAGE, page_token=token)
            names.update((e.experiment_id, e.name) for e in page)
            token = page.token
            if not token:
                return list(names), names
    wanted = [experiment] if isinstance(experiment, str) else list(experiment)
    names = {}
    for value in wanted:
        found = client.get_experiment_by_name(value)
        if found is None:
            try:
                found = client.get_experiment(value)
            except (ExperimentNotFound, ValueError) as exc:
                raise ExperimentNotFound(
                    f"No experiment is named or has the id {value!r}; check the name "
                    "(see `mltrack experiments list`)",
                    experiment_id=value,
                ) from exc
        names[found.experiment_id] = found.name
    return list(names), names
