"""Build the search_runs DataFrame: one row per run, ``metrics.*``/``params.*``/``tags.*`` columns.

Columns are built as whole lists (never row by row through pandas), which keeps 10,000 runs
well under the search latency budget.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.entities import Run

if TYPE_CHECKING:
    import pandas as pd

BASE_COLUMNS = (
    "run_id",
    "experiment_id",
    "status",
    "artifact_uri",
    "start_time",
    "end_time",
    "run_name",
)
# A run's fixed attributes, in BASE_COLUMNS order.
InfoRow = tuple[str, str, str, str, int, int | None, str]


class ColumnBuilder:
    """Collects ``(run_id, key, value)`` cells into per-key lists aligned with the result rows.

    One dict lookup and one list store per cell; nothing is built per run.
    """

    def __init__(self, run_ids: Sequence[str], missing: Any = None) -> None:
        self.position = {run_id: i for i, run_id in enumerate(run_ids)}
        self.size = len(run_ids)
        self.missing = missing
        self.columns: dict[str, list[Any]] = {}

    def column(self, key: str) -> list[Any]:
        """Return the (possibly new) column of ``key``."""
        column = self.columns.get(key)
        if column is None:
            column = self.columns[key] = [self.missing] * self.size
        return column


def build_frame(
    infos: Sequence[InfoRow],
    metrics: Mapping[str, Sequence[float]],
    params: Mapping[str, Sequence[str | None]],
    tags: Mapping[str, Sequence[str | None]],
) -> pd.DataFrame:
    """Assemble the DataFrame from the fixed attributes and per-key aligned value columns."""
    base = {name: [row[i] for row in infos] for i, name in enumerate(BASE_COLUMNS)}
    return build_frame_from_columns(base, metrics, params, tags)


def build_frame_from_columns(
    base: Mapping[str, Sequence[Any]],
    metrics: Mapping[str, Sequence[float]],
    params: Mapping[str, Sequence[str | None]],
    tags: Mapping[str, Sequence[str | None]],
) -> pd.DataFrame:
    """Assemble the DataFrame from the :data:`BASE_COLUMNS` columns and per-key value columns."""
    import numpy as np
    import pandas as pd

    columns: dict[str, Any] = {name: base[name] for name in BASE_COLUMNS}
    for field in ("start_time", "end_time"):
        millis = np.array([math.nan if v is None else v for v in columns[field]], dtype="float64")
        columns[field] = pd.to_datetime(millis, unit="ms", utc=True)
    for key in sorted(metrics):
        columns[f"metrics.{key}"] = np.array(metrics[key], dtype="float64")
    for prefix, group in (("params", params), ("tags", tags)):
        for key in sorted(group):
            columns[f"{prefix}.{key}"] = group[key]
    return pd.DataFrame(columns, columns=list(columns))


def runs_to_frame(runs: Sequence[Run]) -> pd.DataFrame:
    """Build the DataFrame from Run entities (used by stores without a columnar path)."""
    run_ids = [run.info.run_id for run in runs]
    metrics = ColumnBuilder(run_ids, missing=math.nan)
    params, tags = ColumnBuilder(run_ids), ColumnBuilder(run_ids)
    infos: list[InfoRow] = []
    for index, run in enumerate(runs):
        info = run.info
        infos.append(
            (
                info.run_id,
                info.experiment_id,
                info.status.value,
                info.artifact_uri,
                info.start_time,
                info.end_time,
                info.run_name,
            )
        )
        for builder, values in (
            (metrics, run.data.metrics),
            (params, run.data.params),
            (tags, run.data.tags),
        ):
            for key, value in values.items():
                builder.column(key)[index] = value
    return build_frame(infos, metrics.columns, params.columns, tags.columns)
