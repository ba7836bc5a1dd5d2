"""Search for the registry: the filter languages of models and versions, compiled to SQL.

Parsing reuses the run-search parser of ``store/search.py`` with the registry's attributes;
compiling reuses the exact string semantics of ``search_sql.py`` (case-sensitive ``=``/``LIKE``
everywhere, ``ILIKE`` folds case, code-point ordering), so a filter means the same thing on
SQLite, PostgreSQL and MySQL/MariaDB.

- models: ``name`` and ``tags.<key>`` (strings), ``creation_timestamp`` and
  ``last_updated_timestamp`` (numbers); default order ``name ASC``.
- versions: ``name``, ``run_id``, ``source``, ``current_stage``, ``user_id``, ``status``,
  ``tags.<key>`` (strings), ``version``, ``creation_timestamp``, ``last_updated_timestamp``
  (numbers); default order, as MLflow's, ``last_updated_timestamp DESC, name ASC, version
  DESC`` (``name ASC, version DESC`` break ties of any order). Stage values are matched
  case-insensitively and an unknown stage is an error that lists the valid ones.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from jupyter_mltrack.entities import ModelStage
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.store.search import Comparison, OrderBy, Parser
from jupyter_mltrack.store.search_ast import Language
from jupyter_mltrack.store.sql.registry_schema import (
    model_version_tags,
    model_versions,
    registered_model_tags,
    registered_models,
)
from jupyter_mltrack.store.sql.search_terms import (
    direct,
    missing_last,
    number_condition,
    sortable,
    string_condition,
    text_eq,
)

__all__ = [
    "build_model_search",
    "build_version_search",
    "parse_model_filter",
    "parse_model_order_by",
    "parse_version_filter",
    "parse_version_order_by",
]

_Bool = ColumnElement[bool]
#: MLflow marks prompts (stored as registered models) with this tag set to "true".
PROMPT_TAG = "mlflow.prompt.is_prompt"
_PREFIXES: Mapping[str, Any] = {
    **dict.fromkeys(("tags", "tag"), "tag"),
    **dict.fromkeys(("attributes", "attribute", "attr"), "attribute"),
}
_TIMES = ("creation_timestamp", "last_updated_timestamp")
_MODEL_LANGUAGE = Language(
    prefixes=_PREFIXES,
    attributes={k: k for k in ("name", *_TIMES)},
    numeric=frozenset(_TIMES),
    aliases={},
)
_VERSION_LANGUAGE = Language(
    prefixes=_PREFIXES,
    attributes={
        **{k: k for k in ("name", "version", "run_id", "source", "current_stage", "user_id")},
        **{k: k for k in ("status", *_TIMES)},
        "version_number": "version",
        "source_path": "source",
    },
    numeric=frozenset({"version", *_TIMES}),
    aliases={},
)

RM = registered_models.c
MV = model_versions.c
_MODEL_COLUMNS: Mapping[str, sa.Column[Any]] = {k: RM[k] for k in ("name", *_TIMES)}
_VERSION_COLUMNS: Mapping[str, sa.Column[Any]] = {
    "name": RM.name,
    **{k: MV[k] for k in ("version", "run_id", "source", "current_stage", "user_id", "status")},
    **{k: MV[k] for k in _TIMES},
}


@functools.lru_cache(maxsize=256)
def parse_model_filter(text: str | None) -> tuple[Comparison, ...]:
    """Parse a registered-model filter such as ``"name LIKE 'fraud%' AND tags.team = 'risk'"``."""
    return Parser(text or "", _MODEL_LANGUAGE, "filter_string").conjunction()


@functools.lru_cache(maxsize=256)
def parse_version_filter(text: str | None) -> tuple[Comparison, ...]:
    """Parse a version filter such as ``"name = 'fraud' AND current_stage = 'Production'"``."""
    return Parser(text or "", _VERSION_LANGUAGE, "filter_string").conjunction()


def parse_model_order_by(clauses: Sequence[str] | None) -> tuple[OrderBy, ...]:
    """Parse ``order_by`` clauses of a model search (attributes only)."""
    return _parse_order_by(tuple(clauses or ()), _MODEL_LANGUAGE)


def parse_version_order_by(clauses: Sequence[str] | None) -> tuple[OrderBy, ...]:
    """Parse ``order_by`` clauses of a version search (attributes only)."""
    return _parse_order_by(tuple(clauses or ()), _VERSION_LANGUAGE)


@functools.lru_cache(maxsize=256)
def _parse_order_by(clauses: tuple[str, ...], language: Language) -> tuple[OrderBy, ...]:
    parsed = tuple(
        Parser(clause, language, f"order_by[{i}]").order_clause()
        for i, clause in enumerate(clauses)
    )
    for i, order in enumerate(parsed):
        if order.entity != "attribute":
            valid = ", ".join(sorted(set(language.attributes.values())))
            raise InvalidParameterError(
                f"order_by[{i}]: cannot order by {order.entity} {order.key!r}; "
                f"order by one of: {valid}"
            )
    return parsed


def _stage_values(comparison: Comparison) -> Any:
    """Canonicalise stage names in ``=``/``IN`` comparisons (``'production'`` -> Production)."""
    value = comparison.value
    if comparison.op in ("=", "!="):
        return ModelStage.parse(value).value
    if comparison.op in ("IN", "NOT IN") and isinstance(value, tuple):
        return tuple(ModelStage.parse(v).value for v in value)
    return value


def _attribute_condition(columns: Mapping[str, sa.Column[Any]], comparison: Comparison) -> _Bool:
    column = columns[comparison.key]
    if isinstance(column.type, sa.Integer):  # BigInteger is an Integer too
        if not isinstance(comparison.value, (int, float)):
            raise InvalidParameterError(f"{comparison.key!r} needs a number")
        return number_condition(column, comparison.op, comparison.value)
    value = _stage_values(comparison) if comparison.key == "current_stage" else comparison.value
    return string_condition(column, comparison.op, value)


def _tag_condition(tags: sa.Table, owned: Sequence[_Bool], comparison: Comparison) -> _Bool:
    """``EXISTS`` a tag with the key (and matching value) on the outer row.

    One exception, for MLflow clients: ``tags.`mlflow.prompt.is_prompt` != 'x'`` also matches
    rows without that tag. MLflow's client adds ``!= 'true'`` to every model search to hide
    prompts, and MLflow's server answers it with every model that is not a prompt.
    """
    where = [*owned, text_eq(tags.c.key, comparison.key)]
    if comparison.op == "IS NULL":
        return ~sa.exists().where(*where)
    if comparison.op == "!=" and comparison.key == PROMPT_TAG:
        where.append(text_eq(tags.c.value, str(comparison.value)))
        return ~sa.exists().where(*where)
    if comparison.op != "IS NOT NULL":
        where.append(string_condition(tags.c.value, comparison.op, comparison.value))
    return sa.exists().where(*where)


def _ordering(
    columns: Mapping[str, sa.Column[Any]], clauses: Sequence[OrderBy]
) -> list[ColumnElement[Any]]:
    terms: list[ColumnElement[Any]] = []
    for order in clauses:
        column = columns[order.key]
        key = column if isinstance(column.type, sa.Integer) else sortable(column)
        if column.nullable:
            terms.append(missing_last(column))
        terms.append(direct(key, order.ascending))
    return terms


@functools.lru_cache(maxsize=256)
def build_model_search(
    filters: tuple[Comparison, ...], order_by: tuple[OrderBy, ...], *, offset: int, limit: int
) -> sa.Select[Any]:
    """Return one SELECT of whole ``registered_models`` rows for a parsed model search."""
    T = registered_model_tags.c
    where = [
        _tag_condition(registered_model_tags, [T.model_id == RM.model_id], c)
        if c.entity == "tag"
        else _attribute_condition(_MODEL_COLUMNS, c)
        for c in filters
    ]
    tie_break = (OrderBy("attribute", "name"),)
    ordering = _ordering(_MODEL_COLUMNS, (*order_by, *tie_break))
    query = sa.select(registered_models).where(*where).order_by(*ordering)
    return query.offset(offset or None).limit(limit)


@functools.lru_cache(maxsize=256)
def build_version_search(
    filters: tuple[Comparison, ...], order_by: tuple[OrderBy, ...], *, offset: int, limit: int
) -> sa.Select[Any]:
    """Return one SELECT of ``(model name, model_versions row)`` for a parsed version search."""
    T = model_version_tags.c
    owned = [T.model_id == MV.model_id, T.version == MV.version]
    where = [
        _tag_condition(model_version_tags, owned, c)
        if c.entity == "tag"
        else _attribute_condition(_VERSION_COLUMNS, c)
        for c in filters
    ]
    # MLflow's order: newest change first unless told otherwise, then name, then version.
    lead = order_by or (OrderBy("attribute", "last_updated_timestamp", False),)
    tie_break = (OrderBy("attribute", "name"), OrderBy("attribute", "version", False))
    ordering = _ordering(_VERSION_COLUMNS, (*lead, *tie_break))
    source = model_versions.join(registered_models, RM.model_id == MV.model_id)
    query = sa.select(RM.name, model_versions).select_from(source).where(*where)
    return query.order_by(*ordering).offset(offset or None).limit(limit)
