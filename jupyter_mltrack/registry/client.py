"""RegistryClient: registered models, versions, stages, aliases and their history.

The client is the validating boundary in front of a :class:`~jupyter_mltrack.store.
registry_base.RegistryStore`: names, versions, aliases, stages and tags are checked here
(:mod:`~jupyter_mltrack.registry.validation`); existence and uniqueness are the store's
(``RegisteredModelNotFound``, ``ModelVersionNotFound``, ``AlreadyExistsError``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from jupyter_mltrack._types import PathLike
from jupyter_mltrack.entities import ModelVersion, PagedList, RegisteredModel
from jupyter_mltrack.errors import InvalidStateError, ModelFormatError, NotFoundError
from jupyter_mltrack.registry.lifecycle import LifecycleMethods
from jupyter_mltrack.registry.validation import (
    check_description,
    check_max_results,
    check_model_name,
    check_order_by,
    check_tag,
    check_tags,
)
from jupyter_mltrack.registry.versions import VersionMethods
from jupyter_mltrack.store.registry_base import (
    REGISTERED_MODELS_MAX_RESULTS_DEFAULT,
    RegistryStore,
)

if TYPE_CHECKING:
    from jupyter_mltrack.models.mlmodel import Model
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = ["RegistryClient", "register_model"]


class RegistryClient(VersionMethods, LifecycleMethods):
    """Read and change the model registry of one tracking store.

    Args:
        tracking_uri: The store to use; defaults to the current tracking URI
            (:func:`~jupyter_mltrack.get_tracking_uri`). Plain paths become SQLite URIs.
        store: An already opened store to use instead (tests, custom backends).

    Raises:
        InvalidStateError: The store has no model registry.

    Example:
        >>> from jupyter_mltrack.registry import RegistryClient
        >>> client = RegistryClient("sqlite:///mltrack.db")  # doctest: +SKIP
        >>> mv = client.register_model("runs:/0f3c.../model", "churn")  # doctest: +SKIP
        >>> client.set_registered_model_alias("churn", "champion", mv.version)  # doctest: +SKIP
    """

    def __init__(
        self, tracking_uri: PathLike | None = None, *, store: RegistryStore | None = None
    ) -> None:
        from jupyter_mltrack.tracking.uri import get_tracking_uri, normalize_tracking_uri

        if store is None:
            from jupyter_mltrack.store.registry import get_tracking_store

            uri = (
                get_tracking_uri() if tracking_uri is None else normalize_tracking_uri(tracking_uri)
            )
            opened: object = get_tracking_store(uri)
        else:
            uri = str(getattr(store, "uri", None) or tracking_uri or "")
            opened = store
        if not isinstance(opened, RegistryStore):
            raise InvalidStateError(
                f"The tracking store at {uri!r} ({type(opened).__name__}) has no model "
                "registry; use a SQL store such as 'sqlite:///mltrack.db'"
            )
        self.tracking_uri = uri
        self.store = opened
        self._tracking: TrackingClient | None = None

    def __repr__(self) -> str:
        from jupyter_mltrack.store.redact import redact_uri

        return f"RegistryClient({redact_uri(self.tracking_uri)!r})"

    @property
    def tracking(self) -> TrackingClient:
        """A :class:`~jupyter_mltrack.TrackingClient` on the same store (runs, artifacts)."""
        if self._tracking is None:
            from jupyter_mltrack.tracking.client import TrackingClient

            self._tracking = TrackingClient(self.tracking_uri)
        return self._tracking

    # -- registered models ----------------------------------------------------------------------
    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, object] | None = None,
        description: str | None = None,
    ) -> RegisteredModel:
        """Create an empty registered model; raise AlreadyExistsError if the name is taken.

        Example:
            >>> client.create_registered_model("churn", tags={"team": "growth"})  # doctest: +SKIP
        """
        return self.store.create_registered_model(
            check_model_name(name),
            check_tags(tags),
            None if description is None else check_description(description),
        )

    def get_registered_model(self, name: str) -> RegisteredModel:
        """Return a registered model with its tags, aliases and latest version per stage.

        Example:
            >>> client.get_registered_model("churn").aliases  # doctest: +SKIP
            {'champion': 3}
        """
        return self.store.get_registered_model(check_model_name(name))

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a registered model; its versions, aliases and history follow.

        Example:
            >>> client.rename_registered_model("churn", "churn-v2")  # doctest: +SKIP
        """
        return self.store.rename_registered_model(
            check_model_name(name), check_model_name(new_name, what="New registered model")
        )

    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        """Replace a registered model's markdown description.

        Example:
            >>> client.update_registered_model("churn", description="# Churn\\nGBM")
            ... # doctest: +SKIP
        """
        return self.store.update_registered_model(
            check_model_name(name), check_description(description)
        )

    def delete_registered_model(self, name: str) -> None:
        """Delete a registered model with all its versions, tags, aliases and history.

        Example:
            >>> client.delete_registered_model("churn")  # doctest: +SKIP
        """
        self.store.delete_registered_model(check_model_name(name))

    def search_registered_models(
        self,
        filter_string: str = "",
        *,
        max_results: int = REGISTERED_MODELS_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | str | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        """Return one page of registered models; ``page.token`` fetches the next page.

        The filter compares ``name`` (``=``, ``!=``, ``LIKE``, ``ILIKE``) and ``tags.<key>``;
        ``order_by`` takes ``name``, ``creation_timestamp``, ``last_updated_timestamp``.

        Example:
            >>> client.search_registered_models("name LIKE 'churn%'", order_by=["name"])
            ... # doctest: +SKIP
        """
        return self.store.search_registered_models(
            filter_string or "",
            check_max_results(max_results),
            check_order_by(order_by),
            page_token,
        )

    def set_registered_model_tag(self, name: str, key: str, value: object) -> None:
        """Set (or overwrite) a tag of a registered model.

        Example:
            >>> client.set_registered_model_tag("churn", "team", "growth")  # doctest: +SKIP
        """
        key, text = check_tag(key, value)
        self.store.set_registered_model_tag(check_model_name(name), key, text)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Remove a tag from a registered model (no error if it is not set).

        Example:
            >>> client.delete_registered_model_tag("churn", "team")  # doctest: +SKIP
        """
        key, _ = check_tag(key, "")
        self.store.delete_registered_model_tag(check_model_name(name), key)

    # -- registering ----------------------------------------------------------------------------
    def register_model(
        self, model_uri: PathLike, name: str, tags: Mapping[str, object] | None = None
    ) -> ModelVersion:
        """Register the model at ``model_uri`` as the next version of ``name``.

        Creates the registered model if needed and records the source URI, the run and its
        experiment, and the model's signature and flavors (read from its ``MLmodel`` file).

        Raises:
            ModelFormatError: The URI holds no ``MLmodel`` file.

        Example:
            >>> mv = client.register_model("runs:/0f3c.../model", "churn")  # doctest: +SKIP
            >>> mv.version, mv.flavors  # doctest: +SKIP
            (1, ('python_function', 'sklearn'))
        """
        name = check_model_name(name)
        checked_tags = check_tags(tags)
        source = _source_uri(model_uri)
        mlmodel = self._read_mlmodel(source)
        run_id = self._run_id_of(source, mlmodel)
        return self.create_model_version(
            name,
            source,
            run_id,
            checked_tags,
            experiment_id=self._experiment_of(run_id),
            signature=None
            if mlmodel.signature is None
            else json.dumps(mlmodel.signature.to_dict(), sort_keys=True),
            flavors=tuple(mlmodel.flavors),
        )

    def _read_mlmodel(self, source: str) -> Model:
        from jupyter_mltrack.models.mlmodel import MLMODEL_FILE, Model
        from jupyter_mltrack.models.uri import resolve_model_uri, split_runs_uri, uri_scheme
        from jupyter_mltrack.registry.sources import local_source

        scheme = uri_scheme(source)
        try:
            if scheme == "runs":  # fetch the MLmodel file only, not the whole model
                run_id, path = split_runs_uri(source)
                mlmodel_path = f"{path}/{MLMODEL_FILE}" if path else MLMODEL_FILE
                local = self.tracking.download_artifacts(run_id, mlmodel_path)
            elif scheme == "models":
                local = resolve_model_uri(source, tracking_uri=self.tracking_uri)
            else:
                local = local_source(source, self.tracking_uri)
        except NotFoundError as exc:
            if scheme == "models":
                raise
            raise ModelFormatError(
                f"No model at {source!r}: {exc.message}; register the URI of a directory "
                f"that holds an {MLMODEL_FILE} file"
            ) from None
        return Model.load(local)

    def _run_id_of(self, source: str, mlmodel: Model) -> str | None:
        from jupyter_mltrack.models.uri import split_runs_uri, uri_scheme

        if uri_scheme(source) == "runs":
            return split_runs_uri(source)[0]
        return mlmodel.run_id or None

    def _experiment_of(self, run_id: str | None) -> str | None:
        if run_id is None:
            return None
        try:
            return self.tracking.get_run(run_id).info.experiment_id
        except NotFoundError:  # the MLmodel names a run of another store
            return None


def _source_uri(model_uri: PathLike) -> str:
    from jupyter_mltrack.models.uri import uri_scheme

    text = os.fspath(model_uri)
    if not isinstance(text, str) or not text.strip():
        raise ModelFormatError(f"Model URI must be a non-empty path or URI, got {model_uri!r}")
    # A relative path would mean something else from another working directory.
    return os.path.abspath(os.path.expanduser(text)) if uri_scheme(text) == "" else text


def register_model(
    model_uri: PathLike, name: str, tags: Mapping[str, object] | None = None
) -> ModelVersion:
    """Register the model at ``model_uri`` as a new version of ``name`` in the current store.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mv = mlt.register_model("runs:/0f3c.../model", "churn")  # doctest: +SKIP
        >>> mv.version  # doctest: +SKIP
        1
    """
    return RegistryClient().register_model(model_uri, name, tags)
