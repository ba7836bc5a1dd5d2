"""What every isolated environment gets from us: jupyter_mltrack itself and its core needs.

Code in a built environment must be able to ``import jupyter_mltrack`` (to log to the run, or to
serve a model), in the same version as the process that built it. The running installation's
package folder is linked into the environment rather than installed from an index: nothing to
fetch, and a source checkout works too. Our core dependencies are installed with the spec's
requirements; where the spec pins one of them, its pin wins.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from jupyter_mltrack._version import __version__
from jupyter_mltrack.environments.spec import EnvSpec
from jupyter_mltrack.errors import EnvironmentBuildError

__all__ = ["ensure_package_link", "link_package", "merged_requirements"]

_PACKAGE = "jupyter_mltrack"
# The package's core dependencies, for a source checkout that was never installed.
_CORE_FALLBACK = ("sqlalchemy", "alembic", "click", "pyyaml", "fsspec", "pandas", "numpy")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _requirement_name(line: str) -> str:
    match = _NAME.match(line)
    name = match.group(1) if match else line.strip()
    return re.sub(r"[-_.]+", "-", name).lower()


def merged_requirements(spec: EnvSpec | None, packages: Sequence[str]) -> list[str]:
    """The spec's requirements plus ours; the spec's pins win, and our own package is linked."""
    own = _requirement_name(_PACKAGE)
    theirs = [
        line
        for line in (spec.dependencies if spec else [])
        if line.startswith("-") or _requirement_name(line) != own
    ]
    named = {_requirement_name(line) for line in theirs if not line.startswith("-")}
    ours = [line for line in _host_requirements(packages) if _requirement_name(line) not in named]
    return [*theirs, *ours]


def _host_requirements(packages: Sequence[str]) -> list[str]:
    """Our core dependencies plus ``packages``, with the version bounds we declare for them."""
    try:
        declared = metadata.requires(_PACKAGE) or []
    except metadata.PackageNotFoundError:
        declared = []
    core = [r for r in declared if ";" not in r] or list(_CORE_FALLBACK)
    bounds: dict[str, str] = {}
    for line in declared:  # the first declaration wins: "uvicorn>=0.30", not "uvicorn[standard]"
        bounds.setdefault(_requirement_name(line), line.split(";", 1)[0].strip())
    extra = [bounds.get(_requirement_name(p), p) for p in packages]
    seen: set[str] = set()
    out = []
    for line in [*core, *extra]:
        name = _requirement_name(line)
        if name not in seen:
            seen.add(name)
            out.append(line)
    return out


def link_package(env_dir: Path) -> None:
    """Make the running jupyter_mltrack importable in the environment at ``env_dir``.

    The package folder is linked (not copied), with a small ``dist-info`` so
    ``importlib.metadata`` and pip see the distribution as installed.
    """
    site = _site_packages(env_dir)
    ensure_package_link(env_dir)
    dist = site / f"{_PACKAGE}-{__version__}.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {_PACKAGE}\nVersion: {__version__}\n", encoding="utf-8"
    )
    (dist / "INSTALLER").write_text("mltrack-env\n", encoding="utf-8")
    (dist / "RECORD").write_text("", encoding="utf-8")


def ensure_package_link(env_dir: Path) -> bool:
    """Point the environment's ``jupyter_mltrack`` link at the running package folder.

    A cached environment outlives the installation that built it: a source checkout that was
    deleted or moved would leave the link dangling, and every later run in the environment
    would fail to import jupyter_mltrack. Checked on each reuse (one ``readlink``); a wrong
    link is replaced atomically, so a process starting in the environment meanwhile sees the
    old link or the new one, never none. Returns whether the link had to be (re)made.
    """
    # The package folder, found from this file (jupyter_mltrack/environments/host.py) rather
    # than by importing the package root, which sits above this layer.
    source = Path(__file__).resolve().parents[1]
    target = _site_packages(env_dir) / _PACKAGE
    if target.is_symlink() and Path(os.readlink(target)) == source:
        return False
    if target.exists() and not target.is_symlink():
        return False  # a real install in the environment (the spec asked for one): keep it
    staged = target.with_name(f".{_PACKAGE}.{os.getpid()}.link")
    staged.unlink(missing_ok=True)
    staged.symlink_to(source, target_is_directory=True)
    os.replace(staged, target)
    return True


def _site_packages(env_dir: Path) -> Path:
    sites = sorted(env_dir.glob("lib/python*/site-packages"))
    if not sites:
        raise EnvironmentBuildError(f"No site-packages folder in the environment {env_dir}")
    return sites[0]
