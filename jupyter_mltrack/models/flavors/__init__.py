"""Flavors: how each ML library's models are written to and read from a model directory.

``sklearn`` saves scikit-learn estimators; custom Python models live in
:mod:`jupyter_mltrack.models.pyfunc_custom`. Every flavor also writes a ``python_function`` block
so :func:`jupyter_mltrack.pyfunc.load_model` can load it; the loaders are found through the
registry in :mod:`jupyter_mltrack.models.pyfunc`. Nothing here is imported until used.
"""

from __future__ import annotations

__all__: list[str] = []
