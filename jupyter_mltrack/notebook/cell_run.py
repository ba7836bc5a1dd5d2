"""The lifecycle of a tracked cell: start a run, execute the body, record, end, summarise."""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib
import logging
import os
import traceback
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import jupyter_mltrack as mlt
from jupyter_mltrack.notebook.params import literal_params, papermill_params
from jupyter_mltrack.tracking.active import isolated_run_stack
from jupyter_mltrack.tracking.heartbeat import Heartbeat, kernel_tags
from jupyter_mltrack.tracking.tags import RERUN_OF

if TYPE_CHECKING:
    from jupyter_mltrack.notebook.magics import TrackOptions
    from jupyter_mltrack.tracking.active import ActiveRun

__all__ = ["CELL_ID", "ERROR", "EXECUTION_COUNT", "NON_LINEAR", "RERUN_OF", "CellTracker"]

logger = logging.getLogger(__name__)

CELL_ID = "mltrack.notebook.cellId"
EXECUTION_COUNT = "mltrack.notebook.executionCount"
ERROR = "mltrack.error"
NON_LINEAR = "mltrack.nonLinear"
_MAX_ERROR_TAG = 500


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

    # -- identity ---------------------------------------------------------------------------------
    def _cell_id(self) -> str | None:
        kernel = getattr(self.shell, "kernel", None)
        parent: Any = None
        with contextlib.suppress(Exception):
            parent = kernel.get_parent() if kernel is not None else None
        parent = parent or getattr(self.shell, "parent_header", None) or {}
        cell_id = (parent.get("metadata") or {}).get("cellId")
        return str(cell_id) if cell_id else None

    def _tags(self, options: TrackOptions, cell: str, cell_id: str | None) -> dict[str, str]:
        tags = kernel_tags()
        tags[EXECUTION_COUNT] = str(self._execution_count())
        if cell_id:
            tags[CELL_ID] = cell_id
        previous = self._last_runs.get(self._cell_key(cell, cell_id))
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

    def _params(self, options: TrackOptions, code: str) -> dict[str, str]:
        params: dict[str, str] = {}
        if options.capture_params:
            history = list(getattr(self.shell.history_manager, "input_hist_raw", []))
            params.update(papermill_params(history[:-1]))
            params.update(literal_params(code))
            params = {k: v for k, v in params.items() if len(v) <= 500}
        params.update(options.params)
        return params

    # -- the run ----------------------------------------------------------------------------------
    def run(self, options: TrackOptions, cell: str) -> Any:
        """Execute ``cell`` inside a new run; its last expression is displayed as ``Out[n]``."""
        __tracebackhide__ = True
        code = self.shell.transform_cell(cell)
        cell_id = self._cell_id()
        tags = self._tags(options, cell, cell_id)
        experiment_id = None
        if options.experiment:
            experiment_id = _experiment_id(options.experiment)
        with contextlib.ExitStack() as scope:
            if options.nested:
                _resume_env_run()
            else:
                scope.enter_context(isolated_run_stack())
            with contextlib.nullcontext() if options.nested else _env_run_hidden():
                run = mlt.start_run(
                    nested=True, experiment_id=experiment_id, run_name=options.name, tags=tags
                )
            self._last_runs[self._cell_key(cell, cell_id)] = run.run_id
            try:
                return self._run_in(run, options, cell, code)
            finally:
                self._finish(run, options)

    def _run_in(self, run: ActiveRun, options: TrackOptions, cell: str, code: str) -> Any:
        __tracebackhide__ = True
        filename = self.shell.compile.cache(code, self._execution_count(), raw_code=cell)
        with run:
            params = self._params(options, code)
            if params:
                mlt.log_params(params)
            run.client.log_text(run.run_id, cell, "cell.py")
            self._log_slice(run, cell)
            try:
                with self._features(run, options):
                    value = _execute(self.shell, code, filename)
                    if value is not None:
                        # Shown (and stored in Out/_) here rather than returned, so display
                        # capture sees it and the summary follows it, as the cell's last output.
                        self.shell.displayhook(value)
                    return None
            except KeyboardInterrupt:
                raise
            except BaseException as exc:
                _record_failure(run, exc, filename)
                raise

    @contextlib.contextmanager
    def _features(self, run: ActiveRun, options: TrackOptions) -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            stack.enter_context(Heartbeat(run.client, run.run_id))
            for enabled, module, name in (
                (True, "jupyter_mltrack.notebook.capture", "DisplayCapture"),
                (options.live, "jupyter_mltrack.notebook.live", "LivePlot"),
            ):
                feature = optional(module, name) if enabled else None
                if feature is not None:
                    _enter_quietly(stack, lambda f=feature: f(run.run_id))
            if not options.autolog:
                suspended = optional("jupyter_mltrack.sklearn_autolog", "suspended")
                if suspended is not None:
                    _enter_quietly(stack, suspended)
            yield

    def _log_slice(self, run: ActiveRun, cell: str) -> None:
        compute_slice = optional("jupyter_mltrack.notebook.slice", "compute_slice")
        if compute_slice is None:
            return
        raw = list(getattr(self.shell.history_manager, "input_hist_raw", []))
        history = [(n, src) for n, src in enumerate(raw) if n and n < len(raw) - 1]
        try:
            text, non_linear = compute_slice(history, cell)
            run.client.log_text(run.run_id, text, "slice.py")
            run.client.set_tag(run.run_id, NON_LINEAR, str(bool(non_linear)).lower())
        except Exception:
            logger.warning("Could not compute the execution slice", exc_info=True)

    def _finish(self, run: ActiveRun, options: TrackOptions) -> None:
        try:
            if options.save_notebook:
                _save_notebook(run)
            if not options.quiet:
                from IPython.display import display

                from jupyter_mltrack.notebook.summary import summarize

                summary = summarize(run.client, run.client.get_run(run.run_id))
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

    if mlt.active_run() is None and os.environ.get(ENV_RUN_ID, "").strip():
        mlt.start_run()  # resumes the environment's run; the kernel's exit ends it


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


def _experiment_id(name: str) -> str:
    experiment = mlt.get_experiment_by_name(name)
    return experiment.experiment_id if experiment is not None else mlt.create_experiment(name)


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


def _record_failure(run: ActiveRun, exc: BaseException, filename: str) -> None:
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    text = "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))
    first = (str(exc).strip().splitlines() or [""])[0]
    try:
        run.client.log_text(run.run_id, text, "traceback.txt")
        run.client.set_tag(run.run_id, ERROR, f"{type(exc).__name__}: {first}"[:_MAX_ERROR_TAG])
    except Exception:
        logger.warning("Could not record the failure of run %s", run.run_id, exc_info=True)


def _save_notebook(run: ActiveRun) -> None:
    from jupyter_mltrack.notebook.context import notebook_path

    path = notebook_path()
    if path and os.path.isfile(path):
        run.client.log_artifact(run.run_id, path)
