"""Open a saved model for one flavor: the step every flavor's ``load_model`` starts with."""

from __future__ import annotations

import os
from typing import Any

from jupyter_mltrack._types import PathLike
from jupyter_mltrack.errors import ModelFormatError

__all__ = ["open_flavor"]


def open_flavor(model_dir: PathLike, flavor: str, *, verify: bool) -> tuple[str, dict[str, Any]]:
    """Return ``(directory, flavor conf)`` of a model, its files checked and its code importable.

    Raises:
        ModelFormatError: The model has no ``flavor``, or a file changed since saving (checked
            only with ``verify``).
    """
    from jupyter_mltrack.models.mlmodel import Model
    from jupyter_mltrack.models.pyfunc import verify_model_files
    from jupyter_mltrack.models.pyfunc_custom import add_code_to_path

    directory = os.fspath(model_dir)
    mlmodel = Model.load(directory)
    conf = mlmodel.flavors.get(flavor)
    if conf is None:
        raise ModelFormatError(
            f"The model at {directory!r} has no {flavor} flavor (flavors: "
            f"{', '.join(mlmodel.flavors) or 'none'}); load it with jupyter_mltrack.pyfunc"
        )
    if verify:
        verify_model_files(directory, mlmodel)
    add_code_to_path(directory, conf.get("code"))
    return directory, conf
