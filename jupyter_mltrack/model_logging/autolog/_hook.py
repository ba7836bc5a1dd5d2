"""Post-import hooks: call a function when a module finishes importing, never import it ourselves.

:func:`when_imported` calls ``hook(module)`` at once when the module is already imported, else
the first time it finishes importing. A finder placed first on ``sys.meta_path`` asks the other
finders for the module's spec and wraps that spec's loader's ``exec_module``, so the hook runs
right after the module's code has executed, in the importing thread. The module's loader stays
the original object (``module.__loader__`` is untouched): only the one spec being imported is
affected, and the wrapper removes itself after its first call.

A hook that raises is logged as a warning; an import never fails because of a hook.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

__all__ = ["clear", "hooked_modules", "when_imported"]

logger = logging.getLogger("jupyter_mltrack.autolog")

Hook = Callable[[ModuleType], None]

_lock = threading.RLock()
_hooks: dict[str, Hook] = {}
#: Names whose spec this thread is looking up through the other finders (no recursion into us).
_local = threading.local()


def when_imported(name: str, hook: Hook) -> None:
    """Call ``hook(module)`` now if ``name`` is imported, else when its import finishes.

    One hook per module name: registering again replaces the previous hook.
    """
    with _lock:
        _hooks[name] = hook
        _install()
    module = sys.modules.get(name)
    if module is not None and not _initializing(module):
        _fire(name, module)


def clear() -> None:
    """Forget every hook and take the finder off ``sys.meta_path``."""
    with _lock:
        _hooks.clear()
        for finder in [f for f in sys.meta_path if isinstance(f, _PostImportFinder)]:
            sys.meta_path.remove(finder)


def hooked_modules() -> list[str]:
    """Return the module names with a hook waiting, sorted."""
    with _lock:
        return sorted(_hooks)


def _install() -> None:
    if not any(isinstance(f, _PostImportFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _PostImportFinder())


def _initializing(module: ModuleType) -> bool:
    spec = getattr(module, "__spec__", None)
    return bool(getattr(spec, "_initializing", False))


def _fire(name: str, module: ModuleType) -> None:
    with _lock:
        hook = _hooks.get(name)
    if hook is None:
        return
    try:
        hook(module)
    except Exception as exc:  # an import must never fail because of autologging
        logger.warning("Post-import hook for %s failed: %s", name, exc, exc_info=True)


class _PostImportFinder(importlib.abc.MetaPathFinder):
    """Find nothing itself: wrap the loader of a hooked module found by the finders after it."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        with _lock:
            wanted = fullname in _hooks
        busy: set[str] = _local.__dict__.setdefault("busy", set())
        if not wanted or fullname in busy:
            return None
        busy.add(fullname)
        try:
            spec = _find_with_others(self, fullname, path, target)
        finally:
            busy.discard(fullname)
        if spec is not None and spec.loader is not None:
            _wrap_exec_module(spec)
        return spec


def _find_with_others(
    me: object, fullname: str, path: Sequence[str] | None, target: ModuleType | None
) -> importlib.machinery.ModuleSpec | None:
    for finder in list(sys.meta_path):
        find = getattr(finder, "find_spec", None)
        if finder is me or find is None:
            continue
        spec: importlib.machinery.ModuleSpec | None = find(fullname, path, target)
        if spec is not None:
            return spec
    return None


def _wrap_exec_module(spec: importlib.machinery.ModuleSpec) -> None:
    loader: Any = spec.loader
    original = getattr(loader, "exec_module", None)
    if original is None:
        return  # a legacy load_module-only loader: left alone (not hooked)
    name = spec.name

    def exec_module(module: ModuleType) -> None:
        if wrapper_on_instance:
            with contextlib.suppress(AttributeError):
                del loader.exec_module
        original(module)
        if module.__name__ == name:
            _fire(name, sys.modules.get(name, module))

    try:
        # Loaders of source, bytecode and extension files are per-module objects: an instance
        # attribute affects this import only and keeps ``module.__loader__`` the real loader.
        loader.exec_module = exec_module
        wrapper_on_instance = True
    except (AttributeError, TypeError):
        spec.loader = _ChainedLoader(loader, exec_module)
        wrapper_on_instance = False


class _ChainedLoader(importlib.abc.Loader):
    """A loader that cannot take an instance attribute: delegate to it, hooking exec_module."""

    def __init__(self, loader: Any, exec_module: Callable[[ModuleType], None]) -> None:
        self._loader = loader
        self._exec_module = exec_module

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = self._loader
        self._exec_module(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)
