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


def build_frame(
    infos: Sequence[InfoRow],
    metrics: Mapping[str, Mapping[str, float]],
    params: Mapping[str, Mapping[str, str]],
    tags: Mapping[str, Mapping[str, str]],
) -> pd.DataFrame:
    """Assemble the DataFrame from per-key ``{run_id: value}`` maps."""
    import numpy as np
    import pandas as pd

    run_ids = [row[0] for row in infos]
    columns: dict[str, Any] = {
        name: [row[i] for row in infos] for i, name in enumerate(BASE_COLUMNS)
    }
    for field in ("start_time", "end_time"):
        millis = np.array([math.nan if v is None else v for v in columns[field]], dtype="float64")
        columns[field] = pd.to_datetime(millis, unit="ms", utc=True)
    nan = math.nan
    for key in sorted(metrics):
        values = metrics[key]
        columns[f"metrics.{key}"] = np.array([values.get(r, nan) for r in run_ids], "float64")
    for prefix, group in (("params", params), ("tags", tags)):
        for key in sorted(group):
            texts = group[key]
            columns[f"{prefix}.{key}"] = [texts.get(r) for r in run_ids]
    return pd.DataFrame(columns, columns=list(columns))


def runs_to_frame(runs: Sequence[Run]) -> pd.DataFrame:
    """Build the DataFrame from Run entities (used by stores without a columnar path)."""
    infos: list[InfoRow] = []
    metrics: dict[str, dict[str, Any]] = {}
    params: dict[str, dict[str, Any]] = {}
    tags: dict[str, dict[str, Any]] = {}
    for run in runs:
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
        groups: tuple[tuple[dict[str, dict[str, Any]], Mapping[str, Any]], ...] = (
            (metrics, run.data.metrics),
            (params, run.data.params),
            (tags, run.data.tags),
        )
        for target, values in groups:
            for key, value in values.items():
                target.setdefault(key, {})[info.run_id] = value
    return build_frame(infos, metrics, params, tags)
