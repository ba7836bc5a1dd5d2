"""Projects: folders or Git repositories of notebooks and commands run as tracked runs.

``run(uri, entry_point, parameters)`` executes one entry point (a notebook with papermill, or
an ``MLproject`` command) as a PROJECT run (:mod:`~jupyter_mltrack.projects.runner`), from a
folder or a Git repository at a pinned version, optionally in a built environment; with
``synchronous=False`` it returns a :class:`SubmittedRun`. ``sweep`` runs many trials of it and
``rerun`` re-executes a past run. See :mod:`~jupyter_mltrack.projects.spec` and
:mod:`~jupyter_mltrack.projects.mlproject` for the project formats. Nothing in the core imports
this package.
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
from jupyter_mltrack.projects.submitted import SubmittedRun
from jupyter_mltrack.projects.sweep import SweepInterrupted, sweep

__all__ = [
    "EntryPoint",
    "ParameterSpec",
    "ProjectSpec",
    "SubmittedRun",
    "SweepInterrupted",
    "load_project",
    "rerun",
    "run",
    "sweep",
    "validate_parameters",
]
