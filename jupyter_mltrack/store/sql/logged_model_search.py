"""Search for logged models: the filter language, compiled to one SQL SELECT per page.

Parsing reuses the run-search parser of ``store/search.py``; compiling reuses the exact string
semantics of ``search_sql.py`` and the tag conditions of ``registry_search.py``, so a filter
means the same on SQLite, PostgreSQL and MySQL/MariaDB:

- attributes ``name``, ``model_id``, ``source_run_id``, ``status`` and ``model_type`` (strings:
  ``= != LIKE ILIKE IN NOT IN``), ``creation_timestamp`` and ``last_updated_timestamp``
  (numbers; the ``_ms`` spellings work too);
- ``tags.<key>`` and ``params.<key>`` (strings, plus ``IS NULL``/``IS NOT NULL``); a model
  without the key never matches a comparison, not even ``!=``;
- ``status`` values may be short (``'READY'``) or MLflow's (``'LOGGED_MODEL_READY'``);
- default order: newest first; ties break by ``model_id``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from jupyter_mltrack.entities import LoggedModelStatus
from jupyter_mltrack.store.search import Comparison, OrderBy, Parser
from jupyter_mltrack.store.search_ast import Language
from jupyter_mltrack.store.sql.logged_model_schema import (
    logged_model_params,
    logged_model_tags,
    logged_models,
)
from jupyter_mltrack.store.sql.registry_search import _ordering, _parse_order_by, _tag_condition
from jupyter_mltrack.store.sql.search_terms import number_condition, string_condition

__all__ = ["build_logged_model_search", "parse_logged_model_filter", "parse_logged_model_order_by"]

_Bool = ColumnElement[bool]
_TIMES = ("creation_timestamp", "last_updated_timestamp")
_STRINGS = ("name", "model_id", "source_run_id", "status", "model_type")
_LANGUAGE = Language(
    prefixes={
        **dict.fromkeys(("tags", "tag"), "tag"),
        **dict.fromkeys(("params", "param", "parameters", "parameter"), "param"),
        **dict.fromkeys(("attributes", "attribute", "attr"), "attribute"),
    },
    attributes={
        **{k: k for k in (*_STRINGS, *_TIMES)},
        **{f"{k}_ms": k for k in _TIMES},
        "creation_time": "creation_timestamp",
        "last_updated_time": "last_updated_timestamp",
    },
    numeric=frozenset(_TIMES),
    aliases={},
)

LM = logged_models.c
_COLUMNS: Mapping[str, sa.Column[Any]] = {
    **{k: LM[k] for k in _STRINGS},
    **{k: LM[f"{k}_ms"] for k in _TIMES},
}
_DEFAULT_ORDER = (OrderBy("attribute", "creation_timestamp", False),)
_TIE_BREAK = (OrderBy("attribute", "model_id"),)


@functools.lru_cache(maxsize=256)
def parse_logged_model_filter(text: str | None) -> tuple[Comparison, ...]:
    """Parse a filter such as ``"name = 'model' AND tags.team = 'risk'"``.

    Raises:
        InvalidParameterError: The filter is malformed; the message gives the 1-based column.
    """
    return Parser(text or "", _LANGUAGE, "filter_string").conjunction()


def parse_logged_model_order_by(clauses: Sequence[str] | None) -> tuple[OrderBy, ...]:
    """Parse ``order_by`` clauses (attributes only), e.g. ``["creation_timestamp DESC"]``."""
    return _parse_order_by(tuple(clauses or ()), _LANGUAGE)


def _status_values(comparison: Comparison) -> Any:
    """Canonicalise status names (``'ready'`` -> ``LOGGED_MODEL_READY``) in ``=``/``IN``."""
    value = comparison.value
    if comparison.op in ("=", "!="):
        return LoggedModelStatus.parse(value).value
    if comparison.op in ("IN", "NOT IN") and isinstance(value, tuple):
        return tuple(LoggedModelStatus.parse(v).value for v in value)
    return value


def _attribute_condition(comparison: Comparison) -> _Bool:
    column = _COLUMNS[comparison.key]
    if comparison.key in _TIMES:
        assert isinstance(comparison.value, (int, float))  # the parser demands a number
        return number_condition(column, comparison.op, comparison.value)
    value = _status_values(comparison) if comparison.key == "status" else comparison.value
    return string_condition(column, comparison.op, value)


def _condition(comparison: Comparison) -> _Bool:
    if comparison.entity == "tag":
        T = logged_model_tags.c
        return _tag_condition(logged_model_tags, [T.model_id == LM.model_id], comparison)
    if comparison.entity == "param":
        P = logged_model_params.c
        return _tag_condition(logged_model_params, [P.model_id == LM.model_id], comparison)
    return _attribute_condition(comparison)


@functools.lru_cache(maxsize=256)
def build_logged_model_search(
    experiment_ids: tuple[int, ...],
    filters: tuple[Comparison, ...],
    order_by: tuple[OrderBy, ...],
    *,
    offset: int,
    limit: int,
) -> sa.Select[Any]:
    """Return one SELECT of whole ``logged_models`` rows for a parsed search."""
    where = [LM.experiment_id.in_(experiment_ids), *(_condition(c) for c in filters)]
    ordering = _ordering(_COLUMNS, (*(order_by or _DEFAULT_ORDER), *_TIE_BREAK))
    query = sa.select(logged_models).where(*where).order_by(*ordering)
    return query.offset(offset or None).limit(limit)
