"""Find a Python interpreter of the version an environment spec asks for.

A spec's version (``"3.11.7"``) is matched on major.minor: patch releases share their ABI and
packages, and insisting on the exact patch would make most specs unbuildable. The current
interpreter is preferred, then pyenv's installed versions (the exact patch first), then
``pythonX.Y`` on ``PATH``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["find_python", "minor_version"]

_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")


def minor_version(version: str) -> tuple[int, int] | None:
    """Return ``(major, minor)`` of a version string like ``"3.11.7"``, ``None`` if malformed."""
    match = _VERSION.match(version.strip())
    return None if match is None else (int(match.group(1)), int(match.group(2)))


def find_python(version: str | None) -> str | None:
    """Return the path of an interpreter for ``version`` (any when ``None``), or ``None``."""
    if version is None:
        return sys.executable
    wanted = minor_version(version)
    if wanted is None:
        return None
    if sys.version_info[:2] == wanted:
        return sys.executable
    for candidate in [*_pyenv_candidates(version, wanted), _on_path(wanted)]:
        if candidate and _reports(candidate, wanted):
            return candidate
    return None


def _pyenv_candidates(version: str, wanted: tuple[int, int]) -> list[str]:
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    if not root.is_dir():
        return []
    exact = root / version / "bin" / "python"
    same_minor = sorted(
        (p for p in root.iterdir() if minor_version(p.name) == wanted and p.name[:1].isdigit()),
        key=lambda p: [int(x) for x in re.findall(r"\d+", p.name)],
        reverse=True,
    )
    found = [exact] if exact.exists() else []
    found += [p / "bin" / "python" for p in same_minor if (p / "bin" / "python").exists()]
    return [str(p) for p in found]


def _on_path(wanted: tuple[int, int]) -> str | None:
    return shutil.which(f"python{wanted[0]}.{wanted[1]}")


def _reports(python: str, wanted: tuple[int, int]) -> bool:
    """Whether ``python`` runs and is the wanted version (pyenv shims may exist yet fail)."""
    try:
        result = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and result.stdout.strip() == f"{wanted[0]}.{wanted[1]}"
