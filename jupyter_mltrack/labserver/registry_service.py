"""Registered models, versions, history, alias moves and stage transitions for the Lab API.

Changes follow ``RegistryPanel``'s rule: ask first. A POST without ``"confirm": true`` changes
nothing and raises :class:`~jupyter_mltrack.labserver.errors.ConfirmationRequired` whose message
is the question to show (e.g. "Move alias 'champion' of 'churn' from version 2 to 3?").
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import jupyter_mltrack.labserver.convert as convert
from jupyter_mltrack.entities import ModelStage, ModelVersion
from jupyter_mltrack.errors import InvalidParameterError, NotFoundError
from jupyter_mltrack.labserver.errors import ConfirmationRequired
from jupyter_mltrack.labserver.tracking_service import parse_int, quote

if TYPE_CHECKING:
    from jupyter_mltrack.registry.client import RegistryClient

__all__ = ["RegistryService"]

_ARCHIVING_STAGES = (ModelStage.STAGING, ModelStage.PRODUCTION)


def _text(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameterError(f"The request body needs {key!r} (a non-empty string)")
    return value.strip()


def _flag(body: Mapping[str, Any], key: str) -> bool:
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise InvalidParameterError(f"{key!r} must be true or false, got {value!r}")
    return value


class RegistryService:
    """The registry side of the Lab API over one ``RegistryClient``."""

    def __init__(self, client: RegistryClient) -> None:
        self.client = client

    def _run_names(self, versions: Iterable[ModelVersion]) -> dict[str, str]:
        """Names of the versions' runs: one search per experiment, not one read per version."""
        by_experiment: dict[str, set[str]] = defaultdict(set)
        loose: set[str] = set()  # versions created without their experiment id
        for version in versions:
            if version.run_id and version.experiment_id:
                by_experiment[version.experiment_id].add(version.run_id)
            elif version.run_id:
                loose.add(version.run_id)
        names: dict[str, str] = {}
        for run_id in sorted(loose):
            with contextlib.suppress(NotFoundError, InvalidParameterError):
                names[run_id] = self.client.tracking.get_run(run_id).info.run_name
        for experiment_id, run_ids in by_experiment.items():
            where = f"attributes.run_id IN ({', '.join(quote(r) for r in sorted(run_ids))})"
            page = self.client.tracking.search_runs(
                experiment_id, where, run_view_type="ALL", max_results=len(run_ids)
            )
            names.update({run.info.run_id: run.info.run_name for run in page})
        return names

    def models(
        self, filter_string: str | None = None, page_token: str | None = None,
        page_size: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Return one page of registered models with their aliases and latest versions."""
        size = parse_int("page_size", page_size, 100, 1, 1000)
        page = self.client.search_registered_models(
            filter_string or "", max_results=size, order_by=["name"], page_token=page_token or None
        )
        names = self._run_names(v for model in page for v in model.latest_versions)
        return {
            "models": [convert.model_json(model, names) for model in page],
            "next_page_token": page.token or None,
        }

    def model(self, name: str) -> dict[str, Any]:
        """Return a model with every version (newest first) and its stage/alias history."""
        model = self.client.get_registered_model(name)
        versions: list[ModelVersion] = []
        token: str | None = None
        while True:
            page = self.client.search_model_versions(
                f"name = {quote(model.name)}", order_by=["version_number DESC"], page_token=token
            )
            versions.extend(page)
            token = page.token
            if not token:
                break
        names = self._run_names([*versions, *model.latest_versions])
        body = convert.model_json(model, names)
        body["versions"] = [convert.model_version_json(v, names) for v in versions]
        history = self.client.get_model_version_history(model.name)
        body["history"] = [convert.event_json(e) for e in history]
        return body

    def set_alias(self, name: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Point an alias at a version once confirmed; return the updated model."""
        alias, version = _text(body, "alias"), _text(body, "version")
        confirm = _flag(body, "confirm")
        from jupyter_mltrack.registry.validation import check_alias

        alias = check_alias(alias)
        target = self.client.get_model_version(name, version)  # 404 before asking
        model = self.client.get_registered_model(name)
        current = model.aliases.get(alias)
        what = f"alias {alias!r} of {name!r}"
        if current is None:
            question = f"Set {what} to version {target.version}?"
        elif current == target.version:
            question = f"The {what} already points at version {current}; set it again?"
        else:
            question = f"Move {what} from version {current} to {target.version}?"
        if not confirm:
            raise ConfirmationRequired(question)
        self.client.set_registered_model_alias(name, alias, target.version)
        return self.model(name)

    def transition_stage(self, name: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Move a version to a stage once confirmed; return the updated model."""
        version, stage = _text(body, "version"), ModelStage.parse(_text(body, "stage"))
        archive = _flag(body, "archive_existing_versions")
        confirm = _flag(body, "confirm")
        target = self.client.get_model_version(name, version)
        question = (
            f"Move {name!r} version {target.version} from {target.current_stage.value} "
            f"to {stage.value}"
        )
        if archive and stage in _ARCHIVING_STAGES:
            others = [
                str(v.version)
                for v in self.client.search_model_versions(
                    f"name = {quote(name)} AND current_stage = {quote(stage.value)}"
                )
                if v.version != target.version
            ]
            if others:
                question += f", archiving version(s) {', '.join(others)} now in {stage.value}"
        if not confirm:
            raise ConfirmationRequired(question + "?")
        self.client.transition_model_version_stage(
            name, target.version, stage, archive_existing_versions=archive
        )
        return self.model(name)
