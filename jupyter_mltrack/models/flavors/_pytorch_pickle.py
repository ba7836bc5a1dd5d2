"""A ``pickle_module`` for ``torch.save`` that pickles with cloudpickle (MLflow's default).

``torch.save(model, f, pickle_module=this_module)`` uses ``Pickler`` from the module given:
cloudpickle's own ``Pickler`` name is the standard library's class, so this module exposes
``CloudPickler`` under that name, which lets models whose classes live in ``__main__`` (a
notebook) be saved by value. Loading uses the standard ``Unpickler``: cloudpickle files are plain
pickles.

MLflow's equivalent is ``mlflow.pytorch.pickle_module``; models saved here record that name so
MLflow loads them, and the loader maps it back to this module.
"""

from __future__ import annotations

from pickle import Unpickler  # noqa: F401  (torch.load looks it up on the module)

from cloudpickle import *  # noqa: F403  (torch.save may use any pickle-module function)
from cloudpickle import CloudPickler as Pickler  # noqa: F401
