"""Re-run a past run and check that it reproduces: :func:`rerun` and :func:`compare_metrics`.

A PROJECT run is re-executed through :func:`jupyter_mltrack.projects.runner.run` with the run's
parameters (overrides allowed): from the project folder at the recorded path when it is still
there (its working folder and data files, tagged ``mltrack.rerun.notebookChanged`` when the code
is no longer what ran), else from its ``notebook.ipynb`` artifact. A recorded ``path`` parameter
that no longer exists stops the re-run before it starts, naming the ``-P`` override to give.
A ``%%track`` run is re-executed in a fresh kernel: its recorded ``slice.py`` (the cells it
depended on) and ``cell.py`` are wrapped into a temporary notebook. Either way the new run carries
the tag ``mltrack.rerunOf`` and a ``reproducibility.json`` artifact with each metric's value in
both runs and the difference; the tag ``mltrack.rerun.maxAbsDelta`` summarises it.
"""

from __future__ import annotations

import ast
import json
import logging
import math
import os
import shlex
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_mltrack.entities import Run
from jupyter_mltrack.errors import InvalidParameterError, ProjectExecutionError
from jupyter_mltrack.projects.render import NOTEBOOK_ARTIFACT
from jupyter_mltrack.tracking import tags as t
from jupyter_mltrack.tracking.client import TrackingClient

__all__ = [
    "CHANGED_TAG",
    "MAX_DELTA_TAG",
    "REPORT_FILE",
    "RERUN_OF_TAG",
    "SOURCE_TAG",
    "MetricDelta",
    "compare_metrics",
    "rerun",
]

logger = logging.getLogger(__name__)

RERUN_OF_TAG = t.RERUN_OF
#: Where a re-run's code came from: the project folder at the recorded path, or the stored copy.
SOURCE_TAG = "mltrack.rerun.source"
SOURCE_PROJECT = "project folder"
SOURCE_NOTEBOOK = "stored notebook"
#: Set when the project folder's notebook no longer has the code the original run executed.
CHANGED_TAG = "mltrack.rerun.notebookChanged"
MAX_DELTA_TAG = "mltrack.rerun.maxAbsDelta"
REPORT_FILE = "reproducibility.json"
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
        timeout: Seconds the re-run's notebook may run in all.

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
    """Re-run from the recorded project folder when it still exists, else the stored notebook.

    The project folder is the run's own context (its data files, the kernel's working folder,
    ``mltrack.yaml``'s types); the stored ``notebook.ipynb`` is the fallback when the folder or
    its entry point is gone, with the recorded parameter types restored beside it.
    """
    import jupyter_mltrack.projects.runner as runner

    run_id = original.info.run_id
    client.download_artifacts(run_id, NOTEBOOK_ARTIFACT, folder)
    stored = folder / NOTEBOOK_ARTIFACT
    project = _project_entry(original)
    if project is not None:
        uri, entry_point, declared = project
        source = SOURCE_PROJECT
    else:
        uri, entry_point = str(folder), _ENTRY
        declared = _restore_stored_project(original, stored, folder)
        source = SOURCE_NOTEBOOK
        # Relative paths given now mean the caller's folder, not the temporary one.
        overrides = {
            k: os.path.abspath(v) if declared.get(k) == "path" and isinstance(v, str) else v
            for k, v in overrides.items()
        }
    _check_overrides(overrides, declared)
    params = {k: v for k, v in original.data.params.items() if k in declared}
    _check_paths(run_id, {k: v for k, v in params.items() if k not in overrides}, declared)
    tags = {RERUN_OF_TAG: run_id, SOURCE_TAG: source}
    if source == SOURCE_PROJECT and _code_changed(stored, Path(uri), entry_point):
        logger.warning(
            "The notebook of run %s changed since it ran; re-running the new one", run_id
        )
        tags[CHANGED_TAG] = "true"
    experiment = client.get_experiment(original.info.experiment_id).name
    new = runner.run(
        uri,
        entry_point=entry_point,
        parameters={**params, **overrides},
        experiment_name=experiment,
        run_name=f"{original.info.run_name or run_id[:8]}-rerun",
        timeout=timeout,
        tags=tags,
    )
    return new.info.run_id


def _project_entry(original: Run) -> tuple[str, str, dict[str, str]] | None:
    """Return (root, entry point, parameter types) of the recorded project, if still there."""
    from jupyter_mltrack.projects.runner import TAG_ENTRY_POINT, TAG_PROJECT_ROOT
    from jupyter_mltrack.projects.spec import load_project

    root = original.data.tags.get(TAG_PROJECT_ROOT, "")
    entry_name = original.data.tags.get(TAG_ENTRY_POINT, "")
    if not root or not entry_name or not os.path.isdir(root):
        return None
    try:
        entry = load_project(root).entry_point(entry_name)
    except InvalidParameterError as exc:  # its mltrack.yaml or entry point changed
        logger.warning("Re-running the stored notebook: project %s unusable (%s)", root, exc)
        return None
    return root, entry_name, {name: p.type for name, p in entry.parameters.items()}


def _restore_stored_project(original: Run, notebook: Path, folder: Path) -> dict[str, str]:
    """Make ``folder`` a one-notebook project whose parameters have the recorded types."""
    import yaml

    from jupyter_mltrack.projects.runner import TAG_PARAMETER_TYPES
    from jupyter_mltrack.projects.spec import PROJECT_FILE, notebook_parameters

    notebook.rename(folder / f"{_ENTRY}.ipynb")
    cell = notebook_parameters(folder / f"{_ENTRY}.ipynb")
    try:
        recorded = json.loads(original.data.tags.get(TAG_PARAMETER_TYPES, "{}"))
    except ValueError:
        recorded = {}
    types = {name: str(recorded.get(name) or spec.type) for name, spec in cell.items()}
    entry = {
        "notebook": f"{_ENTRY}.ipynb",
        # A path default would be checked against this folder; every value is passed anyway.
        "parameters": {
            name: {"type": kind, "default": None if kind == "path" else cell[name].default}
            for name, kind in types.items()
        },
    }
    document = {"name": "rerun", "entry_points": {_ENTRY: entry}}
    (folder / PROJECT_FILE).write_text(yaml.safe_dump(document), encoding="utf-8")
    return types


def _check_paths(run_id: str, params: Mapping[str, str], declared: Mapping[str, str]) -> None:
    """Fail before any run starts when a recorded ``path`` parameter no longer exists."""
    for name, value in params.items():
        if declared.get(name) == "path" and value and not os.path.exists(value):
            raise InvalidParameterError(
                f"Cannot re-run {run_id}: its parameter {name!r} was the path {value!r}, which "
                f"no longer exists; give a new value with -P {name}=PATH "
                f"(rerun(run_id, {{{name!r}: path}}))"
            )


def _code_changed(stored: Path, root: Path, entry_point: str) -> bool:
    """Whether the project notebook's code differs from the code the original run executed."""
    from jupyter_mltrack.projects.spec import load_project

    try:
        current = Path(load_project(root).entry_point(entry_point).notebook)
        return _code_cells(stored) != _code_cells(current)
    except Exception:  # an unreadable notebook fails in the run itself, with a clear error
        return False


def _code_cells(path: Path) -> list[str]:
    import nbformat

    nb = nbformat.read(str(path), as_version=4)  # type: ignore[no-untyped-call]
    return [
        str(cell.source).strip()
        for cell in nb.cells
        if cell.cell_type == "code"
        and not {"parameters", "injected-parameters"}
        & set(cell.get("metadata", {}).get("tags", []))
    ]


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
    # The original notebook's folder, when it is still there: relative paths in the cells work.
    source = os.path.dirname(original.data.tags.get(t.SOURCE_NAME, ""))
    cwd = source if source and os.path.isdir(source) else str(folder)
    _execute_cells(client, [c for c in cells if c.strip()], folder, cwd, timeout)
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
    client: TrackingClient, cells: list[str], folder: Path, cwd: str, timeout: float | None
) -> None:
    """Run ``cells`` as a notebook (in ``folder``) in a fresh kernel working in ``cwd``."""
    import time

    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from jupyter_mltrack.projects.kernels import KernelPool
    from jupyter_mltrack.tracking.notebook_exec import (
        KERNEL_NAME,
        execute_notebook,
        import_papermill,
        kernel_env,
    )

    import_papermill(feature="re-running cells")  # before the notebook is written
    path = folder / "rerun.ipynb"
    nb = new_notebook(cells=[new_code_cell(s) for s in cells])  # type: ignore[no-untyped-call]
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python 3"}
    nbformat.write(nb, path)  # type: ignore[no-untyped-call]
    # An empty MLTRACK_RUN_ID: the re-run is not nested in a run of the calling process.
    env = kernel_env(client.tracking_uri, "")
    end = None if timeout is None else time.monotonic() + timeout
    pool = KernelPool()
    try:
        km = pool.take(KERNEL_NAME, cwd, env)
        # The timeout bounds the whole notebook: each cell gets what is left of it.
        execute_notebook(path, path, kernel_name=KERNEL_NAME, km=km, deadline=end)
    except KeyboardInterrupt:
        pool.kill_all()
        raise
    except Exception as exc:  # a failing cell or a dead kernel
        ename = getattr(exc, "ename", type(exc).__name__)
        evalue = str(getattr(exc, "evalue", exc))
        raise ProjectExecutionError(
            f"The re-run of the recorded cell failed ({ename}: {evalue.strip()[:300]})",
            cell_index=getattr(exc, "cell_index", None),
            ename=ename,
            evalue=evalue,
        ) from exc
    finally:
        pool.close()


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
