"""Re-run a past run and check that it reproduces: :func:`rerun` and :func:`compare_metrics`.

A PROJECT run is re-executed from its ``notebook.ipynb`` artifact (the code that produced it)
through :func:`jupyter_mltrack.projects.runner.run`, with the run's parameters (overrides allowed).
A ``%%track`` run is re-executed in a fresh kernel: its recorded ``slice.py`` (the cells it
depended on) and ``cell.py`` are wrapped into a temporary notebook. Either way the new run carries
the tag ``mltrack.rerunOf`` and a ``reproducibility.json`` artifact with each metric's value in
both runs and the difference; the tag ``mltrack.rerun.maxAbsDelta`` summarises it.
"""

from __future__ import annotations

import ast
import logging
import math
import shlex
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_mltrack.entities import Run
from jupyter_mltrack.errors import InvalidParameterError, ProjectExecutionError
from jupyter_mltrack.tracking.client import TrackingClient

__all__ = [
    "MAX_DELTA_TAG",
    "REPORT_FILE",
    "RERUN_OF_TAG",
    "MetricDelta",
    "compare_metrics",
    "rerun",
]

logger = logging.getLogger(__name__)

RERUN_OF_TAG = "mltrack.rerunOf"
MAX_DELTA_TAG = "mltrack.rerun.maxAbsDelta"
REPORT_FILE = "reproducibility.json"
NOTEBOOK_ARTIFACT = "notebook.ipynb"
_ENTRY = "notebook"


@dataclass(frozen=True, slots=True)
class MetricDelta:
    """One metric's latest value in the original run and in the re-run, and their difference."""

    key: str
    original: float | None
    rerun: float | None

    @property
    def delta(self) -> float | None:
        """``rerun - original``, or None when the metric is missing from either run."""
        if self.original is None or self.rerun is None:
            return None
        return self.rerun - self.original


def compare_metrics(original: Run, new: Run) -> list[MetricDelta]:
    """Return each metric of either run with its value in both, sorted by key.

    Example:
        >>> [d.delta for d in compare_metrics(first, second)]  # doctest: +SKIP
        [0.0, 0.0]
    """
    before, after = original.data.metrics, new.data.metrics
    keys = sorted(set(before) | set(after))
    return [MetricDelta(key, before.get(key), after.get(key)) for key in keys]


def rerun(
    run_id: str,
    parameters: Mapping[str, Any] | None = None,
    *,
    tracking_uri: str | None = None,
    timeout: float | None = None,
) -> Run:
    """Re-execute the notebook (or ``%%track`` cell) behind ``run_id`` as a new run.

    Args:
        run_id: A PROJECT run (it has a ``notebook.ipynb`` artifact) or a ``%%track`` run (it
            has ``cell.py``).
        parameters: Overrides of the original run's parameters.
        tracking_uri: The store of the run; default the current tracking URI.
        timeout: Seconds each cell may run.

    Returns:
        The new run, tagged ``mltrack.rerunOf``; :func:`compare_metrics` compares it with the
        original, and its ``reproducibility.json`` artifact holds that comparison.

    Raises:
        InvalidParameterError: The run has neither a stored notebook nor a recorded cell.
        ProjectExecutionError: A cell of the re-run failed (the new run is FAILED).

    Example:
        >>> new = rerun("0f3c...", {"n_estimators": 80})  # doctest: +SKIP
        >>> new.data.tags["mltrack.rerunOf"]  # doctest: +SKIP
        '0f3c...'
    """
    client = TrackingClient(tracking_uri)
    original = client.get_run(run_id)
    artifacts = {info.path for info in client.list_artifacts(run_id)}
    with tempfile.TemporaryDirectory(prefix="mltrack-rerun-") as tmp:
        if NOTEBOOK_ARTIFACT in artifacts:
            new_id = _rerun_project(client, original, parameters or {}, Path(tmp), timeout)
        elif "cell.py" in artifacts:
            new_id = _rerun_cell(client, original, parameters or {}, Path(tmp), timeout)
        else:
            raise InvalidParameterError(
                f"Run {run_id!r} has no {NOTEBOOK_ARTIFACT} or cell.py artifact to re-run; "
                "only project runs and %%track runs can be re-run"
            )
    new = client.get_run(new_id)
    _log_report(client, new_id, compare_metrics(original, new))
    return client.get_run(new_id)


def _rerun_project(
    client: TrackingClient,
    original: Run,
    overrides: Mapping[str, Any],
    folder: Path,
    timeout: float | None,
) -> str:
    from jupyter_mltrack.projects import runner
    from jupyter_mltrack.projects.spec import load_project

    run_id = original.info.run_id
    client.download_artifacts(run_id, NOTEBOOK_ARTIFACT, folder)
    (folder / NOTEBOOK_ARTIFACT).rename(folder / f"{_ENTRY}.ipynb")
    declared = load_project(folder).entry_point(_ENTRY).parameters
    _check_overrides(overrides, declared)
    params = {k: v for k, v in original.data.params.items() if k in declared}
    experiment = client.get_experiment(original.info.experiment_id).name
    new = runner.run(
        str(folder),
        entry_point=_ENTRY,
        parameters={**params, **overrides},
        experiment_name=experiment,
        run_name=f"{original.info.run_name or run_id[:8]}-rerun",
        timeout=timeout,
        tags={RERUN_OF_TAG: run_id},
    )
    return new.info.run_id


def _check_overrides(overrides: Mapping[str, Any], declared: Mapping[str, Any]) -> None:
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        known = ", ".join(sorted(declared)) or "none"
        raise InvalidParameterError(
            f"Unknown parameter(s) {', '.join(unknown)} for this notebook; declared: {known}"
        )


def _rerun_cell(
    client: TrackingClient,
    original: Run,
    overrides: Mapping[str, Any],
    folder: Path,
    timeout: float | None,
) -> str:
    run_id = original.info.run_id
    sources: dict[str, str] = {}
    for name in ("slice.py", "cell.py"):
        try:
            sources[name] = Path(client.download_artifacts(run_id, name, folder)).read_text()
        except Exception:  # a cell with no dependencies may have no slice
            sources[name] = ""
    experiment = client.get_experiment(original.info.experiment_id).name
    header = f"%%track --experiment {shlex.quote(experiment)} --tag {RERUN_OF_TAG}={run_id}"
    if original.info.run_name:
        header += f" --name {shlex.quote(original.info.run_name + '-rerun')}"
    cells = [
        "%load_ext jupyter_mltrack",
        sources["slice.py"],
        "\n".join(f"{key} = {_literal(value)!r}" for key, value in overrides.items()),
        header + "\n" + sources["cell.py"],
    ]
    _execute_cells(client, [c for c in cells if c.strip()], folder, timeout)
    found = client.search_runs(
        original.info.experiment_id,
        f"tags.`{RERUN_OF_TAG}` = '{run_id}'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    if not found:
        raise InvalidParameterError(f"The re-run of %%track run {run_id!r} left no run")
    return found[0].info.run_id


def _execute_cells(
    client: TrackingClient, cells: list[str], folder: Path, timeout: float | None
) -> None:
    """Run ``cells`` as a notebook in a fresh kernel that logs to ``client``'s store."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from jupyter_mltrack.registry.promotion import (
        KERNEL_NAME,
        _import_papermill,
        _kernel_manager_class,
    )
    from jupyter_mltrack.tracking.fluent import ENV_ASYNC_LOGGING, ENV_RUN_ID
    from jupyter_mltrack.tracking.uri import ENV_TRACKING_URI

    papermill = _import_papermill()
    path = folder / "rerun.ipynb"
    nb = new_notebook(cells=[new_code_cell(s) for s in cells])  # type: ignore[no-untyped-call]
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python 3"}
    nbformat.write(nb, path)  # type: ignore[no-untyped-call]
    # An empty MLTRACK_RUN_ID: the re-run is not nested in a run of the calling process.
    env = {ENV_TRACKING_URI: client.tracking_uri, ENV_ASYNC_LOGGING: "false", ENV_RUN_ID: ""}
    try:
        papermill.execute_notebook(
            str(path),
            str(path),
            kernel_name=KERNEL_NAME,
            language="python",
            progress_bar=False,
            execution_timeout=timeout,
            kernel_manager_class=_kernel_manager_class(env, str(folder)),
        )
    except Exception as exc:  # a failing cell or a dead kernel
        ename = getattr(exc, "ename", type(exc).__name__)
        evalue = str(getattr(exc, "evalue", exc))
        raise ProjectExecutionError(
            f"The re-run of the recorded cell failed ({ename}: {evalue.strip()[:300]})",
            cell_index=getattr(exc, "cell_index", None),
            ename=ename,
            evalue=evalue,
        ) from exc


def _literal(value: Any) -> Any:
    """Parse command-line strings as Python literals (``3`` -> 3); keep other text as is."""
    if not isinstance(value, str):
        return value
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value


def _log_report(client: TrackingClient, run_id: str, deltas: list[MetricDelta]) -> None:
    rows = [
        {"key": d.key, "original": d.original, "rerun": d.rerun, "delta": d.delta} for d in deltas
    ]
    client.log_dict(run_id, {"metrics": rows}, REPORT_FILE)
    known = [abs(d.delta) for d in deltas if d.delta is not None and not math.isnan(d.delta)]
    client.set_tag(run_id, MAX_DELTA_TAG, repr(max(known)) if known else "nan")
