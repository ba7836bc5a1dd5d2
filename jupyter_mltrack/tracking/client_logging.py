"""The logging methods of :class:`~jupyter_mltrack.tracking.client.TrackingClient`.

Everything is checked at the call. ``synchronous=False`` (MLflow's argument) leaves metric points
to the background writer the fluent API uses and returns a
:class:`~jupyter_mltrack.tracking.run_operations.RunOperations`; params and tags are always written
at the call, so a conflict is raised where it was made.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import jupyter_mltrack.tracking.tags as t
from jupyter_mltrack._validation import (
    validate_key,
    validate_name,
    validate_param_value,
    validate_tag_value,
)
from jupyter_mltrack.entities import Metric, Param, RunTag
from jupyter_mltrack.entities.logged_model import LoggedModelMetric
from jupyter_mltrack.store.base import MetricPoint
from jupyter_mltrack.tracking.batching import BATCHER
from jupyter_mltrack.tracking.client_checks import (
    check_run_id,
    checked_metric,
    checked_points,
    unique_params,
)
from jupyter_mltrack.tracking.model_metrics import log_model_metrics, log_model_points_of_batch
from jupyter_mltrack.tracking.run_operations import DONE, RunOperations, wants_async

if TYPE_CHECKING:
    from jupyter_mltrack.store.base import TrackingStore

__all__ = ["LoggingMethods"]


class LoggingMethods:
    """Mixin: params, metrics, tags and batches of a run (needs ``store``)."""

    if TYPE_CHECKING:  # provided by TrackingClient
        store: TrackingStore

    def log_param(
        self, run_id: str, key: str, value: object, synchronous: bool | None = None
    ) -> RunOperations | None:
        """Log a param; logging the same key again with another value is refused.

        The param is written at the call either way; with ``synchronous=False`` (see
        :meth:`log_batch`) a completed :class:`RunOperations` is returned, as MLflow's would be.

        Example:
            >>> client.log_param(run_id, "lr", 0.01)  # doctest: +SKIP
        """
        queue = wants_async(synchronous)
        key = validate_key("Param", key)
        param = Param(key=key, value=validate_param_value(key, value))
        self.store.log_batch(check_run_id(run_id), params=[param])
        return DONE if queue else None

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        *,
        timestamp: int | None = None,
        step: int | None = None,
        dataset_name: str | None = None,
        dataset_digest: str | None = None,
        model_id: str | None = None,
        synchronous: bool | None = None,
    ) -> RunOperations | None:
        """Log one metric point (``timestamp`` in ms, defaults to now; ``step`` to 0).

        ``synchronous=False`` queues the point for the background writer, as :meth:`log_batch`.

        With ``model_id`` the point is also recorded on that logged model, measured on the
        dataset ``dataset_name``/``dataset_digest`` (as MLflow's client does); an unknown model
        raises :class:`~jupyter_mltrack.errors.NotFoundError` and nothing is written.

        Example:
            >>> client.log_metric(run_id, "loss", 0.25, step=3)  # doctest: +SKIP
            >>> client.log_metric(run_id, "acc", 0.9, model_id=model.model_id)  # doctest: +SKIP
        """
        metric = checked_metric(key, value, timestamp, step)
        if model_id is None:  # dataset fields without a model: MLflow keeps them nowhere either
            if wants_async(synchronous):
                return self._queue(
                    run_id, [(metric.key, metric.value, metric.timestamp, metric.step)]
                )
            self.store.log_batch(check_run_id(run_id), metrics=[metric])
            return None
        point = LoggedModelMetric(
            key=metric.key,
            value=metric.value,
            timestamp=metric.timestamp,
            step=metric.step,
            model_id=model_id,
            dataset_name=dataset_name,
            dataset_digest=dataset_digest,
        )
        log_model_metrics(self.store, check_run_id(run_id), [point])  # always at the call
        return DONE if wants_async(synchronous) else None

    def set_tag(
        self, run_id: str, key: str, value: object, synchronous: bool | None = None
    ) -> RunOperations | None:
        """Set (or overwrite) a run tag; setting ``mltrack.runName`` renames the run.

        The tag is written at the call either way; with ``synchronous=False`` (see
        :meth:`log_batch`) a completed :class:`RunOperations` is returned, as MLflow's would be.

        Example:
            >>> client.set_tag(run_id, "stage", "tuning")  # doctest: +SKIP
        """
        queue = wants_async(synchronous)
        run_id = check_run_id(run_id)
        key = validate_key("Tag", key)
        text = validate_tag_value(key, value)
        self.store.log_batch(run_id, tags=[RunTag(key=key, value=text)])
        if key == t.RUN_NAME:
            self.store.update_run_info(run_id, run_name=validate_name("Run", text))
        return DONE if queue else None

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag from a run.

        Example:
            >>> client.delete_tag(run_id, "stage")  # doctest: +SKIP
        """
        self.store.delete_tag(check_run_id(run_id), validate_key("Tag", key))

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric | LoggedModelMetric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        synchronous: bool | None = None,
    ) -> RunOperations | None:
        """Log metrics, params and tags in one atomic write, or queue the metrics.

        ``synchronous`` (MLflow's argument): None (the default) writes at the call unless env
        ``MLTRACK_ASYNC_LOGGING`` is ``true``; False checks everything at the call (a bad key,
        value or run id raises there), writes params and tags at once, hands the metric points
        to the background writer that fluent ``log_metric`` uses and returns a
        :class:`~jupyter_mltrack.tracking.run_operations.RunOperations` whose ``wait()`` blocks
        until they are stored. A failed background write (an unknown or deleted run, a store
        error) raises :class:`~jupyter_mltrack.errors.StoreError` at ``wait()``, the next
        asynchronous call or ``flush()``. Written at the call, the batch returns None.

        A :class:`~jupyter_mltrack.entities.logged_model.LoggedModelMetric` among ``metrics``
        (MLflow's ``Metric`` with a ``model_id``) is also recorded on its logged model; those
        points are written first, in their own write, and an unknown model raises
        :class:`~jupyter_mltrack.errors.NotFoundError` before anything is written.

        Example:
            >>> from jupyter_mltrack import Metric, Param
            >>> client.log_batch(  # doctest: +SKIP
            ...     run_id,
            ...     metrics=[Metric(key="acc", value=0.9, timestamp=0, step=1)],
            ...     params=[Param(key="depth", value="4")],
            ... )
        """
        checked_tags = [
            RunTag(key=validate_key("Tag", tag.key), value=validate_tag_value(tag.key, tag.value))
            for tag in tags
        ]
        if metrics and not _RUN_METRIC_TYPES.issuperset(map(type, metrics)):
            metrics = log_model_points_of_batch(self.store, check_run_id(run_id), metrics, params)
        points = checked_points(metrics)
        checked_params = unique_params(params)
        if wants_async(synchronous):
            return self._queue(run_id, points, checked_params, checked_tags)
        if not (checked_params or checked_tags):  # metrics only: no entity per point
            if points:
                self.store.log_metric_points(check_run_id(run_id), points)
            return None
        checked_metrics = [Metric(key=k, value=v, timestamp=t, step=s) for k, v, t, s in points]
        self.store.log_batch(check_run_id(run_id), checked_metrics, checked_params, checked_tags)
        return None

    def _queue(
        self,
        run_id: str,
        points: list[MetricPoint],
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> RunOperations:
        """Write checked params and tags, then hand checked points to the background writer.

        Params and tags are written at the call so that a conflict raises there and a read
        right after sees them; only metric points, the bulk of the data, wait in the buffer.
        """
        run_id = check_run_id(run_id)
        if BATCHER.error is not None:  # the last background failure comes first, as in fluent
            BATCHER.raise_error()
        if params or tags:
            self.store.log_batch(run_id, (), params, tags)
        if not points:
            return DONE
        BATCHER.add_many(self.store, run_id, points)
        return RunOperations(True)


#: Batches made only of these types carry no model points (the one check on the hot path).
_RUN_METRIC_TYPES = frozenset({Metric})
