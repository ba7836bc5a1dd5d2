"""The logged-model half of :class:`~jupyter_mltrack.store.rest.store.RestStore` (MLflow 3).

``/api/2.0/mlflow/logged-models`` (create, get, finalize, tags, search) and the run links
``runs/outputs`` and ``runs/log-inputs``, in the shapes of the protocol document §1f. Metric
points of a model go through ``runs/log-batch`` with a ``model_id`` on each, as MLflow's client
sends them.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import jupyter_mltrack.store.rest.codec as codec
from jupyter_mltrack._validation import MAX_BATCH_METRICS
from jupyter_mltrack.entities import DatasetInput, LoggedModel, LoggedModelStatus, PagedList
from jupyter_mltrack.entities.logged_model import LoggedModelMetric
from jupyter_mltrack.errors import InvalidParameterError, NotFoundError, RunNotFound
from jupyter_mltrack.store.logged_model_base import (
    LOGGED_MODELS_MAX_RESULTS_DEFAULT,
    DatasetFilter,
    LoggedModelStore,
    OrderByEntry,
)

__all__ = ["LoggedModelsMixin", "order_by_to_json"]


def order_by_to_json(order_by: Sequence[OrderByEntry]) -> list[dict[str, Any]]:
    """``["creation_timestamp DESC"]`` -> MLflow's ``[{"field_name", "ascending"}]`` objects.

    Entries that already are such objects (with ``dataset_name``/``dataset_digest``) pass.
    """
    out = []
    for clause in order_by:
        if not isinstance(clause, str):
            out.append(dict(clause))
            continue
        parts = clause.split()
        if (
            not parts
            or len(parts) > 2
            or (len(parts) == 2 and parts[1].upper() not in ("ASC", "DESC"))
        ):
            raise InvalidParameterError(
                f"Invalid order_by clause {clause!r}; expected '<field> [ASC|DESC]', "
                "e.g. 'creation_timestamp DESC'"
            )
        ascending = len(parts) == 1 or parts[1].upper() == "ASC"
        out.append({"field_name": parts[0], "ascending": ascending})
    return out


def _quote(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")


class LoggedModelsMixin(LoggedModelStore):
    """Logged models and run inputs/outputs over REST."""

    if TYPE_CHECKING:

        def call(
            self,
            method: str,
            endpoint: str,
            message: Mapping[str, Any] | None = None,
            *,
            not_found: Callable[[str], NotFoundError] | None = None,
        ) -> dict[str, Any]: ...

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
        message: dict[str, Any] = {"experiment_id": experiment_id}
        if name is not None:  # "" goes too: the server refuses it, as a local store does
            message["name"] = name
        if source_run_id:
            message["source_run_id"] = source_run_id
        if model_type:
            message["model_type"] = model_type
        if tags:
            message["tags"] = codec.pairs_to_json(tags)
        if params:
            message["params"] = codec.pairs_to_json(params)
        answer = self.call("POST", "logged-models", message)
        return codec.logged_model_from_json(answer["model"])

    def get_logged_model(self, model_id: str) -> LoggedModel:
        answer = self.call("GET", f"logged-models/{_quote(model_id)}")
        return codec.logged_model_from_json(answer["model"])

    def finalize_logged_model(self, model_id: str, status: LoggedModelStatus) -> LoggedModel:
        message = {"model_id": model_id, "status": LoggedModelStatus.parse(status).value}
        answer = self.call("PATCH", f"logged-models/{_quote(model_id)}", message)
        return codec.logged_model_from_json(answer["model"])

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, str]) -> None:
        message = {"model_id": model_id, "tags": codec.pairs_to_json(tags)}
        self.call("PATCH", f"logged-models/{_quote(model_id)}/tags", message)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        self.call("DELETE", f"logged-models/{_quote(model_id)}/tags/{_quote(key)}")

    def log_logged_model_params(self, model_id: str, params: Mapping[str, str]) -> None:
        message = {"model_id": model_id, "params": codec.pairs_to_json(params)}
        self.call("POST", f"logged-models/{_quote(model_id)}/params", message)

    def delete_logged_model(self, model_id: str) -> None:
        self.call("DELETE", f"logged-models/{_quote(model_id)}")

    def log_model_metrics(self, run_id: str, metrics: Sequence[LoggedModelMetric]) -> None:
        points = [{k: v for k, v in m.to_dict().items() if k != "run_id"} for m in metrics]
        for start in range(0, len(points), MAX_BATCH_METRICS):
            message = {"run_id": run_id, "metrics": points[start : start + MAX_BATCH_METRICS]}
            self.call("POST", "runs/log-batch", message)

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
        message: dict[str, Any] = {
            "experiment_ids": list(experiment_ids),
            "max_results": max_results,
        }
        if filter_string:
            message["filter"] = filter_string
        if datasets:
            # Sent as given: the server checks them (each needs a dataset_name).
            message["datasets"] = [dict(d) if isinstance(d, Mapping) else d for d in datasets]
        if order_by:
            message["order_by"] = order_by_to_json(order_by)
        if page_token:
            message["page_token"] = page_token
        answer = self.call("POST", "logged-models/search", message)
        models = [codec.logged_model_from_json(m) for m in answer.get("models") or ()]
        return PagedList(models, answer.get("next_page_token") or None)

    def log_outputs(self, run_id: str, models: Sequence[tuple[str, int]]) -> None:
        message = {
            "run_id": run_id,
            "models": [{"model_id": model_id, "step": step} for model_id, step in models],
        }
        self.call("POST", "runs/outputs", message, not_found=_run_missing(run_id))

    def log_inputs(
        self, run_id: str, datasets: Sequence[DatasetInput], models: Sequence[str] = ()
    ) -> None:
        message: dict[str, Any] = {"run_id": run_id}
        if datasets:
            message["datasets"] = [d.to_dict() for d in datasets]
        if models:
            message["models"] = [{"model_id": model_id} for model_id in models]
        self.call("POST", "runs/log-inputs", message, not_found=_run_missing(run_id))


def _run_missing(run_id: str) -> Callable[[str], NotFoundError]:
    return lambda _message: RunNotFound.for_id(run_id)
