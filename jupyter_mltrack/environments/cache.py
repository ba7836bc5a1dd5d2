"""The folder of built environments: one sub-folder per spec hash, a lock, a completion marker.

An environment is built once and reused by every later run that asks for the same spec. Two
processes that need the same environment at the same time must not both build it, and nobody may
use a half-built one, so:

- the builder holds an exclusive ``flock`` on ``<root>/<hash>.lock`` while it builds;
- the environment counts as built only once ``<root>/<hash>/.mltrack-env.json`` exists, written
  last and atomically (``os.replace``); a folder without it is a crashed build and is removed
  before building again.

The environment is built in its final place rather than in a temporary folder renamed at the end:
virtual environments are not relocatable (console scripts' ``#!`` lines and the activate scripts
hold the absolute path), so a renamed one would run but its scripts would not.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "ENV_ROOT_ENV",
    "MARKER_FILE",
    "env_root",
    "exclusive",
    "read_marker",
    "remove_partial",
    "write_marker",
]

#: Where built environments live; default ``~/.cache/mltrack/envs``.
ENV_ROOT_ENV = "MLTRACK_ENV_ROOT"
MARKER_FILE = ".mltrack-env.json"


def env_root(root: str | os.PathLike[str] | None = None) -> Path:
    """Return (and create) the folder of built environments."""
    if root is None:
        root = os.environ.get(ENV_ROOT_ENV) or Path.home() / ".cache" / "mltrack" / "envs"
    path = Path(root).expanduser().absolute()
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (blocking until other holders let go)."""
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def read_marker(env_dir: Path) -> dict[str, Any] | None:
    """Return the completion record of a built environment, ``None`` when it is not built."""
    try:
        data = json.loads((env_dir / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_marker(env_dir: Path, record: dict[str, Any]) -> None:
    """Mark ``env_dir`` as built (atomically: readers see the whole record or none)."""
    tmp = env_dir / f"{MARKER_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, env_dir / MARKER_FILE)


def remove_partial(env_dir: Path) -> None:
    """Remove what a crashed or failed build left behind."""
    if env_dir.is_symlink() or env_dir.is_file():
        env_dir.unlink()
    elif env_dir.exists():
        shutil.rmtree(env_dir)
