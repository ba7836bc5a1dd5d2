"""Notebook projects: folders of parameterized notebooks run as tracked, reproducible runs.

``run(uri, entry_point, parameters)`` executes one entry point with papermill as a PROJECT run
(:mod:`~jupyter_mltrack.projects.runner`); ``sweep`` runs many trials of it and ``rerun``
re-executes a past run. See :mod:`~jupyter_mltrack.projects.spec` for the project format.
Nothing in the core imports this package.
"""

from __future__ import annotations

from jupyter_mltrack.projects.rerun import rerun
from jupyter_mltrack.projects.runner import run
from jupyter_mltrack.projects.spec import (
    EntryPoint,
    ParameterSpec,
    ProjectSpec,
    load_project,
    validate_parameters,
)
from jupyter_mltrack.projects.sweep import SweepInterrupted, sweep

__all__ = [
    "EntryPoint",
    "ParameterSpec",
    "ProjectSpec",
    "SweepInterrupted",
    "load_project",
    "rerun",
    "run",
    "sweep",
    "validate_parameters",
]
