"""Which file holds the user's program: the ``__main__`` module, unless it is a launcher.

``sys.argv[0]`` is not trusted: under pytest, ipykernel, ``python -c`` or ``python -m`` the
program that started the interpreter is not the user's code. A ``__main__`` file counts as the
user's source unless it is a known launcher or lives in the environment's installed trees
(stdlib, site-packages, console scripts); without a file the source is ``<interactive>`` (REPL,
IPython) or ``<stdin>`` (``-c``, piped code).
"""

from __future__ import annotations

import functools
import os
import sys
import sysconfig
from types import ModuleType

__all__ = ["clear_cache", "detect_source", "existing_file"]

# Programs that run other people's code: as __main__ they say nothing about the user's source.
# fmt: off
_LAUNCHERS = frozenset({
    "pytest", "py.test", "_pytest", "ipykernel_launcher", "ipykernel", "IPython", "ipython",
    "jupyter", "papermill", "pydevd", "debugpy", "coverage", "runpy", "unittest", "mltrack",
})
# fmt: on


@functools.cache
def _installed_roots() -> tuple[str, ...]:
    names = ("stdlib", "platstdlib", "purelib", "platlib", "scripts")
    paths = sysconfig.get_paths()
    return tuple({os.path.realpath(paths[n]) + os.sep for n in names if n in paths})


@functools.lru_cache(maxsize=64)
def _classify_main_file(file: str, module: str | None) -> tuple[str, str | None]:
    path = os.path.realpath(file)
    stem = os.path.splitext(os.path.basename(path))[0]
    launcher = module.removesuffix(".__main__") if module else stem
    if launcher.split(".")[0] in _LAUNCHERS or stem in _LAUNCHERS:
        return launcher, None
    if path.startswith(_installed_roots()):  # console scripts, stdlib, site-packages
        return launcher, None
    return path, path


def detect_source(main: ModuleType | None) -> tuple[str, str | None]:
    """Return (source name, source file or None) of the program run as ``__main__``."""
    file = getattr(main, "__file__", None)
    # `python - < script.py` sets __file__ to "<stdin>": a pseudo-name, not a path.
    if isinstance(file, str) and file and not file.startswith("<"):
        spec = getattr(main, "__spec__", None)
        return _classify_main_file(file, getattr(spec, "name", None))
    interactive = hasattr(sys, "ps1") or sys.flags.interactive or "IPython" in sys.modules
    return ("<interactive>" if interactive else "<stdin>"), None


@functools.lru_cache(maxsize=64)
def existing_file(name: str) -> str | None:
    """Return the real path of ``name`` if it is an existing file, else None."""
    return os.path.realpath(name) if os.path.isfile(name) else None


def clear_cache() -> None:
    """Forget cached path classifications."""
    _classify_main_file.cache_clear()
    existing_file.cache_clear()
