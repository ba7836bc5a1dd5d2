"""Kernels for project runs: started by us (not by papermill), optionally one kept warm.

Every project run gets a fresh kernel. :class:`KernelPool` starts it with the run's environment
and working folder, and the runner hands it to papermill (``km=``), so the pool decides how
kernels start and stop:

- **Pre-warming.** A kernel takes about half a second of CPU to boot. A sweep worker that will
  run another trial asks the pool to launch the next kernel while the current trial executes
  (``warm_next``); the next trial then finds it booted. The warm kernel is still fresh: nothing
  but :func:`prepare`'s silent set-up (the run id, the working folder) runs in it first.
- **Handshakes.** :func:`prepare` sends its set-up without a kernel_info round trip, and the
  clients given to nbclient flush IOPub for 20 ms instead of 200 ms when they connect.
- **Stopping.** After a successful run the kernel is asked to shut down and left to exit while
  the caller goes on (:meth:`KernelPool.release`; reaped later). When the run failed, timed out
  or was interrupted, the kernel's whole process group is killed at once, so nothing the
  notebook started survives and no exit handler of the kernel ends the run after the runner.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
import tempfile
import time
from collections.abc import Mapping
from queue import Empty
from typing import Any

from jupyter_mltrack.errors import ProjectExecutionError

__all__ = ["KernelPool", "kernel_log_tail"]

logger = logging.getLogger(__name__)

#: IPython's history database is SQLite; parallel kernels sharing it would lock each other.
_KERNEL_ARGS = ["--HistoryManager.hist_file=:memory:"]
_PREPARE = """\
import os as _mltrack_os
_mltrack_os.environ.update({env!r})
_mltrack_os.chdir({cwd!r})
del _mltrack_os
"""


def _run_sync(coro: Any) -> Any:
    # The loop papermill and nbclient use in this thread, so the kernel manager lives on one loop.
    from jupyter_core.utils import run_sync

    return run_sync(coro)


class _Kernel:
    """A started kernel manager, the key it was started with, and its stderr log file."""

    __slots__ = ("key", "km", "log_path", "stopping")

    def __init__(self, key: tuple[Any, ...], km: Any, log_path: str) -> None:
        self.key = key
        self.km = km
        self.log_path = log_path
        #: When the shutdown was requested (``time.monotonic()``), 0 while the kernel is in use.
        self.stopping = 0.0


class KernelPool:
    """Starts the kernels of project runs in one process; keeps at most one warm for the next.

    Args:
        warm_next: Launch the next kernel as soon as one is taken (a sweep worker sets this
            while more trials are queued for it).
        startup_timeout: Seconds a kernel may take to answer after it was launched.

    Example:
        >>> pool = KernelPool(warm_next=True)  # doctest: +SKIP
        >>> km = pool.take("python3", "/project", {"MLTRACK_TRACKING_URI": uri})  # doctest: +SKIP
        >>> pool.stop(km); pool.close()  # doctest: +SKIP
    """

    def __init__(self, *, warm_next: bool = False, startup_timeout: float = 60.0) -> None:
        self.warm_next = warm_next
        self.startup_timeout = startup_timeout
        self._warm: _Kernel | None = None
        self._taken: dict[int, _Kernel] = {}
        self._stopping: list[_Kernel] = []

    # -- lifecycle ----------------------------------------------------------------------------
    def take(self, kernel_name: str, cwd: str, env: Mapping[str, str]) -> Any:
        """Return a started ``AsyncKernelManager`` for ``kernel_name`` in ``cwd`` with ``env``.

        The warm kernel is used when it was started with the same name, folder and environment;
        otherwise one is launched now. With ``warm_next``, :meth:`prepare` launches the next
        kernel once this one answered, so it boots while the caller executes its notebook.
        """
        self._reap()
        key = _key(kernel_name, cwd, env)
        kernel, self._warm = self._warm, None
        if kernel is not None and (kernel.key != key or not self._alive(kernel)):
            self._stop(kernel, now=True)
            kernel = None
        if kernel is None:
            kernel = self._launch(key)
        self._taken[id(kernel.km)] = kernel
        return kernel.km

    def prestart(self, kernel_name: str, cwd: str, env: Mapping[str, str]) -> None:
        """Launch a kernel now for the next :meth:`take` with the same arguments."""
        if self._warm is None:
            self._warm = self._launch(_key(kernel_name, cwd, env))

    def prepare(self, km: Any, env: Mapping[str, str], cwd: str, timeout: float | None) -> None:
        """Wait for ``km``'s kernel and set ``env`` and the working folder in it, silently.

        Raises:
            TimeoutError: The kernel did not answer within ``timeout`` (or the start-up timeout).
            ProjectExecutionError: The kernel died while starting.
        """
        limit = self.startup_timeout if timeout is None else min(timeout, self.startup_timeout)
        code = _PREPARE.format(env=dict(env), cwd=cwd)
        _run_sync(_prepare)(km, code, max(limit, 0.01), self._log_path(km))
        kernel = self._taken.get(id(km))
        if self.warm_next and self._warm is None and kernel is not None:
            # Launched only now, so its start-up does not compete with this kernel's.
            try:
                self._warm = self._launch(kernel.key)
            except Exception:  # a failed pre-start only costs the next run its head start
                logger.warning("Could not pre-start the next kernel", exc_info=True)

    def release(self, km: Any) -> None:
        """Ask ``km``'s kernel to shut down and return at once (after a successful run).

        The kernel runs its exit handlers and exits while the caller stores the evidence and
        starts its next run; the pool reaps it later (:meth:`take`, :meth:`close`), killing it
        if it is still there after ``shutdown_wait_time``.
        """
        kernel = self._taken.pop(id(km), None)
        if kernel is None:
            return
        _stop_clients(km)
        try:
            _run_sync(km.request_shutdown)()
        except Exception:  # dead already
            logger.debug("Shutdown request to the kernel failed", exc_info=True)
        kernel.stopping = time.monotonic()
        self._stopping.append(kernel)

    def stop(self, km: Any, *, now: bool = False) -> None:
        """Shut ``km``'s kernel down and wait for it (``now``: kill its process group at once)."""
        kernel = self._taken.pop(id(km), None)
        if kernel is not None:
            self._stop(kernel, now=now)

    def kill_all(self) -> None:
        """Kill every kernel of this pool without the event loop (safe during an interrupt)."""
        kernels = [*self._taken.values(), *self._stopping, *([self._warm] if self._warm else [])]
        self._taken.clear()
        self._stopping.clear()
        self._warm = None
        for kernel in kernels:
            _kill_group(kernel.km)
            _remove(kernel.log_path)
            with contextlib.suppress(Exception):
                kernel.km.cleanup_connection_file()

    def close(self) -> None:
        """Wait for released kernels, shut down any still taken, kill the warm one (it is idle)."""
        warm, self._warm = self._warm, None
        taken, self._taken = list(self._taken.values()), {}
        stopping, self._stopping = self._stopping, []
        for kernel in [*stopping, *taken]:
            self._stop(kernel, now=False)
        if warm is not None:
            self._stop(warm, now=True)

    def _reap(self) -> None:
        """Clean up released kernels that have exited; kill those that overstay."""
        still = []
        for kernel in self._stopping:
            process: Any = getattr(kernel.km.provisioner, "process", None)
            overdue = time.monotonic() - kernel.stopping > kernel.km.shutdown_wait_time
            if process is not None and process.poll() is None and not overdue:
                still.append(kernel)
            else:
                self._stop(kernel, now=overdue)
        self._stopping = still

    def log_tail(self, km: Any, lines: int = 20) -> str:
        """Return the last ``lines`` lines the kernel wrote to stderr (for a dead kernel)."""
        return kernel_log_tail(self._log_path(km), lines)

    # -- helpers ------------------------------------------------------------------------------
    def _log_path(self, km: Any) -> str:
        kernel = self._taken.get(id(km))
        return kernel.log_path if kernel is not None else ""

    def _launch(self, key: tuple[Any, ...]) -> _Kernel:
        kernel_name, cwd, env_items = key
        fd, log_path = tempfile.mkstemp(prefix="mltrack-kernel-", suffix=".log")
        km = _manager_class()(kernel_name=kernel_name)
        try:
            with os.fdopen(fd, "wb") as log:
                # The kernel keeps its own copy of the descriptor; stdout carries nothing useful
                # (outputs travel over ZMQ), stderr keeps start-up errors for a dead kernel.
                _run_sync(km.start_kernel)(
                    env={**os.environ, **dict(env_items)},
                    cwd=cwd,
                    extra_arguments=list(_KERNEL_ARGS),
                    stdout=log,
                    stderr=log,
                )
        except BaseException:
            _remove(log_path)
            raise
        return _Kernel(key, km, log_path)

    @staticmethod
    def _alive(kernel: _Kernel) -> bool:
        try:
            return bool(_run_sync(kernel.km.is_alive)())
        except Exception:
            return False

    @staticmethod
    def _stop(kernel: _Kernel, *, now: bool) -> None:
        km = kernel.km
        _stop_clients(km)
        try:
            if now:
                _kill_group(km)
                _run_sync(km.shutdown_kernel)(now=True)
            elif kernel.stopping:  # released: the shutdown request went out already
                _run_sync(km.finish_shutdown)(pollinterval=0.02)
                _run_sync(km.cleanup_resources)()
            else:
                _run_sync(km.shutdown_kernel)()
        except Exception:  # already gone, or the loop was torn down by an interrupt
            _kill_group(km)
            with contextlib.suppress(Exception):
                km.cleanup_connection_file()
        finally:
            _remove(kernel.log_path)


def _key(kernel_name: str, cwd: str, env: Mapping[str, str]) -> tuple[Any, ...]:
    return (kernel_name, cwd, tuple(sorted(env.items())))


@functools.cache
def _manager_class() -> type[Any]:
    """``AsyncKernelManager`` remembering its clients, whose channels papermill leaves open.

    nbclient stops its client only when it created the kernel manager itself; given ours
    (``km=``), it leaves the client's ZMQ channels running, so the pool stops them.
    """
    from jupyter_client.manager import AsyncKernelManager

    class PoolKernelManager(AsyncKernelManager):  # type: ignore[misc]
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.client_factory = _client_class()

        def client(self, **kwargs: Any) -> Any:
            kc = super().client(**kwargs)
            self.__dict__.setdefault("_mltrack_clients", []).append(kc)
            return kc

    return PoolKernelManager


@functools.cache
def _client_class() -> type[Any]:
    """``AsyncKernelClient`` whose readiness check ends with a 20 ms IOPub flush, not 200 ms.

    The flush only drops messages left from before the client connected, and nbclient ignores
    IOPub messages of other requests anyway; 0.2 s per run is pure waiting.
    """
    from jupyter_client.asynchronous.client import AsyncKernelClient

    class PoolKernelClient(AsyncKernelClient):  # type: ignore[misc]
        async def wait_for_ready(self, timeout: float | None = None) -> None:
            end = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                self.kernel_info()
                try:
                    msg = await self.shell_channel.get_msg(timeout=1)
                except Empty:
                    msg = None
                if msg is not None and msg["msg_type"] == "kernel_info_reply":
                    try:  # IOPub is connected when the reply's status messages arrive on it
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        break
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > end:
                    raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")
            while True:
                try:
                    await self.iopub_channel.get_msg(timeout=0.02)
                except Empty:
                    break

    return PoolKernelClient


def _stop_clients(km: Any) -> None:
    for kc in km.__dict__.pop("_mltrack_clients", []):
        with contextlib.suppress(Exception):
            if kc.channels_running:
                kc.stop_channels()


async def _prepare(km: Any, code: str, timeout: float, log_path: str) -> None:
    """Run ``code`` silently once the kernel answers; no kernel_info handshake first.

    A request sent before the kernel is up waits in ZMQ until it binds, so the reply also says
    the kernel is ready (nbclient's own handshake follows, with a short IOPub flush).
    """
    deadline = time.monotonic() + timeout
    kc = km.client()
    kc.start_channels(hb=False)
    try:
        msg_id = kc.execute(code, silent=True, store_history=False)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the kernel did not answer within {timeout:.0f} s")
            try:
                reply = await kc.get_shell_msg(timeout=min(remaining, 0.5))
            except Empty:
                if not await km.is_alive():
                    tail = kernel_log_tail(log_path)
                    raise ProjectExecutionError(
                        "The kernel died while starting" + (f":\n{tail}" if tail else ""),
                        ename="DeadKernelError",
                        evalue=tail or "the kernel died while starting",
                        reason="kernel died",
                    ) from None
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                break
        content = reply.get("content", {})
        if content.get("status") != "ok":
            raise ProjectExecutionError(
                f"Setting up the kernel failed: {content.get('ename')}: {content.get('evalue')}",
                ename=str(content.get("ename") or "Error"),
                evalue=str(content.get("evalue") or ""),
                reason="execution error",
            )
    finally:
        kc.stop_channels()


def _kill_group(km: Any) -> None:
    """SIGKILL the kernel's process group (it has its own session), else the process."""
    process: Any = getattr(getattr(km, "provisioner", None), "process", None)
    pid = getattr(process, "pid", None)
    if process is None or not pid:
        return
    try:
        os.killpg(os.getpgid(pid), signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(Exception):
            process.kill()
    with contextlib.suppress(Exception):
        process.wait(5)


def kernel_log_tail(path: str, lines: int = 20) -> str:
    """Return the last ``lines`` meaningful lines of a kernel's stderr log file."""
    if not path:
        return ""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()[-20_000:]
    except OSError:
        return ""
    # ipykernel warns about plain-TCP transport on every start; it says nothing about a failure.
    kept = [line for line in text.splitlines() if line.strip() and "without encryption" not in line]
    return "\n".join(kept[-lines:])


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)
