"""The model-version methods of :class:`~jupyter_mltrack.registry.client.RegistryClient`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from jupyter_mltrack.entities import ModelStage, ModelVersion, PagedList
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.registry.validation import (
    check_description,
    check_max_results,
    check_model_name,
    check_order_by,
    check_tag,
    check_tags,
    check_version,
)
from jupyter_mltrack.store.registry_base import MODEL_VERSIONS_MAX_RESULTS_DEFAULT, RegistryStore

__all__ = ["VersionMethods"]


class VersionMethods:
    """Mixin: create, read, update, delete, search and tag model versions (needs ``store``)."""

    store: RegistryStore
    tracking_uri: str

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Mapping[str, object] | None = None,
        *,
        run_link: str | None = None,
        description: str | None = None,
        experiment_id: str | None = None,
        signature: str | None = None,
        flavors: Sequence[str] = (),
    ) -> ModelVersion:
        """Create the next version of ``name`` from a model ``source`` URI, as given.

        Prefer :meth:`register_model`, which reads the model's ``MLmodel`` file and fills in the
        run, experiment, signature and flavors. The registered model is created if missing.

        Example:
            >>> mv = client.create_model_version("churn", "s3://bucket/model")  # doctest: +SKIP
            >>> mv.version  # doctest: +SKIP
            1
        """
        from jupyter_mltrack.tracking.context import current_user

        if not isinstance(source, str) or not source.strip():
            raise InvalidParameterError(
                f"Model version source must be a non-empty URI, got {source!r}"
            )
        return self.store.create_model_version(
            check_model_name(name),
            source,
            run_id=run_id or None,
            run_link=run_link,
            experiment_id=experiment_id,
            tags=check_tags(tags),
            description=None if description is None else check_description(description),
            user_id=current_user(),
            signature=signature,
            flavors=tuple(flavors),
        )

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        """Return one version; raise ModelVersionNotFound if the model has no such version.

        Example:
            >>> client.get_model_version("churn", 3).current_stage  # doctest: +SKIP
            <ModelStage.PRODUCTION: 'Production'>
        """
        return self.store.get_model_version(check_model_name(name), check_version(version))

    def update_model_version(self, name: str, version: int | str, description: str) -> ModelVersion:
        """Replace a version's markdown description.

        Example:
            >>> client.update_model_version("churn", 3, "Trained on **Q3** data")  # doctest: +SKIP
        """
        return self.store.update_model_version(
            check_model_name(name), check_version(version), check_description(description)
        )

    def delete_model_version(self, name: str, version: int | str) -> None:
        """Delete a version; aliases pointing at it are removed (and recorded in the history).

        Example:
            >>> client.delete_model_version("churn", 1)  # doctest: +SKIP
        """
        self.store.delete_model_version(check_model_name(name), check_version(version))

    def search_model_versions(
        self,
        filter_string: str = "",
        *,
        max_results: int = MODEL_VERSIONS_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | str | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        """Return one page of versions matching a filter; ``page.token`` fetches the next page.

        The filter compares ``name``, ``version``, ``run_id``, ``source``, ``current_stage``,
        ``user_id`` and ``tags.<key>``, joined by ``AND``.

        Example:
            >>> client.search_model_versions("name = 'churn' AND current_stage = 'Production'")
            ... # doctest: +SKIP
        """
        return self.store.search_model_versions(
            filter_string or "",
            check_max_results(max_results),
            check_order_by(order_by),
            page_token,
        )

    def get_latest_versions(
        self, name: str, stages: Sequence[ModelStage | str] | None = None
    ) -> list[ModelVersion]:
        """Return the latest version in each of ``stages`` (every stage that has one if None).

        Stage names are case-insensitive: ``["production", "Staging"]``.

        Example:
            >>> [mv.version for mv in client.get_latest_versions("churn", ["Production"])]
            ... # doctest: +SKIP
            [3]
        """
        if isinstance(stages, str):
            stages = [stages]
        parsed = None if stages is None else [ModelStage.parse(s) for s in stages]
        return self.store.get_latest_versions(check_model_name(name), parsed)

    def set_model_version_tag(self, name: str, version: int | str, key: str, value: object) -> None:
        """Set (or overwrite) a tag of a version.

        Example:
            >>> client.set_model_version_tag("churn", 3, "validated", "yes")  # doctest: +SKIP
        """
        key, text = check_tag(key, value)
        self.store.set_model_version_tag(check_model_name(name), check_version(version), key, text)

    def delete_model_version_tag(self, name: str, version: int | str, key: str) -> None:
        """Remove a tag from a version (no error if it is not set).

        Example:
            >>> client.delete_model_version_tag("churn", 3, "validated")  # doctest: +SKIP
        """
        key, _ = check_tag(key, "")
        self.store.delete_model_version_tag(check_model_name(name), check_version(version), key)

    def get_model_version_download_uri(self, name: str, version: int | str) -> str:
        """Return where a version's files are stored: the artifact URI behind a runs:/ source.

        Example:
            >>> client.get_model_version_download_uri("churn", 3)  # doctest: +SKIP
            'file:///home/me/mltrack/artifacts/1/0f3c.../artifacts/model'
        """
        from jupyter_mltrack.registry.sources import storage_uri

        source = self.get_model_version(name, version).source
        return storage_uri(source, self.tracking_uri)
