"""Stages, aliases, history and promotion: the lifecycle methods of the RegistryClient."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jupyter_mltrack._types import PathLike
from jupyter_mltrack.entities import ModelStage, ModelVersion, ModelVersionEvent
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.registry.validation import check_alias, check_model_name, check_version
from jupyter_mltrack.store.registry_base import RegistryStore

if TYPE_CHECKING:
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = ["LifecycleMethods"]


def _user() -> str:
    from jupyter_mltrack.tracking.context import current_user

    return current_user()


def _comment(comment: object) -> str | None:
    if comment is None or isinstance(comment, str):
        return comment
    raise InvalidParameterError(f"comment must be a string, got {type(comment).__name__}")


class LifecycleMethods:
    """Mixin: stage transitions, aliases, the history, and gated promotion (needs ``store``)."""

    store: RegistryStore
    tracking_uri: str

    if TYPE_CHECKING:  # provided by RegistryClient and VersionMethods

        @property
        def tracking(self) -> TrackingClient: ...

        def get_model_version(self, name: str, version: int | str) -> ModelVersion: ...

    def transition_model_version_stage(
        self,
        name: str,
        version: int | str,
        stage: ModelStage | str,
        archive_existing_versions: bool = False,
        *,
        comment: str | None = None,
    ) -> ModelVersion:
        """Move a version to a stage: None, Staging, Production or Archived (any case).

        With ``archive_existing_versions`` the versions already in that stage move to Archived
        in the same transaction. Every move is recorded in the history.

        Example:
            >>> mv = client.transition_model_version_stage("churn", 3, "production")
            ... # doctest: +SKIP
            >>> mv.current_stage.value  # doctest: +SKIP
            'Production'
        """
        return self.store.transition_model_version_stage(
            check_model_name(name),
            check_version(version),
            ModelStage.parse(stage),
            archive_existing_versions=bool(archive_existing_versions),
            user_id=_user(),
            comment=_comment(comment),
        )

    def set_registered_model_alias(
        self, name: str, alias: str, version: int | str, *, comment: str | None = None
    ) -> None:
        """Point ``alias`` at a version, moving it from another version in one transaction.

        Example:
            >>> client.set_registered_model_alias("churn", "champion", 3)  # doctest: +SKIP
        """
        self.store.set_registered_model_alias(
            check_model_name(name),
            check_alias(alias),
            check_version(version),
            user_id=_user(),
            comment=_comment(comment),
        )

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Remove an alias (no error if it is not set); the removal is recorded.

        Example:
            >>> client.delete_registered_model_alias("churn", "champion")  # doctest: +SKIP
        """
        self.store.delete_registered_model_alias(
            check_model_name(name), check_alias(alias), user_id=_user()
        )

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """Return the version an alias points at; raise ModelVersionNotFound if unset.

        Example:
            >>> client.get_model_version_by_alias("churn", "champion").version  # doctest: +SKIP
            3
        """
        return self.store.get_model_version_by_alias(check_model_name(name), check_alias(alias))

    def get_model_version_history(
        self, name: str, version: int | str | None = None
    ) -> list[ModelVersionEvent]:
        """Return the stage transitions and alias moves of a model (or one version), oldest first.

        Example:
            >>> [(e.kind, e.from_value, e.to_value) for e in client.get_model_version_history(
            ...     "churn", 3)]  # doctest: +SKIP
            [('stage', 'None', 'Production'), ('alias_set', None, '3')]
        """
        return self.store.get_model_version_history(
            check_model_name(name), None if version is None else check_version(version)
        )

    def promote(
        self,
        name: str,
        version: int | str,
        *,
        stage: ModelStage | str | None = None,
        alias: str | None = None,
        archive_existing_versions: bool = False,
        validate_with: PathLike | None = None,
        parameters: Mapping[str, Any] | None = None,
        comment: str | None = None,
    ) -> ModelVersion:
        """Move a version to a stage or an alias, optionally gated by a validation notebook.

        With ``validate_with`` (a notebook path) the notebook runs first with papermill, with
        ``model_uri`` (``models:/<name>/<version>``), ``mltrack_run_id`` and ``parameters``
        injected into its parameters cell, inside a run of its own in the experiment
        ``mltrack-validations``; fluent logging calls in the notebook go to that run. The
        executed notebook is stored as an artifact of that run and linked, with the metrics the
        notebook logged, in the history entry of the move. If a cell fails, nothing moves.

        Args:
            name: The registered model.
            version: The version to promote.
            stage: The target stage (give exactly one of ``stage`` and ``alias``).
            alias: The alias to point at the version.
            archive_existing_versions: With ``stage``, archive the versions already there.
            validate_with: A notebook that must run without error for the move to happen.
            parameters: More parameters for the notebook.
            comment: Recorded with the move in the history.

        Returns:
            The version after the move.

        Raises:
            PromotionRejected: The notebook failed; carries the cell's error and the URI of the
                executed notebook.

        Example:
            >>> client.promote("churn", 3, stage="Production", validate_with="checks.ipynb",
            ...                parameters={"min_auc": 0.8})  # doctest: +SKIP
        """
        name, number = check_model_name(name), check_version(version)
        target_stage = None if stage is None else ModelStage.parse(stage)
        target_alias = None if alias is None else check_alias(alias)
        if (target_stage is None) == (target_alias is None):
            raise InvalidParameterError(
                "promote() needs exactly one of stage= and alias=, e.g. stage='Production' "
                "or alias='champion'"
            )
        if target_alias is not None and archive_existing_versions:
            raise InvalidParameterError("archive_existing_versions only applies to stage=")
        self.get_model_version(name, number)  # fail fast, before running a notebook
        evidence_uri: str | None = None
        metrics: dict[str, float] = {}
        if validate_with is not None:
            from jupyter_mltrack.registry.promotion import run_validation

            evidence = run_validation(self.tracking, name, number, validate_with, parameters or {})
            evidence_uri, metrics = evidence.uri, evidence.metrics
        user, note = _user(), _comment(comment)
        if target_stage is not None:
            return self.store.transition_model_version_stage(
                name,
                number,
                target_stage,
                archive_existing_versions=bool(archive_existing_versions),
                user_id=user,
                comment=note,
                evidence_uri=evidence_uri,
                metrics=metrics,
            )
        assert target_alias is not None
        self.store.set_registered_model_alias(
            name,
            target_alias,
            number,
            user_id=user,
            comment=note,
            evidence_uri=evidence_uri,
            metrics=metrics,
        )
        return self.get_model_version(name, number)
