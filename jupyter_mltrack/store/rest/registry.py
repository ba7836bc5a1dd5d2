"""The model-registry half of :class:`~jupyter_mltrack.store.rest.store.RestStore`.

MLflow's ``registered-models/*`` and ``model-versions/*`` endpoints, plus mltrack extension
fields an MLflow server ignores: who moved a stage or alias and why (``user_id``, ``comment``,
``evidence_uri``, ``metrics``), a version's ``experiment_id``/``signature``/``flavors``, and the
history endpoint (an mltrack server only).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import jupyter_mltrack.store.rest.codec as codec
from jupyter_mltrack._validation import validate_key
from jupyter_mltrack.entities import (
    ModelStage,
    ModelVersion,
    ModelVersionEvent,
    PagedList,
    RegisteredModel,
    float_to_json,
)
from jupyter_mltrack.errors import (
    AlreadyExistsError,
    InvalidParameterError,
    ModelVersionNotFound,
    NotFoundError,
    RegisteredModelNotFound,
)
from jupyter_mltrack.store.registry_base import (
    MODEL_VERSIONS_MAX_RESULTS_DEFAULT,
    REGISTERED_MODELS_MAX_RESULTS_DEFAULT,
)

__all__ = ["HISTORY_ENDPOINT", "RegistryMixin"]

#: mltrack's extension: the stage and alias events of a model, oldest first.
HISTORY_ENDPOINT = "registered-models/history"


def _name(name: object) -> str:
    """Names go to the server as given (it checks them); a non-string cannot travel, and an
    empty one gets MLflow's "missing parameter" answer there, so both are refused here."""
    if not isinstance(name, str) or not name:
        raise InvalidParameterError(
            f"Registered model name must be a non-empty string, got {name!r}"
        )
    return name


def _version(version: object) -> str:
    """Versions travel as strings (MLflow's wire form); the server checks the number."""
    return str(version)


def _max_results(max_results: object) -> int:
    # A query string cannot tell 10 from "10"; refuse what the store would refuse.
    if type(max_results) is not int or max_results < 1:
        raise InvalidParameterError(f"max_results must be a positive integer, got {max_results!r}")
    return max_results


def _model_missing(name: str) -> Callable[[str], NotFoundError]:
    # The server speaks MLflow's words; our users get the same message as from a local store.
    return lambda _message: RegisteredModelNotFound.for_name(name)


def _version_missing(name: str, version: int | str | None) -> Callable[[str], NotFoundError]:
    def build(message: str) -> NotFoundError:
        if version is not None and message == ModelVersionNotFound.WIRE.format(
            name=name, version=version
        ):  # MLflow's words from the server: give our users ours, as a local store does
            return ModelVersionNotFound.for_version(name, version)
        return ModelVersionNotFound(message, name=name, version=version)

    return build


def _extras(
    *,
    user_id: str = "",
    comment: str | None = None,
    evidence_uri: str | None = None,
    metrics: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """The audit fields of a stage or alias move (mltrack extensions)."""
    out: dict[str, Any] = {}
    if user_id:
        out["user_id"] = user_id
    if comment is not None:
        out["comment"] = comment
    if evidence_uri is not None:
        out["evidence_uri"] = evidence_uri
    if metrics:
        out["metrics"] = {k: float_to_json(float(v)) for k, v in metrics.items()}
    return out


class RegistryMixin:
    """Registered models, versions, stages, aliases and history over REST."""

    if TYPE_CHECKING:

        def call(
            self,
            method: str,
            endpoint: str,
            message: Mapping[str, Any] | None = None,
            *,
            not_found: Callable[[str], NotFoundError] | None = None,
        ) -> dict[str, Any]: ...

    def _model_call(self, method: str, endpoint: str, message: dict[str, Any]) -> dict[str, Any]:
        return self.call(method, endpoint, message, not_found=_model_missing(message["name"]))

    def _version_call(self, method: str, endpoint: str, message: dict[str, Any]) -> dict[str, Any]:
        version = str(message["version"])
        missing = _version_missing(message["name"], int(version) if version.isdigit() else version)
        return self.call(method, endpoint, message, not_found=missing)

    # -- registered models ------------------------------------------------------------------
    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
    ) -> RegisteredModel:
        message: dict[str, Any] = {"name": _name(name)}
        if tags:
            message["tags"] = codec.pairs_to_json(tags)
        if description is not None:
            message["description"] = description
        try:
            answer = self.call("POST", "registered-models/create", message)
        except AlreadyExistsError:  # the server speaks MLflow's words; say ours
            raise AlreadyExistsError.for_registered_model(message["name"]) from None
        return codec.registered_model_from_json(answer["registered_model"])

    def get_registered_model(self, name: str) -> RegisteredModel:
        answer = self._model_call("GET", "registered-models/get", {"name": _name(name)})
        return codec.registered_model_from_json(answer["registered_model"])

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        message = {"name": _name(name), "new_name": _name(new_name)}
        answer = self._model_call("POST", "registered-models/rename", message)
        return codec.registered_model_from_json(answer["registered_model"])

    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        message = {"name": _name(name), "description": description}
        answer = self._model_call("PATCH", "registered-models/update", message)
        return codec.registered_model_from_json(answer["registered_model"])

    def delete_registered_model(self, name: str) -> None:
        self._model_call("DELETE", "registered-models/delete", {"name": _name(name)})

    def search_registered_models(
        self,
        filter_string: str = "",
        max_results: int = REGISTERED_MODELS_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        query = _search_query(filter_string, max_results, order_by, page_token)
        answer = self.call("GET", "registered-models/search", query)
        models = [
            codec.registered_model_from_json(m) for m in answer.get("registered_models") or ()
        ]
        return PagedList(models, answer.get("next_page_token") or None)

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        message = {"name": _name(name), "key": validate_key("Tag", key), "value": value}
        self._model_call("POST", "registered-models/set-tag", message)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        message = {"name": _name(name), "key": key}
        self._model_call("DELETE", "registered-models/delete-tag", message)

    # -- model versions ---------------------------------------------------------------------
    def create_model_version(
        self,
        name: str,
        source: str,
        *,
        run_id: str | None = None,
        run_link: str | None = None,
        experiment_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
        user_id: str = "",
        signature: str | None = None,
        flavors: Sequence[str] = (),
    ) -> ModelVersion:
        message: dict[str, Any] = {"name": _name(name), "source": source}
        optional = {
            "run_id": run_id,
            "run_link": run_link,
            "experiment_id": experiment_id,
            "description": description,
            "user_id": user_id or None,
            "signature": signature,
        }
        message.update({k: v for k, v in optional.items() if v is not None})
        if tags:
            message["tags"] = codec.pairs_to_json(tags)
        if flavors:
            message["flavors"] = list(flavors)
        try:
            answer = self.call("POST", "model-versions/create", message)
        except NotFoundError:
            # An mltrack server creates the model with its first version, an MLflow server
            # does not: create it, then the version.
            with contextlib.suppress(AlreadyExistsError):  # another client was quicker
                self.call("POST", "registered-models/create", {"name": message["name"]})
            answer = self.call("POST", "model-versions/create", message)
        return codec.model_version_from_json(answer["model_version"])

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        message = {"name": _name(name), "version": _version(version)}
        answer = self._version_call("GET", "model-versions/get", message)
        return codec.model_version_from_json(answer["model_version"])

    def update_model_version(self, name: str, version: int, description: str) -> ModelVersion:
        message = {
            "name": _name(name),
            "version": _version(version),
            "description": description,
        }
        answer = self._version_call("PATCH", "model-versions/update", message)
        return codec.model_version_from_json(answer["model_version"])

    def delete_model_version(self, name: str, version: int) -> None:
        message = {"name": _name(name), "version": _version(version)}
        self._version_call("DELETE", "model-versions/delete", message)

    def search_model_versions(
        self,
        filter_string: str = "",
        max_results: int = MODEL_VERSIONS_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        query = _search_query(filter_string, max_results, order_by, page_token)
        answer = self.call("GET", "model-versions/search", query)
        versions = [codec.model_version_from_json(v) for v in answer.get("model_versions") or ()]
        return PagedList(versions, answer.get("next_page_token") or None)

    def get_latest_versions(
        self, name: str, stages: Sequence[ModelStage | str] | None = None
    ) -> list[ModelVersion]:
        message: dict[str, Any] = {"name": _name(name)}
        if stages is not None:
            parsed = [ModelStage.parse(s).value for s in stages]
            if not parsed:  # proto-JSON cannot tell "no stages" from "all stages"
                self.get_registered_model(name)
                return []
            message["stages"] = parsed
        answer = self._model_call("POST", "registered-models/get-latest-versions", message)
        return [codec.model_version_from_json(v) for v in answer.get("model_versions") or ()]

    def set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        message = {
            "name": _name(name),
            "version": _version(version),
            "key": validate_key("Tag", key),
            "value": value,
        }
        self._version_call("POST", "model-versions/set-tag", message)

    def delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        message = {
            "name": _name(name),
            "version": _version(version),
            "key": key,
        }
        self._version_call("DELETE", "model-versions/delete-tag", message)

    # -- stages, aliases, history -----------------------------------------------------------
    def transition_model_version_stage(
        self,
        name: str,
        version: int,
        stage: ModelStage,
        *,
        archive_existing_versions: bool = False,
        user_id: str = "",
        comment: str | None = None,
        evidence_uri: str | None = None,
        metrics: Mapping[str, float] | None = None,
    ) -> ModelVersion:
        message = {
            "name": _name(name),
            "version": _version(version),
            "stage": ModelStage.parse(stage).value,
            "archive_existing_versions": archive_existing_versions,
            **_extras(user_id=user_id, comment=comment, evidence_uri=evidence_uri, metrics=metrics),
        }
        answer = self._version_call("POST", "model-versions/transition-stage", message)
        return codec.model_version_from_json(answer["model_version"])

    def set_registered_model_alias(
        self,
        name: str,
        alias: str,
        version: int,
        *,
        user_id: str = "",
        comment: str | None = None,
        evidence_uri: str | None = None,
        metrics: Mapping[str, float] | None = None,
    ) -> None:
        message = {
            "name": _name(name),
            "alias": alias,
            "version": _version(version),
            **_extras(user_id=user_id, comment=comment, evidence_uri=evidence_uri, metrics=metrics),
        }
        self._version_call("POST", "registered-models/alias", message)

    def delete_registered_model_alias(self, name: str, alias: str, *, user_id: str = "") -> None:
        message = {"name": _name(name), "alias": alias, **_extras(user_id=user_id)}
        self._model_call("DELETE", "registered-models/alias", message)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        message = {"name": _name(name), "alias": alias}
        missing = _version_missing(name, alias)
        try:
            answer = self.call("GET", "registered-models/alias", message, not_found=missing)
        except InvalidParameterError as exc:
            # An MLflow server answers an unset alias with INVALID_PARAMETER_VALUE, not 404.
            if "alias" in exc.message and "not found" in exc.message:
                raise missing(exc.message) from None
            raise
        return codec.model_version_from_json(answer["model_version"])

    def get_model_version_history(
        self, name: str, version: int | None = None
    ) -> list[ModelVersionEvent]:
        message: dict[str, Any] = {"name": _name(name)}
        if version is not None:
            message["version"] = _version(version)
        answer = self._model_call("GET", HISTORY_ENDPOINT, message)
        return [codec.event_from_json(e) for e in answer.get("events") or ()]


def _search_query(
    filter_string: str,
    max_results: int,
    order_by: Sequence[str] | None,
    page_token: str | None,
) -> dict[str, Any]:
    query: dict[str, Any] = {"max_results": _max_results(max_results)}
    if filter_string:
        query["filter"] = filter_string
    if order_by:
        query["order_by"] = list(order_by)
    if page_token:
        query["page_token"] = page_token
    return query
