"""The search language's vocabulary: AST nodes, comparator sets and per-search languages.

:mod:`jupyter_mltrack.store.search` parses text into the :class:`Comparison` and
:class:`OrderBy` nodes defined here; the SQL compilers (``store/sql/*search*.py``) consume them.
A :class:`Language` says which entity prefixes and attributes one kind of search accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

__all__ = [
    "EXPERIMENT_LANGUAGE",
    "NULL_OPS",
    "NUMERIC_OPS",
    "RUN_LANGUAGE",
    "STRING_OPS",
    "Comparison",
    "Entity",
    "Language",
    "OrderBy",
    "Value",
]

Entity: TypeAlias = Literal["metric", "param", "tag", "attribute"]
Value: TypeAlias = int | float | str | tuple[str, ...] | None

NUMERIC_OPS = ("=", "!=", "<", "<=", ">", ">=")
STRING_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")
NULL_OPS = ("IS NULL", "IS NOT NULL")


@dataclass(frozen=True, slots=True)
class Comparison:
    """One condition: ``entity.key op value`` (value is None for IS [NOT] NULL)."""

    entity: Entity
    key: str
    op: str
    value: Value


@dataclass(frozen=True, slots=True)
class OrderBy:
    """One ``order_by`` clause."""

    entity: Entity
    key: str
    ascending: bool = True


@dataclass(frozen=True, slots=True, eq=False)  # hashed by identity: an lru_cache argument
class Language:
    """What one search (runs, experiments, registry, logged models) accepts."""

    prefixes: Mapping[str, Entity]
    attributes: Mapping[str, str]  # accepted spelling -> canonical name
    numeric: frozenset[str]  # canonical names of numeric attributes
    aliases: Mapping[tuple[Entity, str], tuple[Entity, str]]


RUN_LANGUAGE = Language(
    prefixes={
        **dict.fromkeys(("metrics", "metric"), "metric"),
        **dict.fromkeys(("params", "param", "parameters", "parameter"), "param"),
        **dict.fromkeys(("tags", "tag"), "tag"),
        **dict.fromkeys(("attributes", "attribute", "attr", "run"), "attribute"),
    },
    attributes={
        **{k: k for k in ("run_id", "run_name", "status", "user_id", "start_time", "end_time")},
        **{k: k for k in ("artifact_uri", "experiment_id", "lifecycle_stage")},
        **dict.fromkeys(("run_uuid",), "run_id"),
        **dict.fromkeys(("created", "Created"), "start_time"),
        **dict.fromkeys(("run name", "Run name", "Run Name"), "run_name"),
    },
    numeric=frozenset({"start_time", "end_time"}),
    aliases={("tag", "mlflow.runName"): ("attribute", "run_name")},
)
EXPERIMENT_LANGUAGE = Language(
    prefixes={
        **dict.fromkeys(("tags", "tag"), "tag"),
        **dict.fromkeys(("attributes", "attribute", "attr"), "attribute"),
    },
    attributes={k: k for k in ("name", "experiment_id", "creation_time", "last_update_time")},
    numeric=frozenset({"creation_time", "last_update_time"}),
    aliases={},
)
