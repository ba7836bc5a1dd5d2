"""Reserved tag keys that the tracking layer sets on runs.

Every key lives under the ``mltrack.`` prefix so user tags never collide with them.
"""

from __future__ import annotations

__all__ = [
    "GIT_BRANCH",
    "GIT_COMMIT",
    "GIT_DIRTY",
    "GIT_REPO_URL",
    "HOSTNAME",
    "NOTE",
    "PARENT_RUN_ID",
    "PYTHON_VERSION",
    "RERUN_OF",
    "RUN_NAME",
    "SOURCE_NAME",
    "SOURCE_TYPE",
    "USER",
]

USER = "mltrack.user"
SOURCE_NAME = "mltrack.source.name"
SOURCE_TYPE = "mltrack.source.type"
GIT_COMMIT = "mltrack.source.git.commit"
GIT_BRANCH = "mltrack.source.git.branch"
GIT_DIRTY = "mltrack.source.git.dirty"
GIT_REPO_URL = "mltrack.source.git.repoURL"
PYTHON_VERSION = "mltrack.python.version"
HOSTNAME = "mltrack.hostname"
RUN_NAME = "mltrack.runName"
PARENT_RUN_ID = "mltrack.parentRunId"
NOTE = "mltrack.note.content"
#: On a run that re-executes another (``%%track --rerun`` or ``projects.rerun``): the original.
RERUN_OF = "mltrack.rerunOf"
