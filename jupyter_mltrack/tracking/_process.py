"""Facts about processes on this machine: existence, start time, ancestors, pid namespace.

Read from ``/proc`` on Linux (no dependency, a few microseconds); elsewhere psutil answers when
it is installed, and otherwise only existence is known (``os.kill(pid, 0)``). A start time
tells a process from a later one that got the same pid.
"""

from __future__ import annotations

import functools
import os

__all__ = ["ancestors", "exists", "pid_namespace", "start_time"]


def exists(pid: int) -> bool:
    """True when a process with this pid runs (whoever owns it); a zombie has ended."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by another user
        pass
    except OSError:
        return False
    fields = _stat_fields(pid)
    return fields is None or fields[0] != b"Z"


def _stat_fields(pid: int) -> list[bytes] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (field 3 on), or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: split after its last ")".
    return stat[stat.rindex(b")") + 2 :].split()


@functools.cache
def _boot_time() -> float | None:
    try:
        with open("/proc/stat", "rb") as f:
            for line in f:
                if line.startswith(b"btime "):
                    return float(line.split()[1])
    except OSError:
        pass
    return None


def start_time(pid: int) -> float | None:
    """Return when process ``pid`` started (epoch seconds), or None if unknown or gone."""
    fields, boot = _stat_fields(pid), _boot_time()
    if fields is not None and boot is not None:
        # starttime is field 22 of stat(5), in clock ticks since boot.
        return round(boot + int(fields[19]) / os.sysconf("SC_CLK_TCK"), 2)
    try:
        import psutil  # optional: only where /proc is missing (macOS, Windows)
    except ImportError:
        return None
    try:
        return round(float(psutil.Process(pid).create_time()), 2)
    except Exception:  # gone, or not allowed to look
        return None


def _parent(pid: int) -> int | None:
    fields = _stat_fields(pid)
    if fields is not None:
        return int(fields[1])
    return os.getppid() if pid == os.getpid() else None


def ancestors(limit: int = 8) -> list[int]:
    """Return the pids of this process's parent, grandparent ... (up to ``limit``)."""
    found: list[int] = []
    pid: int | None = os.getpid()
    while pid is not None and len(found) < limit:
        pid = _parent(pid)
        if pid is None or pid <= 1:
            break
        found.append(pid)
    return found


def pid_namespace() -> str | None:
    """Return this process's pid namespace id (Linux), so containers sharing a host name with
    the host (``--net=host``) are not mistaken for it; None elsewhere."""
    try:
        link = os.readlink("/proc/self/ns/pid")  # "pid:[4026531836]"
    except OSError:
        return None
    return link.partition("[")[2].rstrip("]") or None
