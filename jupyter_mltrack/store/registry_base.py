"""The model registry store interface.

``SqlStore`` implements :class:`RegistryStore` next to :class:`~jupyter_mltrack.store.base.
TrackingStore`, so one database holds runs and the registry. Names arrive validated by the
client; versions are ints; times are int milliseconds. Every method that changes more than one
row does so in one transaction.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence

from jupyter_mltrack.entities import (
    ModelStage,
    ModelVersion,
    ModelVersionEvent,
    PagedList,
    RegisteredModel,
)

__all__ = [
    "MODEL_VERSIONS_MAX_RESULTS_DEFAULT",
    "REGISTERED_MODELS_MAX_RESULTS_DEFAULT",
    "RegistryStore",
]

REGISTERED_MODELS_MAX_RESULTS_DEFAULT = 100
MODEL_VERSIONS_MAX_RESULTS_DEFAULT = 1000


class RegistryStore(ABC):
    """Persistence of registered models, their versions, stages, aliases and history."""

    # -- registered models ------------------------------------------------------------------
    @abstractmethod
    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
    ) -> RegisteredModel:
        """Create a registered model; raise AlreadyExistsError if the name is taken."""

    @abstractmethod
    def get_registered_model(self, name: str) -> RegisteredModel:
        """Return the registered model or raise RegisteredModelNotFound."""

    @abstractmethod
    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a model; its versions, tags, aliases and history follow."""

    @abstractmethod
    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        """Replace the model's (markdown) description."""

    @abstractmethod
    def delete_registered_model(self, name: str) -> None:
        """Delete a model with its versions, tags, aliases and history."""

    @abstractmethod
    def search_registered_models(
        self,
        filter_string: str = "",
        max_results: int = REGISTERED_MODELS_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        """Return one page of models.

        The filter accepts ``name`` (``=``, ``!=``, ``LIKE``, ``ILIKE``) and ``tags.<key>``
        comparisons joined by ``AND``; ``order_by`` accepts ``name``,
        ``last_updated_timestamp`` and ``creation_timestamp`` with ``ASC``/``DESC``.
        """

    @abstractmethod
    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        """Set (insert or overwrite) a tag on a model."""

    @abstractmethod
    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Delete a tag of a model (no error when it is absent)."""

    # -- model versions ---------------------------------------------------------------------
    @abstractmethod
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
        """Create the next version of ``name`` (and the model itself if missing).

        The number is ``max + 1`` assigned inside one write transaction, so concurrent
        processes never get duplicates.
        """

    @abstractmethod
    def get_model_version(self, name: str, version: int) -> ModelVersion:
        """Return the version or raise ModelVersionNotFound."""

    @abstractmethod
    def update_model_version(self, name: str, version: int, description: str) -> ModelVersion:
        """Replace the version's (markdown) description."""

    @abstractmethod
    def delete_model_version(self, name: str, version: int) -> None:
        """Delete a version; aliases pointing at it go too, each recorded as ``alias_deleted``."""

    @abstractmethod
    def search_model_versions(
        self,
        filter_string: str = "",
        max_results: int = MODEL_VERSIONS_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        """Return one page of versions.

        The filter accepts ``name``, ``version``, ``run_id``, ``source``, ``current_stage``,
        ``user_id`` and ``tags.<key>`` comparisons joined by ``AND``.
        """

    @abstractmethod
    def get_latest_versions(
        self, name: str, stages: Sequence[ModelStage | str] | None = None
    ) -> list[ModelVersion]:
        """Return the latest version in each stage (every stage that has one if ``None``)."""

    @abstractmethod
    def set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        """Set (insert or overwrite) a tag on a version."""

    @abstractmethod
    def delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        """Delete a tag of a version (no error when it is absent)."""

    # -- stages, aliases, history -----------------------------------------------------------
    @abstractmethod
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
        """Move a version to ``stage`` in one transaction, recording a ``stage`` event.

        With ``archive_existing_versions`` the other versions in ``stage`` move to Archived in
        the same transaction, each with its own event.
        """

    @abstractmethod
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
        """Point ``alias`` at ``version`` (moving it if set), recording an ``alias_set`` event."""

    @abstractmethod
    def delete_registered_model_alias(self, name: str, alias: str, *, user_id: str = "") -> None:
        """Remove an alias, recording an ``alias_deleted`` event (no error when it is absent)."""

    @abstractmethod
    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """Return the version the alias points at, or raise ModelVersionNotFound."""

    @abstractmethod
    def get_model_version_history(
        self, name: str, version: int | None = None
    ) -> list[ModelVersionEvent]:
        """Return the stage and alias events of a model (or of one version), oldest first."""
