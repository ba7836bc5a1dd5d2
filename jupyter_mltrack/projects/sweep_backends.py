"""Where sweep trials execute: a local process pool, or a ``dask.distributed`` cluster.

Each backend is a generator ``(job, trials, parallel, scheduler) -> results`` yielding one dict
per finished trial (``trial``, ``run_id``, ``status``, ``error``) in completion order, and on
any exception (Ctrl-C included) stopping its workers before re-raising, so no kernel outlives
the sweep.

Where sweep time goes, and what the local backend does about it (2-core machine, a trial that
sleeps 1 s): a kernel takes ~0.4 s of CPU to start, a worker ~0.5 s to import papermill, the
store and nbconvert, the papermill handshakes ~0.2 s of waiting per run.

- Workers are forked from a fork server of our own that imported those modules once
  (:mod:`~jupyter_mltrack.projects._worker_preload`), so two workers do not import them twice
  at the same moment; spawn where there is no fork server. Never plain fork: the caller may
  run threads. Workers never import the caller's main module
  (:mod:`~jupyter_mltrack.projects._worker_start`).
- Each worker keeps a :class:`~jupyter_mltrack.projects.kernels.KernelPool` for its life: its
  first kernel starts in the worker's initializer, and while a trial runs the pool boots the
  kernel of the worker's next trial (when enough trials are queued for there to be one), so a
  trial starts in an already running kernel. A finished trial's kernel exits in the background.
"""

from __future__ import annotations

import logging
import multiprocessing.util
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from jupyter_mltrack.errors import InvalidParameterError, MissingDependencyError

__all__ = ["TRIAL_TAG", "TrialJob", "run_dask", "run_local", "run_trial"]

TRIAL_TAG = "mltrack.sweep.trial"
logger = logging.getLogger(__name__)
#: This worker process's kernel pool (local backend only; None elsewhere).
_POOL: Any = None
#: Whether this worker process is executing a trial (SIGTERM then unwinds it).
_RUNNING = False


@dataclass(frozen=True, slots=True)
class TrialJob:
    """What every trial shares; picklable for pool workers and Dask."""

    tracking_uri: str
    project: str
    entry_point: str
    experiment: str
    parent_id: str
    timeout: float | None
    n_trials: int = 0
    parallel: int = 1


def run_trial(
    job: TrialJob, index: int, values: dict[str, Any], warm: bool = False
) -> dict[str, Any]:
    """Execute one trial as a child run of the sweep; never raises for a failing notebook.

    ``warm``: this process keeps a kernel pool (a local worker); pre-start the next kernel
    when at least ``parallel`` trials come after this one, which in the usual in-order hand-out
    means one of them will run here.
    """
    from jupyter_mltrack.projects.runner import run
    from jupyter_mltrack.tracking.uri import ENV_TRACKING_URI, set_tracking_uri

    os.environ[ENV_TRACKING_URI] = job.tracking_uri
    set_tracking_uri(job.tracking_uri)
    pool = _POOL if warm else None
    if pool is not None:
        pool.warm_next = job.n_trials - 1 - index >= job.parallel
    result: dict[str, Any] = {"trial": index, "run_id": None, "status": "FAILED", "error": None}
    global _RUNNING
    _RUNNING = True
    try:
        child = run(
            job.project,
            job.entry_point,
            parameters=values,
            experiment_name=job.experiment,
            run_name=f"trial-{index}",
            timeout=job.timeout,
            parent_run_id=job.parent_id,
            tags={TRIAL_TAG: str(index)},
            kernels=pool,
        )
    except Exception as exc:  # a failing trial is a result, not the sweep's end
        result["run_id"] = getattr(exc, "run_id", None)
        result["error"] = f"{type(exc).__name__}: {exc}"
        return result
    except KeyboardInterrupt:
        if pool is None:
            raise
        # A local worker stopped by the parent: the runner killed the kernel and ended the
        # run; leave now rather than wait for the pool's next task.
        os._exit(130)
    finally:
        _RUNNING = False
    result["run_id"] = child.info.run_id
    result["status"] = child.info.status
    return result


def _on_sigterm(signum: int, frame: Any) -> None:
    """Unwind a running trial like Ctrl-C; an idle worker kills its warm kernel and exits."""
    if _RUNNING:
        raise KeyboardInterrupt
    if _POOL is not None:
        _POOL.kill_all()
    os._exit(143)


def _worker_init(job: TrialJob, environ: dict[str, str], cwd: str) -> None:
    """Set up a local worker: signals, and a kernel pool whose first kernel boots right away.

    Ctrl-C in a terminal reaches the whole process group; workers ignore it and leave the
    decision to the parent, which SIGTERMs them. SIGTERM unwinds like Ctrl-C, so the runner
    kills its kernel and marks its run KILLED on the way out.

    Every worker runs at least one trial (the pool starts one worker per submitted trial, up
    to ``parallel``), so its first kernel is launched before anything else: it boots while
    the worker imports papermill and opens the store.
    """
    global _POOL
    from jupyter_mltrack.projects.execution import DEFAULT_KERNEL, _entry_name, kernel_setting
    from jupyter_mltrack.projects.kernels import KernelPool
    from jupyter_mltrack.projects.spec import load_project

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_sigterm)
    # A fork server's children start with its environment and folder, not the caller's now.
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(environ)
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # see _worker_preload
    _POOL = KernelPool()
    # Run at the worker's exit by multiprocessing (fork server children skip atexit).
    multiprocessing.util.Finalize(None, _POOL.close, exitpriority=10)
    try:
        spec = load_project(job.project)
        notebook = spec.entry_point(_entry_name(spec, job.entry_point)).notebook
        _POOL.prestart(spec.kernel or DEFAULT_KERNEL, *kernel_setting(job.tracking_uri, notebook))
        from jupyter_mltrack.projects.render import warm_up
        from jupyter_mltrack.tracking.client import TrackingClient
        from jupyter_mltrack.tracking.notebook_exec import import_papermill

        import_papermill()
        TrackingClient(job.tracking_uri)  # imports and opens the store once, up front
        # The HTML rendering is needed only after the first notebook ran: get it ready while
        # this process mostly waits for its kernel.
        threading.Thread(target=warm_up, name="mltrack-warm-up", daemon=True).start()
    except Exception:  # the first trial reports whatever is wrong, as a failed trial
        logger.debug("Could not prepare the sweep worker", exc_info=True)


def run_local(
    job: TrialJob, trials: list[dict[str, Any]], parallel: int, scheduler: str | None
) -> Iterator[dict[str, Any]]:
    """Run the trials on a process pool of ``parallel`` workers.

    The workers are started so that they never import the caller's main module (see
    :mod:`~jupyter_mltrack.projects._worker_start`): a plain script may call ``sweep()`` at its
    top level.
    """
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    if scheduler is not None:
        raise InvalidParameterError("scheduler= only applies to backend='dask'")
    from jupyter_mltrack.projects._worker_start import worker_context

    context = worker_context()
    pool = ProcessPoolExecutor(
        min(parallel, len(trials)),
        mp_context=context,
        initializer=_worker_init,
        initargs=(job, dict(os.environ), os.getcwd()),
    )
    pending: set[Future[dict[str, Any]]] = set()
    try:
        for index, values in enumerate(trials):
            pending.add(pool.submit(run_trial, job, index, values, True))
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield future.result()
    except BaseException:
        _stop_pool(pool)
        raise
    # Every trial has reported: the workers exit (reaping their kernels) in the background.
    pool.shutdown(wait=False)


def _stop_pool(pool: Any) -> None:
    """Cancel queued trials and SIGTERM running workers (they kill their kernels on the way)."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(30)
        if process.is_alive():
            process.kill()


def run_dask(
    job: TrialJob, trials: list[dict[str, Any]], parallel: int, scheduler: str | None
) -> Iterator[dict[str, Any]]:
    """Submit the trials to a Dask scheduler (default: a LocalCluster of ``parallel`` workers)."""
    import importlib

    # distributed ships no type hints; treat it as Any rather than silence each call.
    try:
        distributed: Any = importlib.import_module("distributed")
    except ImportError:
        raise MissingDependencyError(
            "distributed", extra="dask", feature="sweeps with backend='dask'"
        ) from None
    with _local_cluster_context() if scheduler is None else nullcontext():
        yield from _run_on_dask(distributed, job, trials, parallel, scheduler)


@contextmanager
def _local_cluster_context() -> Iterator[None]:
    """Start LocalCluster workers like the local backend's: never running the caller's main
    module (distributed spawns them, which re-runs an unguarded script in each worker)."""
    import dask.config

    from jupyter_mltrack.projects._worker_start import register_context_name

    name = register_context_name()
    if name is None:
        yield
        return
    with dask.config.set({"distributed.worker.multiprocessing-method": name}):
        yield


def _run_on_dask(
    distributed: Any,
    job: TrialJob,
    trials: list[dict[str, Any]],
    parallel: int,
    scheduler: str | None,
) -> Iterator[dict[str, Any]]:
    cluster = None
    if scheduler is None:
        cluster = distributed.LocalCluster(
            n_workers=parallel, threads_per_worker=1, processes=True, dashboard_address=None
        )
    client = distributed.Client(cluster if cluster is not None else scheduler)
    futures = []
    try:
        for index, values in enumerate(trials):
            key = f"trial-{index}-{job.parent_id}"
            futures.append(client.submit(run_trial, job, index, values, pure=False, key=key))
        for future in distributed.as_completed(futures):
            yield future.result()
    except BaseException:
        client.cancel(futures, force=True)
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
