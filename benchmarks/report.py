"""Turn measurements into result rows, and rows into ``results.json`` and ``results.md``.

A row pairs jupyter_mltrack's figure for a workload with MLflow's figure in one mode; the ratio
is always "how many times faster (or leaner) jupyter_mltrack is", so above 1 is better.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from specs import MlflowMode, Workload

Figure = dict[str, Any]  # {"value", "samples", "size", "extra", "measured_at"} or {"error"}

#: Counts both children report about the data they stored or read back; they must agree.
COUNT_KEYS = ("rows", "points", "stored", "stored_m0", "prediction_counts", "response")
#: Secondary figures of a row, listed under the table as "label: value unit".
DETAIL_KEYS = (
    ("p50_ms", "p50", "ms"),
    ("p99_ms", "p99", "ms"),
    ("predict_ms", "in-process predict", "ms"),
    ("load_ms", "load", "ms"),
    ("requests_per_s", "throughput", "req/s"),
    ("overhead_ms", "overhead", "ms"),
    ("fetch_ms", "store fetch", "ms"),
    ("render_ms", "render", "ms"),
    ("rerender_ms", "re-render on an option change", "ms"),
    ("sent_mb", "figure JSON", "MB"),
    ("first_render_ms", "first render", "ms"),
    ("page_ms", "next page", "ms"),
    ("sort_ms", "sort", "ms"),
    ("filter_ms", "filter", "ms"),
    ("first_call_ms", "first call", "ms"),
    ("wandb_points_per_s", "W&B 0.31 offline", "points/s"),
    ("wandb_files_mb", "W&B run files", "MB"),
    ("points_per_cpu_s", "per CPU-second of the process", "points/s"),
    ("cpu_ms_per_run", "CPU per run", "ms"),
)


def row_id(workload: Workload, mode: MlflowMode | None) -> str:
    """Return the stable key of a row: the workload name, plus ``/mode`` where MLflow has modes."""
    return f"{workload.name}/{mode.label}" if mode and mode.label else workload.name


def make_row(
    workload: Workload,
    mode: MlflowMode | None,
    size: int,
    mltrack: Figure | None,
    mlflow: Figure | None,
) -> dict[str, Any]:
    """Build one result row, with ratio and target verdict where both figures exist."""
    title = workload.describe(size)
    if mode and mode.label:
        title += f" [MLflow {mode.label}]"
    mine, theirs = _value(mltrack), _value(mlflow)
    ratio = None
    if mine is not None and theirs is not None and mine > 0 and theirs > 0:
        ratio = mine / theirs if workload.higher_is_better else theirs / mine
    return {
        "id": row_id(workload, mode),
        "workload": workload.name,
        "mlflow_mode": mode.label if mode else None,
        "title": title,
        "unit": workload.unit,
        "higher_is_better": workload.higher_is_better,
        "target": workload.target,
        "jupyter_mltrack": mltrack,
        "mlflow": mlflow,
        "mlflow_issue_figure": mode.issue_figure if mode else None,
        "ratio": ratio,
        "mlflow_ratio_target": workload.mlflow_ratio_target,
        "absolute_too": workload.absolute_too,
        "meets_target": workload.meets(mine, ratio) if mine is not None else None,
        "count_mismatches": count_mismatches(mltrack, mlflow),
    }


def count_mismatches(mltrack: Figure | None, mlflow: Figure | None) -> list[str]:
    """Return the data counts (rows found, points stored) on which the two tools disagree."""
    if _value(mltrack) is None or _value(mlflow) is None:
        return []
    mine, theirs = (mltrack or {}).get("extra", {}), (mlflow or {}).get("extra", {})
    return [
        f"{key}: jupyter_mltrack {mine[key]} vs MLflow {theirs[key]}"
        for key in COUNT_KEYS
        if key in mine and key in theirs and mine[key] != theirs[key]
    ]


def load_rows(path: Path) -> dict[str, dict[str, Any]]:
    """Return the rows of a previous ``results.json`` by id (empty if there is none)."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    return {row["id"]: row for row in data.get("rows", [])}


def write_results(rows: list[dict[str, Any]], meta: dict[str, Any], stem: Path) -> str:
    """Write ``<stem>.json`` and ``<stem>.md``; return the markdown."""
    stem.with_suffix(".json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    markdown = to_markdown(rows, meta)
    stem.with_suffix(".md").write_text(markdown)
    return markdown


def to_markdown(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    """Render the results table with a header describing versions and the machine."""
    machine = meta["machine"]
    lines = [
        "# jupyter_mltrack vs MLflow — tracking and model benchmarks",
        "",
        f"- generated: {meta['generated_at']} ({meta['mode']} sizes)",
        f"- MLflow {meta['mlflow_version']}, jupyter_mltrack {meta['jupyter_mltrack_version']},"
        " both on SQLite, each workload in a fresh process with a new store",
        f"- machine: {machine.get('cpu_count')} CPUs ({machine.get('processor')}), "
        f"{machine.get('memory_gb')} GiB RAM, {machine.get('platform')}",
        f"- Python: jupyter_mltrack {machine.get('jupyter_mltrack_python')}, "
        f"MLflow {machine.get('mlflow_python')}; SQLAlchemy: jupyter_mltrack "
        f"{machine.get('jupyter_mltrack_sqlalchemy')}, MLflow {machine.get('mlflow_sqlalchemy')}",
        "- ratio: how many times faster (or leaner) jupyter_mltrack is than MLflow",
        "",
        f"| workload | MLflow ({meta['mlflow_version']}) | jupyter_mltrack | target | ratio "
        "| meets target |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    lines += [_markdown_row(row) for row in rows]
    details = [line for row in rows if (line := _details(row))]
    if details:
        lines += ["", "Details (median of the in-process calls where several ran):", ""]
        lines += details
    mismatches = [(row["title"], m) for row in rows for m in row.get("count_mismatches", [])]
    if mismatches:
        lines += ["", "**The tools stored or returned different data** (a correctness bug):", ""]
        lines += [f"- {title}: {mismatch}" for title, mismatch in mismatches]
    return "\n".join(lines) + "\n"


def _markdown_row(row: dict[str, Any]) -> str:
    unit = row["unit"]
    comparator = ">=" if row["higher_is_better"] else "<="
    ratio = "—" if row["ratio"] is None else f"{row['ratio']:.1f}x"
    meets = {True: "yes", False: "**no**", None: "—"}[row["meets_target"]]
    cells = [
        row["title"],
        _cell(row["mlflow"], unit),
        _cell(row["jupyter_mltrack"], unit),
        _target_cell(row, comparator, unit),
        ratio,
        meets,
    ]
    return "| " + " | ".join(cells) + " |"


def _target_cell(row: dict[str, Any], comparator: str, unit: str) -> str:
    relative = row.get("mlflow_ratio_target")
    if relative is not None and row["ratio"] is not None:
        if row.get("absolute_too"):
            return f"ratio >= {relative:g}x and {comparator} {format_number(row['target'])} {unit}"
        return f"ratio >= {relative:g}x"
    return f"{comparator} {format_number(row['target'])} {unit}"


def _details(row: dict[str, Any]) -> str:
    """Return a bullet with a row's secondary figures for both tools ("" if it has none)."""
    parts = []
    for tool, label in (("mlflow", "MLflow"), ("jupyter_mltrack", "jupyter_mltrack")):
        figure = row.get(tool)
        if _value(figure) is None:
            continue
        extra = (figure or {}).get("extra", {})
        found = [
            f"{name} {format_number(extra[key])} {unit}"
            for key, name, unit in DETAIL_KEYS
            if isinstance(extra.get(key), int | float)
        ]
        if found:
            parts.append(f"{label}: {', '.join(found)}")
    return f"- {row['title']}: {'; '.join(parts)}" if parts else ""


def _cell(figure: Figure | None, unit: str) -> str:
    if figure is None:
        return "—"
    if "error" in figure:
        return "error"
    return f"{format_number(figure['value'])} {unit}"


def format_number(value: float) -> str:
    """Format with three significant digits at most below 100 and thousands separators above."""
    if math.isnan(value):
        return "nan"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _value(figure: Figure | None) -> float | None:
    if figure is None or "error" in figure:
        return None
    value = figure.get("value")
    return None if value is None or math.isnan(value) else float(value)
