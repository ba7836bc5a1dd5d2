"""The metric-history reads of :class:`~jupyter_mltrack.tracking.client.TrackingClient`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jupyter_mltrack._validation import validate_key
from jupyter_mltrack.entities import Metric
from jupyter_mltrack.entities.metric import MetricHistoryArrays
from jupyter_mltrack.tracking.client_checks import check_run_id

if TYPE_CHECKING:
    from jupyter_mltrack.store.base import TrackingStore

__all__ = ["HistoryMethods"]


class HistoryMethods:
    """Mixin: a metric's history as Metric objects or as numpy arrays (needs ``store``)."""

    if TYPE_CHECKING:  # provided by TrackingClient
        store: TrackingStore

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Return every point logged for a metric, ordered by step then timestamp.

        Example:
            >>> [m.value for m in client.get_metric_history(run_id, "loss")]  # doctest: +SKIP
            [0.9, 0.5, 0.25]
        """
        return self.store.get_metric_history(check_run_id(run_id), validate_key("Metric", key))

    def get_metric_history_arrays(
        self, run_id: str, key: str, *, max_points: int | None = None
    ) -> MetricHistoryArrays:
        """Return a metric's history as numpy arrays, optionally downsampled in the store.

        The fast path for plotting: no object per point, and with ``max_points`` a SQL store
        reduces the series in the database. Without ``max_points`` you get every point, ordered
        by step then timestamp (as :meth:`get_metric_history`). With it, a longer series comes
        back as its min/max envelope: at most ``max_points`` points (plus up to two per bucket
        that holds NaN or infinite values), keeping the global min and max and the first and last
        steps; ``total_points`` still counts every logged point.

        Args:
            run_id: The run.
            key: The metric; an unknown key gives empty arrays.
            max_points: Reduce longer series to about this many points (an int >= 2), or None.

        Example:
            >>> h = client.get_metric_history_arrays(rid, "loss")  # doctest: +SKIP
            >>> h.steps, h.values, h.total_points  # doctest: +SKIP
            (array([0, 1, 2]), array([0.9 , 0.5 , 0.25]), 3)
            >>> acc = client.get_metric_history_arrays(rid, "acc", max_points=500)  # doctest: +SKIP
            >>> len(acc), acc.total_points  # doctest: +SKIP
            (500, 100000)
        """
        from jupyter_mltrack.store.downsample import check_max_points

        return self.store.get_metric_history_arrays(
            check_run_id(run_id),
            validate_key("Metric", key),
            max_points=check_max_points(max_points),
        )
