"""The lifecycle of a tracked cell: start a run, execute the body, record, end, summarise.

A cell that logs nothing costs a few store round trips: the run is created with all its tags,
params are one write, the source and slice files go straight to the artifact folder, the run
ends with one write and the summary reads the run back once. Nothing here starts a thread per
cell (one heartbeat thread serves the kernel; the live plot starts its own only at the first
metric) and nothing grows with the number of earlier cells beyond one pass over the history.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib
import logging
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.errors import MltrackError
from jupyter_mltrack.notebook.cell_record import (
    ERROR,
    NON_LINEAR,
    CellRecord,
    record_failure,
    show_from_user_code,
)
from jupyter_mltrack.notebook.kernel_heartbeat import beating
from jupyter_mltrack.tracking.active import isolated_run_stack
from jupyter_mltrack.tracking.fluent import active_run, start_run
from jupyter_mltrack.tracking.fluent_experiments import create_experiment, get_experiment_by_name
from jupyter_mltrack.tracking.fluent_logging import log_params
from jupyter_mltrack.tracking.heartbeat import KERNEL_ID
from jupyter_mltrack.tracking.liveness import kernel_tags
from jupyter_mltrack.tracking.tags import RERUN_OF
from jupyter_mltrack.tracking.uri import get_tracking_uri

if TYPE_CHECKING:
    from jupyter_mltrack.notebook.magics import TrackOptions
    from jupyter_mltrack.tracking.active import ActiveRun

__all__ = ["CELL_ID", "ERROR", "EXECUTION_COUNT", "NON_LINEAR", "RERUN_OF", "CellTracker"]

logger = logging.getLogger(__name__)

CELL_ID = "mltrack.notebook.cellId"
EXECUTION_COUNT = "mltrack.notebook.executionCount"


def optional(module: str, name: str) -> Any:
    """Return ``module.name`` of an optional notebook feature, or None when it is not there."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        logger.debug("Optional feature %s.%s unavailable", module, name)
        return None


class CellTracker:
    """Runs ``%%track`` cells for one IPython shell and remembers each cell's last run."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self._last_runs: dict[str, str] = {}
        self._experiments: dict[tuple[str, str], str] = {}
        #: The experiment of the last tracked cell (``%mltrack runs`` looks there).
        self.last_experiment_id: str | None = None
        self._kernel_id: str | None = None
        self._kernel_id_read = False

    # -- identity ---------------------------------------------------------------------------------
    def _cell_id(self) -> str | None:
        kernel = getattr(self.shell, "kernel", None)
        parent: Any = None
        with contextlib.suppress(Exception):
            parent = kernel.get_parent() if kernel is not None else None
        parent = parent or getattr(self.shell, "parent_header", None) or {}
        cell_id = (parent.get("metadata") or {}).get("cellId")
        return str(cell_id) if cell_id else None

    def _tags(
        self, options: TrackOptions, previous: str | None, cell_id: str | None
    ) -> dict[str, str]:
        tags = kernel_tags()
        tags[EXECUTION_COUNT] = str(self._execution_count())
        if not self._kernel_id_read:  # the connection file does not change while the kernel lives
            from jupyter_mltrack.notebook.context import kernel_id

            self._kernel_id, self._kernel_id_read = kernel_id(), True
        if self._kernel_id:
            tags[KERNEL_ID] = self._kernel_id  # how the Lab extension finds a kernel's runs
        if cell_id:
            tags[CELL_ID] = cell_id
        if previous:
            tags[RERUN_OF] = previous
        tags.update(options.tags)
        return tags

    def _execution_count(self) -> int:
        # IPython counts the running cell before executing it (when it is stored in history).
        return max(1, int(self.shell.execution_count) - 1)

    @staticmethod
    def _cell_key(cell: str, cell_id: str | None) -> str:
        return f"id:{cell_id}" if cell_id else "src:" + hashlib.sha1(cell.encode()).hexdigest()

    def _experiment_id(self, name: str) -> str:
        """The id of experiment ``name`` (created if missing), remembered per store."""
        key = (get_tracking_uri(), name)
        if key not in self._experiments:
            experiment = get_experiment_by_name(name)
            self._experiments[key] = (
                experiment.experiment_id if experiment is not None else create_experiment(name)
            )
        return self._experiments[key]

    def _start(
        self, options: TrackOptions, experiment_id: str | None, tags: dict[str, str]
    ) -> ActiveRun:
        try:
            return start_run(
                nested=True,
                experiment_id=experiment_id,
                run_name=options.name,
                tags=tags,
                log_system_metrics=options.system_metrics,
            )
        except MltrackError:
            if experiment_id is None or options.experiment is None:
                raise
            # The remembered experiment was deleted (or the store changed): look it up again.
            self._experiments.pop((get_tracking_uri(), options.experiment), None)
            experiment_id = self._experiment_id(options.experiment)
            return start_run(
                nested=True,
                experiment_id=experiment_id,
                run_name=options.name,
                tags=tags,
                log_system_metrics=options.system_metrics,
            )

    # -- the run ----------------------------------------------------------------------------------
    def run(self, options: TrackOptions, cell: str) -> Any:
        """Execute ``cell`` inside a new run; its last expression is displayed as ``Out[n]``."""
        __tracebackhide__ = True
        code = self.shell.transform_cell(cell)
        cell_id = self._cell_id()
        key = self._cell_key(cell, cell_id)
        previous = self._last_runs.get(key)
        history = list(getattr(self.shell.history_manager, "input_hist_raw", []))[:-1]
        record = CellRecord.build(
            cell, code, history, capture_params=options.capture_params, extra=options.params
        )
        tags = {**self._tags(options, previous, cell_id), **record.tags()}
        experiment_id = self._experiment_id(options.experiment) if options.experiment else None
        with contextlib.ExitStack() as scope:
            if options.nested:
                _resume_env_run()
            else:
                scope.enter_context(isolated_run_stack())
            with contextlib.nullcontext() if options.nested else _env_run_hidden():
                run = self._start(options, experiment_id, tags)
            self._last_runs[key] = run.run_id
            self.last_experiment_id = run.experiment_id
            try:
                return self._run_in(run, options, record, code)
            finally:
                self._finish(run, options, previous)

    def _run_in(self, run: ActiveRun, options: TrackOptions, record: CellRecord, code: str) -> Any:
        __tracebackhide__ = True
        filename = self.shell.compile.cache(code, self._execution_count(), raw_code=record.cell)
        with run:
            if record.params:
                log_params(record.params)
            try:
                record.write_artifacts(run)
            except Exception:
                logger.warning("Could not store the cell's source", exc_info=True)
            try:
                with self._features(run, options):
                    value = _execute(self.shell, code, filename)
                    if value is not None:
                        # Shown (and stored in Out/_) here rather than returned, so display
                        # capture sees it and the summary follows it, as the cell's last output.
                        self.shell.displayhook(value)
                    return None
            except BaseException as exc:
                if not isinstance(exc, KeyboardInterrupt):
                    record_failure(run, exc, filename)
                show_from_user_code(self.shell, exc, filename)
                raise

    @contextlib.contextmanager
    def _features(self, run: ActiveRun, options: TrackOptions) -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            stack.enter_context(beating(run.client, run.run_id))
            for enabled, module, name in (
                (True, "jupyter_mltrack.notebook.capture", "DisplayCapture"),
                (options.live, "jupyter_mltrack.notebook.live", "LivePlot"),
            ):
                feature = optional(module, name) if enabled else None
                if feature is not None:
                    _enter_quietly(stack, lambda f=feature: f(run.run_id))
            if not options.autolog:
                suspended = optional("jupyter_mltrack.model_logging.autolog._common", "suspended")
                if suspended is not None:
                    _enter_quietly(stack, suspended)
            yield

    def _finish(self, run: ActiveRun, options: TrackOptions, previous: str | None) -> None:
        try:
            if options.save_notebook:
                _save_notebook(run)
            if not options.quiet:
                from IPython.display import display

                from jupyter_mltrack.notebook.summary import summarize

                summary = summarize(run.client, run.client.get_run(run.run_id), previous=previous)
                display(summary)  # type: ignore[no-untyped-call]
        except Exception:
            logger.warning("Could not summarise run %s", run.run_id, exc_info=True)


def _resume_env_run() -> None:
    """Make the run named by ``MLTRACK_RUN_ID`` active, as the parent of the cell's run.

    A kernel started for a run (a project notebook under papermill) has that run's id in its
    environment. Resuming it here, and leaving it active after the cell, makes every ``%%track``
    cell a child of it, as ``mlt.log_*`` calls outside such cells log into it directly.
    """
    from jupyter_mltrack.tracking.fluent import ENV_RUN_ID

    if active_run() is None and os.environ.get(ENV_RUN_ID, "").strip():
        start_run()  # resumes the environment's run; the kernel's exit ends it


@contextlib.contextmanager
def _env_run_hidden() -> Iterator[None]:
    """Hide ``MLTRACK_RUN_ID`` so a ``--no-nested`` cell starts a run of its own."""
    from jupyter_mltrack.tracking.fluent import ENV_RUN_ID

    saved = os.environ.pop(ENV_RUN_ID, None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ[ENV_RUN_ID] = saved


def _enter_quietly(stack: contextlib.ExitStack, factory: Any) -> None:
    try:
        stack.enter_context(factory())
    except Exception:
        logger.warning("Optional notebook feature failed to start", exc_info=True)


def _execute(shell: Any, code: str, filename: str) -> Any:
    """Run ``code`` in the user namespace; return the value of a final expression statement."""
    __tracebackhide__ = True
    tree = ast.parse(code, filename=filename)
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr):
        tree.body.pop()
    else:
        last = None
    glob, loc = shell.user_global_ns, shell.user_ns
    exec(compile(ast.Module(body=tree.body, type_ignores=[]), filename, "exec"), glob, loc)
    if last is None:
        return None
    return eval(compile(ast.Expression(body=last.value), filename, "eval"), glob, loc)


def _save_notebook(run: ActiveRun) -> None:
    from jupyter_mltrack.notebook.context import notebook_path

    path = notebook_path()
    if path and os.path.isfile(path):
        run.client.log_artifact(run.run_id, path)
