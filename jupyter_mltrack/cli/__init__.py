"""The ``mltrack`` command line: a thin adapter over the library, one module per noun.

The entry point is :func:`jupyter_mltrack.cli.main.main`. This package imports nothing on its
own so that ``python -m jupyter_mltrack.cli.main`` runs cleanly.
"""
