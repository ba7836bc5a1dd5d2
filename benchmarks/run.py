"""Benchmark jupyter_mltrack against MLflow, both on SQLite, and write the comparison table.

Usage (``make bench`` runs the first form)::

    python benchmarks/run.py                       # every workload, full sizes
    python benchmarks/run.py --quick               # small sizes, a smoke run (results-quick.*)
    python benchmarks/run.py --only search_runs    # one workload (repeatable); other rows kept
    python benchmarks/run.py --skip-mlflow         # reuse MLflow's last figures from results.json

Results go to ``benchmarks/results.md`` and ``benchmarks/results.json`` and are printed.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from environments import MLFLOW_VENV, REPO_ROOT, Tool, machine_info, mlflow_tool, mltrack_tool
from report import Figure, load_rows, make_row, row_id, write_results
from runner import ChildFailed, measure, warm_up
from specs import WORKLOADS, Workload, get_workload

BENCH_DIR = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    """Run the selected workloads for both tools, write the results and print the table."""
    args = _parse_args(argv)
    stem = BENCH_DIR / ("results-quick" if args.quick else "results")
    previous = load_rows(stem.with_suffix(".json"))
    selected = [get_workload(name) for name in args.only] if args.only else list(WORKLOADS)
    mltrack = None if args.skip_mltrack else mltrack_tool()
    mlflow = None if args.skip_mlflow else mlflow_tool()
    for tool, module in ((mltrack, "jupyter_mltrack"), (mlflow, "mlflow")):
        if tool is not None:
            warm_up(tool, module)
    fresh = _measure_all(selected, mltrack, mlflow, quick=args.quick)
    rows = _merge_rows(fresh, previous, quick=args.quick)
    meta = _meta(args, mlflow, _described_tools(mltrack, mlflow), previous)
    print(write_results(rows, meta, stem))
    return 1 if any("error" in figure for figure in fresh.values()) else 0


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        choices=[w.name for w in WORKLOADS],
        metavar="NAME",
        help="run only this workload (repeatable): %(choices)s",
    )
    parser.add_argument(
        "--skip-mlflow", action="store_true", help="reuse MLflow's figures from the last results"
    )
    parser.add_argument(
        "--skip-mltrack",
        action="store_true",
        help="reuse jupyter_mltrack's figures from the last results",
    )
    return parser.parse_args(argv)


def _measure_all(
    workloads: list[Workload], mltrack: Tool | None, mlflow: Tool | None, *, quick: bool
) -> dict[tuple[str, str], Figure]:
    """Measure each workload, one process at a time; key figures by (tool, row id)."""
    fresh: dict[tuple[str, str], Figure] = {}
    for n, workload in enumerate(workloads, 1):
        size = workload.quick_size if quick else workload.size
        print(f"[{n}/{len(workloads)}] {workload.describe(size)}", file=sys.stderr, flush=True)
        if mltrack is not None:
            fresh["jupyter_mltrack", workload.name] = _figure(mltrack, workload, size)
        if mlflow is None:
            continue
        for mode in workload.mlflow_modes:
            figure = _figure(mlflow, workload, size, env=mode.env)
            fresh["mlflow", row_id(workload, mode)] = {**figure, "version": mlflow.version}
    return fresh


def _figure(
    tool: Tool, workload: Workload, size: int, *, env: dict[str, str] | None = None
) -> Figure:
    """Measure; turn a failed child into an ``error`` figure instead of stopping the suite."""
    try:
        measurement = measure(tool, workload, size, env=env)
    except ChildFailed as exc:
        print(f"    FAILED: {exc}", file=sys.stderr, flush=True)
        return {"error": exc.reason}
    figure: Figure = asdict(measurement)
    figure["measured_at"] = _now()
    print(f"    -> {measurement.value:,.2f}", file=sys.stderr, flush=True)
    return figure


def _merge_rows(
    fresh: dict[tuple[str, str], Figure], previous: dict[str, dict[str, Any]], *, quick: bool
) -> list[dict[str, Any]]:
    """Build every row from fresh figures, falling back to the last results of the same size."""
    rows = []
    for workload in WORKLOADS:
        size = workload.quick_size if quick else workload.size
        for mode in workload.mlflow_modes or (None,):
            rid = row_id(workload, mode)
            old = previous.get(rid, {})
            mine = fresh.get(("jupyter_mltrack", workload.name)) or _same_size(
                old.get("jupyter_mltrack"), size
            )
            theirs = fresh.get(("mlflow", rid)) or _same_size(old.get("mlflow"), size)
            if mode is None:
                theirs = None
            if mine is not None or theirs is not None:
                rows.append(make_row(workload, mode, size, mine, theirs))
    return rows


def _same_size(figure: Figure | None, size: int) -> Figure | None:
    if figure is None or "error" in figure or figure.get("size") != size:
        return None
    return figure


def _described_tools(mltrack: Tool | None, mlflow: Tool | None) -> list[Tool]:
    """Return both tools for the machine description, even the one whose run was skipped."""
    if mlflow is None and MLFLOW_VENV.exists():
        mlflow = mlflow_tool(create=False)
    return [mltrack or mltrack_tool(), *([mlflow] if mlflow else [])]


def _meta(
    args: argparse.Namespace,
    mlflow: Tool | None,
    tools: list[Tool],
    previous: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    old_versions = {
        row["mlflow"]["version"]
        for row in previous.values()
        if row.get("mlflow") and "version" in row["mlflow"]
    }
    mlflow_version = mlflow.version if mlflow else ", ".join(sorted(old_versions)) or "?"
    return {
        "generated_at": _now(),
        "mode": "quick" if args.quick else "full",
        "command": " ".join(["benchmarks/run.py", *sys.argv[1:]]),
        "mlflow_version": mlflow_version,
        "jupyter_mltrack_version": _mltrack_version(),
        "machine": machine_info(tools),
    }


def _mltrack_version() -> str:
    text = (REPO_ROOT / "jupyter_mltrack" / "_version.py").read_text()
    match = re.search(r"""__version__\s*=\s*["']([^"']+)["']""", text)
    return match.group(1) if match else "?"


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S %Z")


if __name__ == "__main__":
    sys.exit(main())
