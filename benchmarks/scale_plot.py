"""Draw the scale benchmarks' growth curves and print their table (issue 19).

Reads the ``scale_*`` rows of ``results.json`` (each holds its figure at every store size in
``extra.by_runs``) and writes ``scale_growth.png`` here; prints the growth table as markdown.
Times are drawn twice: wall time (solid) and this process's CPU time (dashed; on SQLite the
whole work, on PostgreSQL only the client's share), because on a shared machine the wall time
also counts waiting for a core::

    python benchmarks/scale_plot.py                  # from results.json
    python benchmarks/scale_plot.py results-quick.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
#: (row name without backend suffix, panel title, target at 10^6 runs or None)
FIGURES = (
    ("scale_page", "first page of 100 (filter + order), ms", 150.0),
    ("scale_count", "count_runs (metric filter), ms", 100.0),
    ("scale_runs_table", "RunsTable slowest operation, ms", 300.0),
    ("scale_disk_run", "disk per run, bytes", None),
)
BACKENDS = (("", "SQLite"), ("_pg", "PostgreSQL"))


def growth(rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, dict[int, float]]]:
    """Return ``{figure: {backend label: {runs: value}}}`` from the rows' ``by_runs`` details."""
    out: dict[str, dict[str, dict[int, float]]] = {}
    for name, _, _ in FIGURES:
        for suffix, label in BACKENDS:
            figure = (rows.get(name + suffix) or {}).get("jupyter_mltrack") or {}
            by_runs = (figure.get("extra") or {}).get("by_runs") or {}
            if by_runs:
                curve = {int(runs): float(v["value"]) for runs, v in by_runs.items()}
                out.setdefault(name, {})[label] = curve
                cpu = {int(runs): _cpu(v) for runs, v in by_runs.items()}
                if all(v is not None for v in cpu.values()):
                    out[name][f"{label} CPU"] = {n: float(v or 0) for n, v in cpu.items()}
    return out


def _cpu(figures: dict[str, Any]) -> float | None:
    """The CPU time of this process for the figure (the slowest operation for RunsTable)."""
    cpus = [float(v) for k, v in figures.items() if k.startswith("cpu_") and k != "cpu_ms"]
    if "cpu_ms" in figures:
        return float(figures["cpu_ms"])
    return max(cpus) if cpus else None


def markdown(curves: dict[str, dict[str, dict[int, float]]]) -> str:
    """Return the growth table: one row per figure and backend, one column per store size."""
    sizes = sorted({runs for f in curves.values() for c in f.values() for runs in c})
    header = "| figure | backend | " + " | ".join(f"{n:,} runs" for n in sizes) + " | target |"
    lines = [header, "|---|---|" + "---:|" * (len(sizes) + 1)]
    for name, title, target in FIGURES:
        for label, curve in curves.get(name, {}).items():
            cells = [f"{curve[n]:,.1f}" if n in curve else "—" for n in sizes]
            goal = f"<= {target:g}" if target is not None else "—"
            lines.append(f"| {title} | {label} | " + " | ".join(cells) + f" | {goal} |")
    return "\n".join(lines)


def plot(curves: dict[str, dict[str, dict[int, float]]], path: Path) -> None:
    """Draw one log-log panel per figure, a line per backend, the target dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(FIGURES), figsize=(4.2 * len(FIGURES), 3.6))
    for ax, (name, title, target) in zip(axes, FIGURES, strict=True):
        for label, curve in curves.get(name, {}).items():
            sizes = sorted(curve)
            style = "--" if label.endswith("CPU") else "-"
            ax.plot(sizes, [curve[n] for n in sizes], style, marker="o", label=label)
        if target is not None:
            ax.axhline(target, color="grey", linestyle="--", linewidth=1, label="target at 10^6")
        ax.set_xscale("log")
        if target is None:  # sizes: linear from 0, so a flat line looks flat
            ax.set_ylim(bottom=0, top=ax.get_ylim()[1] * 1.2)
        else:
            ax.set_yscale("log")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("runs in the store")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("jupyter_mltrack: cost as the store grows (benchmarks/scale_plot.py)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str]) -> int:
    """Plot the growth curves of a results file; print the markdown table."""
    source = BENCH_DIR / (argv[0] if argv else "results.json")
    rows = {row["id"]: row for row in json.loads(source.read_text()).get("rows", [])}
    curves = growth(rows)
    if not curves:
        print(f"no scale_* rows with details in {source}", file=sys.stderr)
        return 1
    plot(curves, BENCH_DIR / "scale_growth.png")
    print(markdown(curves))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
