"""Real mounts for the fault-injection tests: a small tmpfs, a read-only bind mount.

The tests run as root in CI; where mounting is impossible (no root, no CAP_SYS_ADMIN) they skip
with the reason, except under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = ["read_only_view", "small_tmpfs"]


def _mount(*args: str) -> None:
    result = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        reason = f"cannot mount ({' '.join(args)}): {result.stderr.strip() or 'not root?'}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true requires the mount tests", pytrace=False)
        pytest.skip(reason)


def _unmount(path: Path) -> None:
    # Lazy: a process the test killed may still hold a file open for a moment.
    subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


@contextmanager
def small_tmpfs(path: Path, size: str = "2m") -> Iterator[Path]:
    """Mount a tmpfs of ``size`` on ``path`` for the block; unmount it afterwards."""
    path.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path))
    try:
        yield path
    finally:
        _unmount(path)


@contextmanager
def read_only_view(source: Path, path: Path) -> Iterator[Path]:
    """Show ``source`` read-only at ``path`` (a bind mount: root ignores file modes)."""
    path.mkdir(parents=True, exist_ok=True)
    _mount("--bind", str(source), str(path))
    try:
        _mount("-o", "remount,bind,ro", str(path))
        yield path
    finally:
        _unmount(path)
