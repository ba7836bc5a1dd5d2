"""The logged-model store interface: MLflow 3 logged models and run inputs/outputs.

``SqlStore`` implements :class:`LoggedModelStore` next to the tracking and registry stores, so
one database holds runs, logged models and the registry; ``RestStore`` implements it over the
server's ``/api/2.0/mlflow/logged-models`` routes. Model ids are ``m-<32 hex>``; a model's
artifacts live under ``<experiment artifact location>/models/<model_id>/artifacts``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

from jupyter_mltrack.entities import DatasetInput, LoggedModel, LoggedModelStatus, PagedList
from jupyter_mltrack.entities.logged_model import LoggedModelMetric

__all__ = [
    "LOGGED_MODELS_MAX_RESULTS_DEFAULT",
    "DatasetFilter",
    "LoggedModelStore",
    "OrderByEntry",
]

LOGGED_MODELS_MAX_RESULTS_DEFAULT = 100

#: One entry of ``search_logged_models(datasets=...)``: ``{"dataset_name": ...}`` and optionally
#: ``"dataset_digest"``, as MLflow's client sends them.
DatasetFilter = Mapping[str, str]

#: One ``order_by`` entry: a clause (``"name DESC"``, ``"metrics.acc DESC"``) or MLflow's
#: message ``{"field_name", "ascending", "dataset_name", "dataset_digest"}``; the dataset keys
#: restrict a ``metrics.<key>`` order to the points measured on that dataset.
OrderByEntry = str | Mapping[str, Any]


class LoggedModelStore(ABC):
    """Persistence of logged models and of the models and datasets runs consume and produce."""

    @abstractmethod
    def create_logged_model(
        self,
        experiment_id: str,
        *,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        model_type: str = "",
    ) -> LoggedModel:
        """Create a ``PENDING`` logged model in an active experiment and return it.

        Without ``name`` the model gets a generated one. ``source_run_id`` is recorded as given
        (as MLflow does: the run may live in another store).
        """

    @abstractmethod
    def get_logged_model(self, model_id: str) -> LoggedModel:
        """Return the logged model or raise NotFoundError."""

    @abstractmethod
    def finalize_logged_model(self, model_id: str, status: LoggedModelStatus) -> LoggedModel:
        """Set the model's status (``READY`` after a complete upload) and return it."""

    @abstractmethod
    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, str]) -> None:
        """Set (insert or overwrite) tags on a logged model."""

    @abstractmethod
    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        """Delete a tag of a logged model; raise NotFoundError if the model has no such tag."""

    @abstractmethod
    def log_logged_model_params(self, model_id: str, params: Mapping[str, str]) -> None:
        """Add params to a logged model (a param keeps its first value, as a run's does)."""

    @abstractmethod
    def delete_logged_model(self, model_id: str) -> None:
        """Delete a logged model with its tags and params (its artifacts stay where they are).

        Runs forget that they produced or consumed it; registered versions made from it keep
        their copy. Raises NotFoundError for an unknown id.
        """

    @abstractmethod
    def log_model_metrics(self, run_id: str, metrics: Sequence[LoggedModelMetric]) -> None:
        """Log metric points to a run and record each on its logged model (``model_id``).

        What MLflow's ``log_metric(..., model_id=..., dataset=...)`` does: the points join the
        run's history like any other, and the model keeps them with the run id and dataset
        (name and digest), shown as the model's ``metrics`` and searched with ``datasets=``.
        Raises NotFoundError for an unknown model id, before anything is written.
        """

    @abstractmethod
    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        *,
        filter_string: str | None = None,
        datasets: Sequence[DatasetFilter] | None = None,
        order_by: Sequence[OrderByEntry] | None = None,
        max_results: int = LOGGED_MODELS_MAX_RESULTS_DEFAULT,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        """Return one page of the logged models of some experiments.

        The filter accepts ``name``, ``model_id``, ``source_run_id``, ``status``,
        ``model_type`` (strings), ``creation_timestamp`` and ``last_updated_timestamp``
        (numbers), ``tags.<key>``, ``params.<key>`` and ``metrics.<key>`` (a model matches
        if any point of the metric does), joined by ``AND``. ``datasets`` keeps the models
        with a metric point on one of those datasets (with a metric filter: the matching point
        must be on one of them), as MLflow does. ``order_by`` takes those attributes and
        ``metrics.<key>`` (the model's latest point of the key, models without one last) with
        ``ASC``/``DESC``; the default is newest first.
        """

    @abstractmethod
    def log_outputs(self, run_id: str, models: Sequence[tuple[str, int]]) -> None:
        """Record that a run produced logged models, as ``(model_id, step)`` pairs."""

    @abstractmethod
    def log_inputs(
        self, run_id: str, datasets: Sequence[DatasetInput], models: Sequence[str] = ()
    ) -> None:
        """Record datasets and logged models (by id) a run consumed.

        A dataset already logged to the run under the same ``(name, digest)`` is left as it was.
        """
