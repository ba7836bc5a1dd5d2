"""Search for logged models: the filter language, compiled to one SQL SELECT per page.

Parsing reuses the run-search parser of ``store/search.py``; compiling reuses the exact string
semantics of ``search_sql.py`` and the tag conditions of ``registry_search.py``, so a filter
means the same on SQLite, PostgreSQL and MySQL/MariaDB:

- attributes ``name``, ``model_id``, ``source_run_id``, ``status`` and ``model_type`` (strings:
  ``= != LIKE ILIKE IN NOT IN``), ``creation_timestamp`` and ``last_updated_timestamp``
  (numbers; the ``_ms`` spellings work too);
- ``tags.<key>`` and ``params.<key>`` (strings, plus ``IS NULL``/``IS NOT NULL``); a model
  without the key never matches a comparison, not even ``!=``;
- ``metrics.<key>`` (numbers): a model matches if any of its points of the key does (NaN points
  never match), as in MLflow; with ``datasets`` the point must be on one of those datasets;
- ``datasets`` alone keeps the models with any point on one of the datasets;
- ``status`` values may be short (``'READY'``) or MLflow's (``'LOGGED_MODEL_READY'``);
- ``order_by`` takes the attributes and ``metrics.<key>``, ordered by the model's latest point
  of the key (by timestamp, then step), optionally on one dataset; models without one go last;
- default order: newest first; after explicit clauses ties break by creation time (newest
  first, as MLflow does) and then by ``model_id``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from jupyter_mltrack.entities import LoggedModelStatus
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.store.search import Comparison, OrderBy, Parser
from jupyter_mltrack.store.search_ast import Language
from jupyter_mltrack.store.sql.logged_model_schema import (
    logged_model_metrics,
    logged_model_params,
    logged_model_tags,
    logged_models,
)
from jupyter_mltrack.store.sql.registry_search import _ordering, _tag_condition
from jupyter_mltrack.store.sql.schema import KIND_NAN
from jupyter_mltrack.store.sql.search_terms import (
    direct,
    missing_last,
    number_condition,
    string_condition,
    text_eq,
)

__all__ = [
    "ModelOrder",
    "build_logged_model_search",
    "parse_dataset_filters",
    "parse_logged_model_filter",
    "parse_logged_model_order_by",
]

_Bool = ColumnElement[bool]
_TIMES = ("creation_timestamp", "last_updated_timestamp")
_STRINGS = ("name", "model_id", "source_run_id", "status", "model_type")
_LANGUAGE = Language(
    prefixes={
        **dict.fromkeys(("tags", "tag"), "tag"),
        **dict.fromkeys(("params", "param", "parameters", "parameter"), "param"),
        **dict.fromkeys(("metrics", "metric"), "metric"),
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
LMM = logged_model_metrics.c
_COLUMNS: Mapping[str, sa.Column[Any]] = {
    **{k: LM[k] for k in _STRINGS},
    **{k: LM[f"{k}_ms"] for k in _TIMES},
}
#: ``(dataset_name, dataset_digest or None)`` pairs of a ``datasets`` filter.
Datasets = tuple[tuple[str, str | None], ...]


@dataclass(frozen=True, slots=True)
class ModelOrder:
    """One parsed ``order_by`` entry; a metric order may be limited to one dataset."""

    order: OrderBy
    dataset_name: str | None = None
    dataset_digest: str | None = None


_NEWEST_FIRST = ModelOrder(OrderBy("attribute", "creation_timestamp", False))
_TIE_BREAK = (OrderBy("attribute", "model_id"),)


@functools.lru_cache(maxsize=256)
def parse_logged_model_filter(text: str | None) -> tuple[Comparison, ...]:
    """Parse a filter such as ``"name = 'model' AND tags.team = 'risk'"``.

    Raises:
        InvalidParameterError: The filter is malformed; the message gives the 1-based column.
    """
    return Parser(text or "", _LANGUAGE, "filter_string").conjunction()


def parse_logged_model_order_by(
    entries: Sequence[str | Mapping[str, Any]] | None,
) -> tuple[ModelOrder, ...]:
    """Parse ``order_by`` entries: clauses such as ``"metrics.acc DESC"`` or MLflow's messages
    ``{"field_name", "ascending", "dataset_name", "dataset_digest"}``."""
    parsed = []
    for i, entry in enumerate(entries or ()):
        where = f"order_by[{i}]"
        if isinstance(entry, str):
            parsed.append(ModelOrder(Parser(entry, _LANGUAGE, where).order_clause()))
            continue
        field = entry.get("field_name")
        if not isinstance(field, str) or not field.strip():
            raise InvalidParameterError(f"{where}: field_name must be a non-empty string")
        order = Parser(field, _LANGUAGE, where).order_clause()
        ascending = entry.get("ascending", True)
        name, digest = entry.get("dataset_name") or None, entry.get("dataset_digest") or None
        parsed.append(ModelOrder(OrderBy(order.entity, order.key, ascending is not False)))
        if name or digest:
            parsed[-1] = ModelOrder(parsed[-1].order, _text(name), _text(digest))
    for i, item in enumerate(parsed):
        if item.order.entity not in ("attribute", "metric"):
            valid = ", ".join(sorted(set(_LANGUAGE.attributes.values())))
            raise InvalidParameterError(
                f"order_by[{i}]: cannot order by {item.order.entity} {item.order.key!r}; "
                f"order logged models by metrics.<key> or one of: {valid}"
            )
    return tuple(parsed)


def _text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise InvalidParameterError(f"Dataset names and digests must be strings, got {value!r}")


def parse_dataset_filters(datasets: Sequence[Mapping[str, Any]] | None) -> Datasets:
    """Check a ``datasets`` filter: each entry needs ``dataset_name`` (MLflow's rule)."""
    parsed = []
    for i, entry in enumerate(datasets or ()):
        name = entry.get("dataset_name") if isinstance(entry, Mapping) else None
        if not isinstance(name, str) or not name:
            raise InvalidParameterError(
                f"`dataset_name` in the `datasets` clause must be specified (datasets[{i}] is "
                f"{entry!r:.100}); pass entries like {{'dataset_name': 'eval', "
                "'dataset_digest': '...'}",
                wire_message="`dataset_name` in the `datasets` clause must be specified.",
            )
        parsed.append((name, _text(entry.get("dataset_digest") or None)))
    return tuple(parsed)


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


def _on_datasets(datasets: Datasets) -> list[_Bool]:
    """``(name = a AND digest = b) OR ...`` over metric rows; no condition without datasets."""
    if not datasets:
        return []
    each = [
        sa.and_(text_eq(LMM.dataset_name, name), *([text_eq(LMM.dataset_digest, d)] if d else []))
        for name, d in datasets
    ]
    return [sa.or_(*each)]


def _metric_condition(comparison: Comparison, datasets: Datasets) -> _Bool:
    assert isinstance(comparison.value, (int, float))  # the parser demands a number
    return sa.exists().where(
        LMM.model_id == LM.model_id,
        text_eq(LMM.key, comparison.key),
        LMM.kind != KIND_NAN,
        number_condition(LMM.value, comparison.op, comparison.value),
        *_on_datasets(datasets),
    )


def _condition(comparison: Comparison, datasets: Datasets) -> _Bool:
    if comparison.entity == "metric":
        return _metric_condition(comparison, datasets)
    if comparison.entity == "tag":
        T = logged_model_tags.c
        return _tag_condition(logged_model_tags, [T.model_id == LM.model_id], comparison)
    if comparison.entity == "param":
        P = logged_model_params.c
        return _tag_condition(logged_model_params, [P.model_id == LM.model_id], comparison)
    return _attribute_condition(comparison)


def _latest_point(index: int, item: ModelOrder) -> sa.Subquery:
    """Each model's latest point of a key (by timestamp, then step), optionally on a dataset."""
    on_dataset = [text_eq(LMM.dataset_name, item.dataset_name)] if item.dataset_name else []
    if item.dataset_digest:
        on_dataset.append(text_eq(LMM.dataset_digest, item.dataset_digest))
    newest = (LMM.timestamp_ms.desc(), LMM.step.desc(), LMM.id.desc())
    # row_number, not MLflow's rank(): two points tied in time must not list a model twice.
    rank = sa.func.row_number().over(partition_by=LMM.model_id, order_by=newest)
    ranked = (
        sa.select(LMM.model_id, LMM.value, LMM.kind, rank.label("rank"))
        .where(text_eq(LMM.key, item.order.key), *on_dataset)
        .subquery(f"ranked_{index}")
    )
    latest = sa.select(ranked.c.model_id, ranked.c.value, ranked.c.kind)
    return latest.where(ranked.c.rank == 1).subquery(f"latest_{index}")


def _with_order(query: sa.Select[Any], order_by: tuple[ModelOrder, ...]) -> sa.Select[Any]:
    terms: list[ColumnElement[Any]] = []
    for index, item in enumerate(order_by or (_NEWEST_FIRST,)):
        if item.order.entity == "attribute":
            terms.extend(_ordering(_COLUMNS, (item.order,)))
            continue
        latest = _latest_point(index, item)
        query = query.outerjoin(latest, latest.c.model_id == LM.model_id)
        ascending = item.order.ascending
        terms += [missing_last(latest.c.value), direct(latest.c.value, ascending)]
        terms.append(direct(latest.c.kind, ascending))  # NaN (stored as the maximum) above +inf
    if not any(i.order.key == "creation_timestamp" for i in order_by if i.order.entity != "metric"):
        terms.extend(_ordering(_COLUMNS, (_NEWEST_FIRST.order,)))
    return query.order_by(*terms, *_ordering(_COLUMNS, _TIE_BREAK))


@functools.lru_cache(maxsize=256)
def build_logged_model_search(
    experiment_ids: tuple[int, ...],
    filters: tuple[Comparison, ...],
    order_by: tuple[ModelOrder, ...],
    *,
    datasets: Datasets = (),
    offset: int,
    limit: int,
) -> sa.Select[Any]:
    """Return one SELECT of whole ``logged_models`` rows for a parsed search."""
    where = [LM.experiment_id.in_(experiment_ids), *(_condition(c, datasets) for c in filters)]
    if datasets and not any(c.entity == "metric" for c in filters):
        where.append(sa.exists().where(LMM.model_id == LM.model_id, *_on_datasets(datasets)))
    query = _with_order(sa.select(logged_models).where(*where), order_by)
    return query.offset(offset or None).limit(limit)
