"""What every isolated environment gets from us: jupyter_mltrack itself and its core needs.

Code in a built environment must be able to ``import jupyter_mltrack`` (to log to the run, or to
serve a model), in the same version as the process that built it. The running installation's
package folder is linked into the environment rather than installed from an index: nothing to
fetch, and a source checkout works too. Our core dependencies are installed with the spec's
requirements; where the spec pins one of them, its pin wins.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from jupyter_mltrack._version import __version__
from jupyter_mltrack.environments.spec import EnvSpec
from jupyter_mltrack.errors import EnvironmentBuildError

__all__ = ["link_package", "merged_requirements"]

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
    # The package folder, found from this file (jupyter_mltrack/environments/host.py) rather
    # than by importing the package root, which sits above this layer.
    source = Path(__file__).resolve().parents[1]
    sites = sorted(env_dir.glob("lib/python*/site-packages"))
    if not sites:
        raise EnvironmentBuildError(f"No site-packages folder in the new environment {env_dir}")
    site = sites[0]
    target = site / _PACKAGE
    if not target.exists():
        target.symlink_to(source, target_is_directory=True)
    dist = site / f"{_PACKAGE}-{__version__}.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {_PACKAGE}\nVersion: {__version__}\n", encoding="utf-8"
    )
    (dist / "INSTALLER").write_text("mltrack-env\n", encoding="utf-8")
    (dist / "RECORD").write_text("", encoding="utf-8")
