"""Import ``skops.io`` without paying, at import, for trust lists that saving does not read.

``skops.io._trusted_types`` computes at import the names of every type skops trusts by default.
Three of those lists are expensive: the scikit-learn estimators come from
``sklearn.utils.all_estimators()``, which imports every public scikit-learn module and walks
``sklearn.externals`` (importing torch, dask or pytest when installed: seconds), and the numpy and
scipy ufuncs are each looked up across all of ``sys.modules``. Only auditing a file (loading it,
``get_untrusted_types``) reads them; writing one does not.

:func:`import_skops_io` therefore imports ``skops.io`` with a stand-in for that module, in the
calling thread (a background import once raced the user's own scikit-learn imports). The cheap
lists are skops' own, computed by its module's code with the expensive calls left out; each
expensive list is a :class:`_LazyNames` that runs skops' real module the first time anything
reads it, so a later load trusts exactly what skops would have trusted. While saving,
:func:`assuming_estimators` lets this thread read the estimator list as the few names it needs
(see ``_skops.py``) without computing the whole of it.
"""

from __future__ import annotations

import builtins
import importlib.util
import os
import sys
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["assuming_estimators", "import_skops_io"]

_NAME = "skops.io._trusted_types"
_ESTIMATORS = "SKLEARN_ESTIMATOR_TYPE_NAMES"
#: The lists whose computation is the cost; everything else comes from the cheap execution.
_EXPENSIVE = frozenset({_ESTIMATORS, "SCIPY_UFUNC_TYPE_NAMES", "NUMPY_UFUNC_TYPE_NAMES"})
_install_lock = threading.Lock()
#: Guards the executions of skops' module (held while it imports, never while waiting for one).
_lock = threading.RLock()
_assumed = threading.local()


def import_skops_io() -> Any:
    """Return ``skops.io``, importing it with the deferred trust lists if nobody has yet."""
    module = sys.modules.get("skops.io")
    if module is not None:
        return module
    # Only the stand-in's installation is locked: holding a lock across the import itself
    # could deadlock with another thread importing skops.io (its import lock, then ours).
    with _install_lock:
        if "skops.io" not in sys.modules and _NAME not in sys.modules:
            spec = importlib.util.find_spec("skops")  # imports only skops/__init__ (a version)
            origin = spec.origin if spec is not None else None
            path = os.path.join(os.path.dirname(origin or ""), "io", "_trusted_types.py")
            if origin and os.path.isfile(path):
                sys.modules[_NAME] = _TrustedTypes(path)
    try:
        import skops.io
    except BaseException:
        with _install_lock:
            if isinstance(sys.modules.get(_NAME), _TrustedTypes) and "skops.io" not in sys.modules:
                del sys.modules[_NAME]
        raise
    stand_in = sys.modules.get(_NAME)
    if isinstance(stand_in, _TrustedTypes):
        skops.io._trusted_types = stand_in  # what the import system would have set
    return skops.io


@contextmanager
def assuming_estimators(names: list[str]) -> Iterator[None]:
    """In this thread, read an uncomputed estimator list as ``names`` until the block ends."""
    previous = getattr(_assumed, "names", None)
    _assumed.names = names
    try:
        yield
    finally:
        _assumed.names = previous


class _TrustedTypes(types.ModuleType):
    """Stands in for ``skops.io._trusted_types``; attributes are computed on first access."""

    def __init__(self, path: str) -> None:
        super().__init__(_NAME)
        self.__file__ = path
        self._path = path
        self._cheap: dict[str, Any] | None = None
        self._real: types.ModuleType | None = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name in _EXPENSIVE:
            value: Any = _LazyNames(self, name)
        else:
            cheap = self._cheap_names()
            if name not in cheap:
                # Module scans (pickle's whichmodule, skops' own) probe every module in
                # sys.modules for arbitrary names and expect AttributeError for a miss.
                raise AttributeError(f"module {_NAME!r} has no attribute {name!r}")
            value = cheap[name]
        setattr(self, name, value)
        return value

    def _cheap_names(self) -> dict[str, Any]:
        with _lock:
            if self._cheap is None:
                self._cheap = _execute(self._path, _cheap_import)
            return self._cheap

    def real(self) -> types.ModuleType:
        """skops' own module, executed once (the expensive lists included)."""
        with _lock:
            if self._real is None:
                module = types.ModuleType(_NAME)
                module.__dict__.update(_execute(self._path, builtins.__import__))
                self._real = module
            return self._real


def _execute(path: str, importer: Any) -> dict[str, Any]:
    """Run skops' module file in a fresh namespace whose imports go through ``importer``."""
    namespace: dict[str, Any] = {
        "__name__": _NAME,
        "__package__": "skops.io",
        "__file__": path,
        "__builtins__": {**vars(builtins), "__import__": importer},
    }
    with open(path, encoding="utf-8") as source:
        code = compile(source.read(), path, "exec")
    exec(code, namespace)  # skops' own installed module, run as its import would run it
    namespace["__builtins__"] = builtins
    return namespace


def _no_names(*_args: object, **_kwargs: object) -> list[Any]:
    return []


def _cheap_import(
    name: str,
    globals: dict[str, Any] | None = None,
    locals: dict[str, Any] | None = None,
    fromlist: tuple[str, ...] | list[str] | None = (),
    level: int = 0,
) -> Any:
    """``__import__`` that hands the module the expensive helpers as no-ops."""
    module = builtins.__import__(name, globals, locals, fromlist or (), level)
    wanted = set(fromlist or ())
    if not wanted & {"all_estimators", "get_public_type_names"}:
        return module
    found = {attr: getattr(module, attr) for attr in wanted}
    for attr in wanted & {"all_estimators", "get_public_type_names"}:
        found[attr] = _no_names
    return types.SimpleNamespace(**found)


class _LazyNames(list):  # type: ignore[type-arg]
    """One expensive list of skops' trusted type names, computed when first read."""

    def __init__(self, owner: _TrustedTypes, name: str) -> None:
        super().__init__()
        self._owner = owner
        self._name = name
        self._filled = False

    def _items(self) -> list[str]:
        if not self._filled:
            assumed = getattr(_assumed, "names", None)
            if assumed is not None and self._name == _ESTIMATORS:
                return list(assumed)
            with _lock:
                if not self._filled:
                    list.extend(self, getattr(self._owner.real(), self._name))
                    self._filled = True
        return list(list.__iter__(self))

    def __iter__(self) -> Iterator[str]:
        return iter(self._items())

    def __len__(self) -> int:
        return len(self._items())

    def __bool__(self) -> bool:
        return bool(self._items())

    def __contains__(self, item: object) -> bool:
        return item in self._items()

    def __getitem__(self, index: Any) -> Any:
        return self._items()[index]

    def __add__(self, other: Any) -> Any:
        return self._items() + list(other)

    def __radd__(self, other: Any) -> Any:
        return list(other) + self._items()

    def __eq__(self, other: object) -> bool:
        return self._items() == other

    def __repr__(self) -> str:
        return repr(self._items())

    def __reversed__(self) -> Iterator[str]:
        return reversed(self._items())

    def index(self, *args: Any) -> int:
        return self._items().index(*args)

    def count(self, item: Any) -> int:
        return self._items().count(item)

    def copy(self) -> list[str]:
        return self._items()

    __hash__ = None  # type: ignore[assignment]
