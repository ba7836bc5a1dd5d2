"""Artifact repositories: where a run's files live (local folder, fsspec filesystems, plugins).

Open one with :func:`get_artifact_repository` on a run's artifact URI. Importing this package is
cheap: fsspec is imported only when a non-local repository is opened.
"""

from jupyter_mltrack.artifacts.base import ArtifactRepository
from jupyter_mltrack.artifacts.fsspec_repo import FsspecArtifactRepository
from jupyter_mltrack.artifacts.local import LocalArtifactRepository
from jupyter_mltrack.artifacts.registry import (
    ArtifactRepositoryFactory,
    get_artifact_repository,
    register_artifact_repository,
    resolve_uri,
)

__all__ = [
    "ArtifactRepository",
    "ArtifactRepositoryFactory",
    "FsspecArtifactRepository",
    "LocalArtifactRepository",
    "get_artifact_repository",
    "register_artifact_repository",
    "resolve_uri",
]
