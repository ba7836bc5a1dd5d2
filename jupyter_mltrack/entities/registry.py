"""Model registry entities: ModelStage, ModelVersion, RegisteredModel and ModelVersionEvent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Self

from jupyter_mltrack.errors import InvalidParameterError

__all__ = ["ModelStage", "ModelVersion", "ModelVersionEvent", "RegisteredModel"]


class ModelStage(StrEnum):
    """The deployment stage of a model version (MLflow's four stages, canonical spelling)."""

    NONE = "None"
    STAGING = "Staging"
    PRODUCTION = "Production"
    ARCHIVED = "Archived"

    @classmethod
    def parse(cls, value: object) -> Self:
        """Return the stage named ``value`` (case-insensitive), or raise InvalidParameterError.

        Example:
            >>> ModelStage.parse("production")
            <ModelStage.PRODUCTION: 'Production'>
        """
        if isinstance(value, cls):
            return value
        wanted = str(value).strip().lower()
        for member in cls:
            if member.value.lower() == wanted:
                return member
        allowed = ", ".join(m.value for m in cls)
        raise InvalidParameterError(
            f"Invalid stage {value!r}; use one of: {allowed} (case does not matter)"
        )


def _tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in tags.items()]


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelVersion:
    """One numbered version of a registered model."""

    name: str
    version: int
    creation_timestamp: int
    last_updated_timestamp: int
    description: str = ""
    user_id: str = ""
    current_stage: ModelStage = ModelStage.NONE
    source: str
    run_id: str | None = None
    run_link: str | None = None
    experiment_id: str | None = None
    status: str = "READY"
    tags: Mapping[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    #: The MLmodel ``signature`` mapping as JSON text, or None when the model has none.
    signature: str | None = None
    flavors: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the MLflow REST JSON form (``version`` as a string)."""
        out: dict[str, Any] = {
            "name": self.name,
            "version": str(self.version),
            "creation_timestamp": self.creation_timestamp,
            "last_updated_timestamp": self.last_updated_timestamp,
            "user_id": self.user_id,
            "current_stage": self.current_stage.value,
            "description": self.description,
            "source": self.source,
            "status": self.status,
        }
        if self.run_id is not None:
            out["run_id"] = self.run_id
        if self.run_link is not None:
            out["run_link"] = self.run_link
        if self.tags:
            out["tags"] = _tag_list(self.tags)
        if self.aliases:
            out["aliases"] = list(self.aliases)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisteredModel:
    """A named model in the registry with its tags, aliases and latest version per stage."""

    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    #: alias -> version number
    aliases: Mapping[str, int] = field(default_factory=dict)
    #: The latest version in each stage that has one (MLflow semantics), ordered by stage.
    latest_versions: tuple[ModelVersion, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the MLflow REST JSON form."""
        out: dict[str, Any] = {
            "name": self.name,
            "creation_timestamp": self.creation_timestamp,
            "last_updated_timestamp": self.last_updated_timestamp,
            "description": self.description,
        }
        if self.latest_versions:
            out["latest_versions"] = [v.to_dict() for v in self.latest_versions]
        if self.tags:
            out["tags"] = _tag_list(self.tags)
        if self.aliases:
            out["aliases"] = [{"alias": a, "version": str(v)} for a, v in self.aliases.items()]
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelVersionEvent:
    """One entry of a model's history: a stage transition or an alias set, moved or deleted.

    ``kind`` is ``"stage"`` (``from_value``/``to_value`` are stage names), ``"alias_set"`` or
    ``"alias_deleted"`` (``from_value``/``to_value`` are the version numbers, as strings, the
    alias pointed at before and after; None where there was none). Alias events name the alias
    in ``alias``.
    """

    name: str
    version: int
    kind: str
    from_value: str | None
    to_value: str | None
    user_id: str
    timestamp: int
    comment: str | None = None
    #: URI of the executed validation notebook that justified the move, if any.
    evidence_uri: str | None = None
    #: Metrics the validation notebook logged.
    metrics: Mapping[str, float] = field(default_factory=dict)
    #: The alias an ``alias_set``/``alias_deleted`` event is about; None for stage events.
    alias: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "name": self.name,
            "version": str(self.version),
            "kind": self.kind,
            "from": self.from_value,
            "to": self.to_value,
            "user_id": self.user_id,
            "timestamp": self.timestamp,
            "comment": self.comment,
            "evidence_uri": self.evidence_uri,
            "metrics": dict(self.metrics),
            "alias": self.alias,
        }
