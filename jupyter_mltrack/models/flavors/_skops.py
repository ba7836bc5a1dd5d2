"""skops files with trusted types worked out at save time instead of listed by hand.

skops refuses to load types it does not trust by default. At save time we ask skops which types
the dumped file needs trusted; those from scikit-learn, numpy and scipy are recorded in the
``MLmodel`` (MLflow's ``skops_trusted_types`` key, so MLflow loads the file too) and trusted again
automatically on load. Any other type must be named by the caller, at save time and at load
time: the ``MLmodel`` never makes us trust a type outside those libraries on its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
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
    import skops.io as sio

    data = sio.dumps(estimator)
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


def load_skops(path: str, recorded: Iterable[str] | None, trusted: Iterable[str] | None) -> Any:
    """Load a skops file, trusting the recorded scikit-learn/numpy/scipy types and ``trusted``.

    Raises:
        ModelFormatError: The file needs other types trusted; the message names them.
    """
    import skops.io as sio
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
