"""skops files with trusted types worked out at save time instead of listed by hand.

skops refuses to load types it does not trust by default. At save time we ask skops which types
the dumped file needs trusted; those from scikit-learn, numpy and scipy are recorded in the
``MLmodel`` (MLflow's ``skops_trusted_types`` key, so MLflow loads the file too) and trusted again
automatically on load. Any other type must be named by the caller, at save time and at load
time: the ``MLmodel`` never makes us trust a type outside those libraries on its own.

Saving asks skops which types it does not trust by default without computing its whole default
list of scikit-learn estimators (that imports every scikit-learn module, see
``_skops_import.py``): a scikit-learn type in the file counts as one of those estimators when it
is a concrete public estimator class exported by a public scikit-learn module, which is what
``sklearn.utils.all_estimators`` collects, looked up among the modules already imported.
"""

from __future__ import annotations

import json
import os
import sys
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any

from jupyter_mltrack.errors import InvalidParameterError, ModelFormatError

__all__ = ["AUTO_TRUSTED_PACKAGES", "dump_skops", "load_skops"]

#: Top-level packages whose types are trusted automatically.
AUTO_TRUSTED_PACKAGES = frozenset({"sklearn", "numpy", "scipy"})


def _auto_trusted(type_name: str) -> bool:
    return type_name.split(".", 1)[0] in AUTO_TRUSTED_PACKAGES


def dump_skops(estimator: Any, path: str, trusted: Iterable[str] | None) -> list[str]:
    """Write ``estimator`` to ``path`` with skops; return the types to record as trusted.

    Raises:
        InvalidParameterError: The model holds types outside scikit-learn, numpy and scipy that
            are not in ``trusted``; the message names them.
    """
    from jupyter_mltrack.models.flavors._skops_import import assuming_estimators, import_skops_io

    sio = import_skops_io()
    data = sio.dumps(estimator)
    with assuming_estimators(_default_estimators(_type_names(data))):
        needed = sio.get_untrusted_types(data=data)
    given = set(trusted or ())
    others = [name for name in needed if not _auto_trusted(name) and name not in given]
    if others:
        raise InvalidParameterError(
            f"The model contains types that skops does not trust by default: {others}. If you "
            f"trust them, pass skops_trusted_types={others!r} (also when loading), or save with "
            "serialization_format='cloudpickle' (loading a pickle runs code, so only load it "
            "from trusted sources)"
        )
    with open(path, "wb") as out:
        out.write(data)
    return sorted(needed)


def _type_names(data: bytes) -> set[str]:
    """Return the ``module.Class`` names of every object in a skops file's schema."""
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        schema = json.loads(archive.read("schema.json"))
    return set(_walk_types(schema))


def _walk_types(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        module, name = node.get("__module__"), node.get("__class__")
        if isinstance(module, str) and isinstance(name, str):
            yield f"{module}.{name}"
        for value in node.values():
            yield from _walk_types(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk_types(value)


#: Parts of module names ``sklearn.utils.all_estimators`` does not look into.
_IGNORED_PARTS = frozenset(
    {"tests", "externals", "setup", "conftest", "experimental", "estimator_checks"}
)


def _default_estimators(type_names: Iterable[str]) -> list[str]:
    """Return those of ``type_names`` that skops trusts as scikit-learn estimators."""
    from sklearn.base import BaseEstimator

    wanted = {}
    for type_name in type_names:
        module_name, _, class_name = type_name.rpartition(".")
        cls = getattr(sys.modules.get(module_name), class_name, None)
        if (
            module_name.startswith("sklearn.")
            and isinstance(cls, type)
            and issubclass(cls, BaseEstimator)
            and not getattr(cls, "__abstractmethods__", None)
        ):
            wanted[cls] = type_name
    if not wanted:
        return []
    found = set()
    for module_name, module in list(sys.modules.items()):
        if not _public_sklearn_module(module_name) or module is None:
            continue
        for attr, value in list(vars(module).items()):
            if (
                isinstance(value, type)
                and value in wanted
                and not attr.startswith("_")
                and attr != "BaseEstimator"
            ):
                found.add(wanted[value])
    return sorted(found)


def _public_sklearn_module(name: str) -> bool:
    parts = name.split(".")
    return (
        len(parts) > 1
        and parts[0] == "sklearn"
        and "._" not in name
        and _IGNORED_PARTS.isdisjoint(parts)
    )


def load_skops(path: str, recorded: Iterable[str] | None, trusted: Iterable[str] | None) -> Any:
    """Load a skops file, trusting the recorded scikit-learn/numpy/scipy types and ``trusted``.

    Raises:
        ModelFormatError: The file needs other types trusted; the message names them.
    """
    from jupyter_mltrack.models.flavors._skops_import import import_skops_io

    sio = import_skops_io()
    from skops.io.exceptions import UntrustedTypesFoundException

    allowed = sorted({*(t for t in recorded or () if _auto_trusted(t)), *(trusted or ())})
    try:
        return sio.load(path, trusted=allowed)
    except UntrustedTypesFoundException:
        missing = [t for t in sio.get_untrusted_types(file=path) if t not in allowed]
    name = os.path.basename(path)
    raise ModelFormatError(
        f"The skops file {name!r} contains types that are not trusted automatically: "
        f"{missing}. If you trust this model, load it with "
        f"jupyter_mltrack.sklearn.load_model(uri, skops_trusted_types={missing!r})"
    )
