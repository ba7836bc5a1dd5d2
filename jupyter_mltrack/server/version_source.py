"""Which model version sources the server accepts: the rules (and words) of MLflow's server.

A registered version's source is later downloaded *by the server* (``get-download-uri``, the
artifact proxy), so a client must not be able to point it anywhere it likes:

- no relative references (``..``, also percent-encoded) in any source;
- no ``http(s)`` sources, which would make the server connect to a host of the client's choice;
- a local path (or ``file://``) only inside the artifact folder of the run named by ``run_id``;
- ``runs:/<id>/...`` and ``mlflow-artifacts:/...`` only with the ``run_id`` that holds them;
- object-store URIs (``s3://``, ``gs://``, ``dbfs:/`` ...) and ``models:/`` as given.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable
from urllib.parse import unquote, urlparse

from jupyter_mltrack.errors import InvalidParameterError

__all__ = ["check_version_source"]

_HOST_SCHEMES = frozenset({"http", "https"})
_LOCAL_SCHEMES = frozenset({"", "file"})
_DOT_DOT = re.compile(r"(^|/)\.\.(/|$)")
_NO_RELATIVE = (
    "If supplying a source as an http, https, local file path, ftp, objectstore, or "
    "mlflow-artifacts uri, an absolute path must be provided without relative path references "
    "present. Please provide an absolute path."
)
_RUN_MUST_HOLD = "The run_id request parameter must identify the resource that contains the source."
_LOCAL_NEEDS_RUN = (
    "To use a local path as a model version source, the run_id request parameter has to be "
    "specified and the local path has to be contained within the artifact directory of the run "
    "specified by the run_id."
)


def check_version_source(
    source: str, run_id: str | None, run_artifact_uri: Callable[[str], str]
) -> None:
    """Refuse ``source`` (InvalidParameterError, MLflow's message) unless MLflow would accept it.

    Args:
        source: The ``source`` of a ``model-versions/create`` request.
        run_id: Its ``run_id``, if any.
        run_artifact_uri: Returns a run's artifact URI (raises RunNotFound for an unknown run).
    """
    scheme = urlparse(source).scheme.lower() if "://" in source or ":/" in source else ""
    if scheme in _HOST_SCHEMES:
        raise InvalidParameterError(
            f"'source' cannot use the '{scheme}' scheme: the '{scheme}' scheme addresses a host "
            "other than the tracking server's configured artifact storage, so the server would "
            "connect to the host named in the URI."
        )
    if _DOT_DOT.search(unquote(unquote(source)).replace("\\", "/")):
        raise _invalid(source, _NO_RELATIVE)
    if scheme == "runs":
        held_by = source.removeprefix("runs:").lstrip("/").split("/", 1)[0]
        if not run_id or held_by != run_id:
            raise _invalid(source, _RUN_MUST_HOLD)
    elif scheme == "mlflow-artifacts":
        if not run_id or not _within(source, run_artifact_uri(run_id)):
            raise _invalid(source, _RUN_MUST_HOLD)
    elif (
        scheme in _LOCAL_SCHEMES
        and not _windows_drive(source)
        and (not run_id or not _local_within(source, run_artifact_uri(run_id)))
    ):
        raise _invalid(source, _LOCAL_NEEDS_RUN)


def _invalid(source: str, why: str) -> InvalidParameterError:
    return InvalidParameterError(f"Invalid model version source: '{source}'. {why}")


def _within(uri: str, root: str) -> bool:
    """Whether ``uri`` is ``root`` or below it (same scheme, path prefix on segments)."""
    uri, root = uri.rstrip("/"), root.rstrip("/")
    return uri == root or uri.startswith(root + "/")


def _local_within(source: str, artifact_uri: str) -> bool:
    """Whether a local path lies inside a run's local artifact folder (symlinks resolved)."""
    root_scheme = urlparse(artifact_uri).scheme.lower()
    if root_scheme not in _LOCAL_SCHEMES or _windows_drive(artifact_uri):
        return False  # a proxied or remote run: no local path can be inside it
    path = os.path.realpath(_local_path(source))
    root = os.path.realpath(_local_path(artifact_uri))
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _local_path(uri: str) -> str:
    if uri.startswith("file:"):
        return unquote(urlparse(uri).path)
    return uri


def _windows_drive(value: str) -> bool:
    return bool(re.match(r"^[A-Za-z]:[\\/]", value)) and posixpath.sep not in value[:2]
