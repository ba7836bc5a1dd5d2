"""``models:/`` URIs: parse them, find the version they name, and resolve them to local files.

Forms (as MLflow): ``models:/<name>/<version>``, ``models:/<name>/<stage>`` (the latest version
in that stage), ``models:/<name>/latest`` (the highest version) and ``models:/<name>@<alias>``.
:func:`resolve_models_uri` is the resolver of the ``models`` scheme in
:mod:`jupyter_mltrack.models.uri` (imported there by name on first use), so every function that
loads a model (``pyfunc.load_model``, ``evaluate``, ``mltrack models serve``/``predict``) accepts
these URIs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import unquote

from jupyter_mltrack.entities import ModelStage, ModelVersion
from jupyter_mltrack.errors import InvalidParameterError, ModelVersionNotFound
from jupyter_mltrack.registry.sources import local_source
from jupyter_mltrack.registry.validation import check_alias, check_model_name, check_version

if TYPE_CHECKING:
    from jupyter_mltrack.registry.client import RegistryClient

__all__ = [
    "ModelsUri",
    "model_version_for_uri",
    "parse_models_uri",
    "resolve_models_uri",
]

T = TypeVar("T")
_LOGGED_MODEL_RE = re.compile(r"models:/(m-[0-9a-f]{32})/?", re.IGNORECASE)
_MAX_DEPTH = 10  # a models:/ source pointing at another models:/ URI, and so on
_HINT = (
    "expected models:/<name>/<version>, models:/<name>/<stage>, models:/<name>/latest "
    "or models:/<name>@<alias>"
)


@dataclass(frozen=True, slots=True)
class ModelsUri:
    """A parsed ``models:/`` URI: a model name and exactly one of version, stage, latest, alias."""

    name: str
    version: int | None = None
    stage: ModelStage | None = None
    latest: bool = False
    alias: str | None = None


def parse_models_uri(uri: str) -> ModelsUri:
    """Split a ``models:/`` URI into its parts; raise InvalidParameterError if malformed.

    Example:
        >>> parse_models_uri("models:/churn@champion").alias
        'champion'
    """
    if not uri.lower().startswith("models:"):
        raise InvalidParameterError(f"{uri!r} is not a models:/ URI; {_HINT}")
    path = unquote(uri[len("models:") :].lstrip("/")).rstrip("/")
    if "/" not in path and "@" in path:
        name, _, alias = path.rpartition("@")
        return ModelsUri(check_model_name(name), alias=_checked(check_alias, alias, uri))
    name, sep, ref = path.partition("/")
    if not sep or not ref or "/" in ref:
        raise InvalidParameterError(f"Invalid model URI {uri!r}; {_HINT}")
    name = _checked(check_model_name, name, uri)
    if ref.isdigit():
        return ModelsUri(name, version=_checked(check_version, ref, uri))
    if ref.lower() == "latest":
        return ModelsUri(name, latest=True)
    try:
        return ModelsUri(name, stage=ModelStage.parse(ref))
    except InvalidParameterError:
        stages = ", ".join(s.value for s in ModelStage)
        raise InvalidParameterError(
            f"Invalid model URI {uri!r}: {ref!r} is neither a version number, 'latest' nor a "
            f"stage ({stages}); {_HINT}"
        ) from None


def _checked(check: Callable[[str], T], value: str, uri: str) -> T:
    try:
        return check(value)
    except InvalidParameterError as exc:
        raise InvalidParameterError(f"Invalid model URI {uri!r}: {exc.message}") from None


def model_version_for_uri(client: RegistryClient, uri: str) -> ModelVersion:
    """Return the model version a ``models:/`` URI names (raise ModelVersionNotFound if none).

    Example:
        >>> model_version_for_uri(RegistryClient(), "models:/churn/Production").version
        ... # doctest: +SKIP
        3
    """
    parsed = parse_models_uri(uri)
    if parsed.version is not None:
        return client.get_model_version(parsed.name, parsed.version)
    if parsed.alias is not None:
        return client.get_model_version_by_alias(parsed.name, parsed.alias)
    stage = None if parsed.latest else parsed.stage or ModelStage.NONE
    found = client.get_latest_versions(parsed.name, None if stage is None else [stage])
    if not found:
        where = "has no versions" if stage is None else f"has no version in stage {stage}"
        raise ModelVersionNotFound(
            f"Registered model {parsed.name!r} {where}, so {uri!r} names no model",
            name=parsed.name,
            version=None if stage is None else str(stage),
        )
    return max(found, key=lambda mv: mv.version)


def resolve_models_uri(uri: str, *, tracking_uri: str | None = None) -> str:
    """Return a local path for a ``models:/`` URI: its version's source, downloaded if remote.

    Uses the registry of ``tracking_uri`` (default: the current tracking URI).

    Example:
        >>> resolve_models_uri("models:/churn@champion")  # doctest: +SKIP
        '/home/me/mltrack/artifacts/1/0f3c.../artifacts/model'
    """
    from jupyter_mltrack.registry.client import RegistryClient

    client = RegistryClient(tracking_uri)
    for _ in range(_MAX_DEPTH):
        logged = _logged_model_artifacts(client, uri)
        if logged is not None:  # MLflow 3's models:/m-<id>, e.g. a version MLflow registered
            return local_source(logged, client.tracking_uri)
        source = model_version_for_uri(client, uri).source
        if not source.lower().startswith("models:"):
            return local_source(source, client.tracking_uri)
        uri = source
    raise InvalidParameterError(
        f"Model URI {uri!r} goes through more than {_MAX_DEPTH} models:/ sources; "
        "register the underlying runs:/ or path URI instead"
    )


def _logged_model_artifacts(client: RegistryClient, uri: str) -> str | None:
    """The artifact URI of a ``models:/m-<id>`` logged model, or None for other URIs."""
    match = _LOGGED_MODEL_RE.fullmatch(uri)
    if match is None:
        return None
    from jupyter_mltrack.store.logged_model_base import LoggedModelStore

    store = client.store
    if not isinstance(store, LoggedModelStore):
        raise InvalidParameterError(
            f"{uri!r} names a logged model, but the store at {client.tracking_uri!r} has none"
        )
    return store.get_logged_model(match.group(1)).artifact_uri
