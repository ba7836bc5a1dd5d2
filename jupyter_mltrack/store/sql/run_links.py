"""Run inputs and outputs of the SqlStore: the datasets and logged models a run consumed or made.

``log_inputs``/``log_outputs`` write; :func:`load_run_links` is the read path used by
``get_run`` and ``search_runs`` (one indexed query per link table and page of runs).
Logging the same link twice is a no-op, as in MLflow: the first dataset input of a
``(name, digest)`` keeps its tags.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from jupyter_mltrack._validation import validate_key, validate_tag_value
from jupyter_mltrack.entities import (
    DatasetInput,
    ModelInput,
    ModelOutput,
    RunInputs,
    RunOutputs,
)
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.store.sql import raw
from jupyter_mltrack.store.sql._base import SqlBase
from jupyter_mltrack.store.sql.logged_model_schema import (
    DIGEST_LENGTH,
    NAME_LENGTH,
    SOURCE_TYPE_LENGTH,
    logged_models,
    run_dataset_inputs,
    run_model_inputs,
    run_model_outputs,
)
from jupyter_mltrack.store.sql.logged_models import logged_model_not_found

__all__ = ["RunLinksMixin", "load_run_links"]

_CHUNK = 5000  # run ids per IN (...) list, far below every backend's parameter limit
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def insert_ignoring_duplicates(
    conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert rows, skipping those whose primary key already exists (portable upsert-nothing)."""
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement: sa.Executable = pg_insert(table).on_conflict_do_nothing()
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(table).on_conflict_do_nothing()
    else:
        statement = sa.insert(table).prefix_with("IGNORE")
    conn.execute(statement, list(rows))


def _check_text(what: str, value: object, limit: int, *, empty_ok: bool = False) -> str:
    if not isinstance(value, str) or (not value and not empty_ok) or len(value) > limit:
        raise InvalidParameterError(
            f"Dataset {what} must be a {'' if empty_ok else 'non-empty '}string of at most "
            f"{limit} characters, got {value!r:.80}"
        )
    return value


def _dataset_row(run_id: str, dataset: DatasetInput) -> dict[str, Any]:
    tags = {validate_key("Input tag", k): validate_tag_value(k, v) for k, v in dataset.tags.items()}
    return {
        "run_uuid": run_id,
        "name": _check_text("name", dataset.name, NAME_LENGTH),
        "digest": _check_text("digest", dataset.digest, DIGEST_LENGTH),
        "source_type": _check_text("source_type", dataset.source_type, SOURCE_TYPE_LENGTH),
        "source": _check_text("source", dataset.source, 2**31, empty_ok=True),
        "dataset_schema": dataset.schema or None,
        "profile": dataset.profile or None,
        "tags": json.dumps(tags) if tags else None,
    }


def _check_step(model_id: str, step: object) -> int:
    if type(step) is not int or not INT64_MIN <= step <= INT64_MAX:
        raise InvalidParameterError(
            f"Step of model output {model_id!r} must be a 64-bit integer, got {step!r}"
        )
    return step


class RunLinksMixin(SqlBase):
    """``log_inputs`` and ``log_outputs`` of the logged-model store."""

    def log_outputs(self, run_id: str, models: Sequence[tuple[str, int]]) -> None:
        rows = [
            {"run_uuid": run_id, "model_id": model_id, "step": _check_step(model_id, step)}
            for model_id, step in models
        ]
        with self._write() as conn:
            self._check_run_writable(conn, run_id)
            _check_models_exist(conn, [model_id for model_id, _ in models])
            insert_ignoring_duplicates(conn, run_model_outputs, rows)

    def log_inputs(
        self, run_id: str, datasets: Sequence[DatasetInput], models: Sequence[str] = ()
    ) -> None:
        dataset_rows = [_dataset_row(run_id, d) for d in datasets]
        model_ids = list(dict.fromkeys(models))
        model_rows = [{"run_uuid": run_id, "model_id": m} for m in model_ids]
        with self._write() as conn:
            self._check_run_writable(conn, run_id)
            _check_models_exist(conn, model_ids)
            insert_ignoring_duplicates(conn, run_dataset_inputs, dataset_rows)
            insert_ignoring_duplicates(conn, run_model_inputs, model_rows)


def _check_models_exist(conn: sa.Connection, model_ids: Sequence[str]) -> None:
    wanted = set(model_ids)
    if not wanted:
        return
    LM = logged_models.c
    found = set(conn.execute(sa.select(LM.model_id).where(LM.model_id.in_(wanted))).scalars())
    missing = sorted(wanted - found)
    if missing:
        raise logged_model_not_found(missing[0])


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


# One round trip for all three link tables (get_run runs this on every call, so it goes through
# raw.py). Columns: kind (0 output, 1 model input, 2 dataset input), run, model id or dataset
# name, step, then the dataset's digest, source type, source, schema, profile and tags.
_SELECT_LINKS = (
    "SELECT 0, run_uuid, model_id, step, NULL, NULL, NULL, NULL, NULL, NULL "
    "FROM run_model_outputs WHERE run_uuid IN ({marks}) "
    "UNION ALL SELECT 1, run_uuid, model_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL "
    "FROM run_model_inputs WHERE run_uuid IN ({marks}) "
    "UNION ALL SELECT 2, run_uuid, {{name}}, NULL, digest, source_type, {{source}}, "
    "dataset_schema, {{profile}}, {{tags}} FROM run_dataset_inputs WHERE run_uuid IN ({marks})"
)


def load_run_links(
    conn: sa.Connection, run_ids: Sequence[str]
) -> dict[str, tuple[RunInputs, RunOutputs]]:
    """Return the inputs and outputs of each run that has any (absent runs have none).

    Inputs come sorted by ``(name, digest)``, model inputs by id, outputs by ``(step, id)``:
    the same order on every backend.
    """
    datasets: dict[str, list[DatasetInput]] = {}
    inputs: dict[str, list[ModelInput]] = {}
    outputs: dict[str, list[ModelOutput]] = {}
    for chunk in _chunks(list(run_ids)):
        query = _SELECT_LINKS.format(marks=raw.marks(len(chunk)))
        for kind, run_id, ident, step, *dataset in raw.fetchall(conn, query, [*chunk] * 3):
            if kind == 0:
                outputs.setdefault(run_id, []).append(ModelOutput(model_id=ident, step=step))
            elif kind == 1:
                inputs.setdefault(run_id, []).append(ModelInput(model_id=ident))
            else:
                datasets.setdefault(run_id, []).append(_dataset(ident, *dataset))
    out: dict[str, tuple[RunInputs, RunOutputs]] = {}
    for run_id in {*datasets, *inputs, *outputs}:
        run_inputs = RunInputs(
            dataset_inputs=tuple(sorted(datasets.get(run_id, ()), key=_dataset_key)),
            model_inputs=tuple(sorted(inputs.get(run_id, ()), key=lambda m: m.model_id)),
        )
        run_outputs = RunOutputs(
            model_outputs=tuple(sorted(outputs.get(run_id, ()), key=lambda m: (m.step, m.model_id)))
        )
        out[run_id] = (run_inputs, run_outputs)
    return out


def _dataset_key(dataset: DatasetInput) -> tuple[str, str]:
    return dataset.name, dataset.digest


def _dataset(
    name: str,
    digest: str,
    source_type: str,
    source: str,
    schema: str | None,
    profile: str | None,
    tags: str | None,
) -> DatasetInput:
    return DatasetInput(
        name=name,
        digest=digest,
        source_type=source_type,
        source=source,
        schema=schema or "",
        profile=profile or "",
        tags=json.loads(tags) if tags else {},
    )
