"""DatasetInput: a dataset a run consumed, in MLflow's shape (name, digest, source, schema...)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DatasetInput"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DatasetInput:
    """A dataset logged as a run input; ``tags`` carry e.g. ``mlflow.data.context``.

    ``source``, ``schema`` and ``profile`` are JSON texts as MLflow writes them; a run holds one
    input per ``(name, digest)``.
    """

    name: str
    digest: str
    source_type: str
    source: str
    schema: str = ""
    profile: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the MLflow REST form ``{"tags": [...], "dataset": {...}}``."""
        dataset: dict[str, Any] = {
            "name": self.name,
            "digest": self.digest,
            "source_type": self.source_type,
            "source": self.source,
        }
        if self.schema:
            dataset["schema"] = self.schema
        if self.profile:
            dataset["profile"] = self.profile
        out: dict[str, Any] = {}
        if self.tags:
            out["tags"] = [{"key": k, "value": v} for k, v in self.tags.items()]
        out["dataset"] = dataset
        return out

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> DatasetInput:
        """Build a DatasetInput from :meth:`to_dict`'s (MLflow's) form."""
        dataset = payload.get("dataset") or {}
        return cls(
            name=str(dataset.get("name", "")),
            digest=str(dataset.get("digest", "")),
            source_type=str(dataset.get("source_type", "")),
            source=str(dataset.get("source", "")),
            schema=str(dataset.get("schema") or ""),
            profile=str(dataset.get("profile") or ""),
            tags={str(t["key"]): str(t.get("value", "")) for t in payload.get("tags") or ()},
        )
