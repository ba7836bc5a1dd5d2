"""The `make demo` job: sweep the example notebook project, promote the best model, say what next.

Six trials of ``notebooks/train.ipynb`` (a grid over learning rate and tree depth) run with
papermill, two at a time, as child runs of one sweep run in the embedded default store
(``./mltrack/``). The best trial's model (by ROC AUC) is registered and moved to Production.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import jupyter_mltrack as mlt
from jupyter_mltrack.projects import sweep

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ROOT / "notebooks"
EXPERIMENT = "demo-sweep"
MODEL_NAME = "demo-breast-cancer"
GRID = {"learning_rate": [0.05, 0.1, 0.2], "max_depth": [2, 3]}
METRIC = "roc_auc"
COLUMNS = ["trial", "status", "learning_rate", "max_depth", "roc_auc", "accuracy", "run_id"]


def main() -> int:
    started = time.perf_counter()
    print(f"Sweeping {PROJECT.name}/train.ipynb: 6 trials, 2 at a time (papermill kernels)...")
    parent, table = sweep(
        PROJECT,
        "main",
        grid=GRID,
        max_parallel=2,
        metric=METRIC,
        experiment_name=EXPERIMENT,
    )
    elapsed = time.perf_counter() - started
    status = f"{parent.info.run_id} {parent.info.status}"
    print(f"\nSweep run {status} in {elapsed:.0f} s, best first:\n")
    print(table[[c for c in COLUMNS if c in table.columns]].to_string(index=False))
    best = parent.data.tags.get("best_run_id")
    if not best:
        print("\nNo trial finished; see the failed runs' notebook.html artifacts.", file=sys.stderr)
        return 1

    version = mlt.register_model(f"runs:/{best}/model", MODEL_NAME)
    mlt.RegistryClient().transition_model_version_stage(
        MODEL_NAME, version.version, "Production", archive_existing_versions=True
    )
    score = parent.data.metrics[f"best_{METRIC}"]
    print(
        f"\nRegistered the best model ({METRIC} {score:.4f}) as {MODEL_NAME} version "
        f"{version.version}, now in Production."
    )
    print(next_steps(best))
    return 0


def next_steps(best: str) -> str:
    """The commands to look at what the demo tracked (with install hints for missing parts)."""
    lines = [
        "\nWhat next (from the repository root):",
        f"  dashboard:   .venv/bin/mltrack dashboard --experiment {EXPERIMENT}",
        "  JupyterLab:  .venv/bin/jupyter lab  (Experiments sidebar: runs, compare, registry)",
        f"  the runs:    .venv/bin/mltrack runs list --experiment {EXPERIMENT}",
        f"  re-run best: .venv/bin/mltrack rerun {best}",
        f"  report:      .venv/bin/mltrack report models:/{MODEL_NAME}/Production"
        "  (add -o report.html for a file to e-mail)",
        f"  serve it:    .venv/bin/mltrack models serve -m models:/{MODEL_NAME}/Production",
        f"  store:       {mlt.get_tracking_uri()}",
    ]
    missing = [name for name in ("voila", "jupyterlab") if importlib.util.find_spec(name) is None]
    if missing:
        lines.append(
            f"  ({' and '.join(missing)} not installed: .venv/bin/pip install -e '.[dashboard]'"
            " jupyterlab)"
        )
    return "\n".join(lines)


if __name__ == "__main__":  # the sweep's spawn workers import this module; only run it once
    sys.exit(main())
