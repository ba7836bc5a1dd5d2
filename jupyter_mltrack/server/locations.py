"""Artifact locations as the tracking server stores them, following MLflow's server.

``mltrack server --default-artifact-root URI`` gives new experiments ``<URI>/<experiment_id>``
and ``experiments/create`` may name its own ``artifact_location``. Either one, when it is a local
path or ``file:`` URI that is relative, is made absolute against the server's working directory
(MLflow's ``resolve_uri_if_local``): a relative location would otherwise mean a different folder
to every client. Locations with URL fragments or params, ``..`` in the query, or a ``runs:/``
scheme are refused with MLflow's messages.
"""

from __future__ import annotations

import os
import pathlib
import urllib.parse

from jupyter_mltrack.errors import InvalidParameterError

__all__ = [
    "ALLOW_HOST_SCHEMES_ENV",
    "HOST_ADDRESSED_SCHEMES",
    "absolute_if_local",
    "check_experiment_location",
]


def absolute_if_local(uri: str) -> str:
    """Return ``uri`` with a relative local path made absolute against the working directory.

    ``art`` becomes ``/srv/art``, ``file:art`` becomes ``file:///srv/art``; absolute paths and
    URIs with any other scheme (``s3://``, ``mlflow-artifacts:/``) are returned unchanged.

    Example:
        >>> absolute_if_local("s3://bucket/root")
        's3://bucket/root'
    """
    split = urllib.parse.urlsplit(uri)
    scheme = split.scheme.lower()
    if len(scheme) == 1:  # a Windows drive letter: already absolute
        return uri
    if scheme == "":
        path = pathlib.Path(uri)
        return uri if path.is_absolute() else pathlib.Path.cwd().joinpath(path).as_posix()
    if scheme != "file" or split.netloc not in ("", "localhost", "127.0.0.1"):
        return uri
    path = pathlib.Path(urllib.parse.unquote(split.path))
    if path.is_absolute():
        return uri
    absolute = pathlib.Path.cwd().joinpath(path).as_posix()
    return urllib.parse.urlunsplit(("file", "", absolute, split.query, split.fragment))


#: Schemes MLflow's server refuses as experiment locations (and so do we), unless allowed.
HOST_ADDRESSED_SCHEMES = frozenset({"http", "https", "ftp", "sftp", "hdfs"})
#: Comma-separated schemes of HOST_ADDRESSED_SCHEMES the operator allows (MLflow: MLFLOW_...).
ALLOW_HOST_SCHEMES_ENV = "MLTRACK_ALLOWED_HOST_ADDRESSED_ARTIFACT_SCHEMES"


def check_experiment_location(location: str) -> str:
    """Validate an ``experiments/create`` ``artifact_location`` and return it as stored.

    Raises:
        InvalidParameterError: The location has URL fragments or params, ``..`` in its query,
            or is a ``runs:/`` URI (MLflow's messages, so clients see the same errors).

    Example:
        >>> check_experiment_location("s3://bucket/team/exp")
        's3://bucket/team/exp'
    """
    parsed = urllib.parse.urlparse(location)
    if parsed.fragment or parsed.params:
        raise InvalidParameterError("'artifact_location' URL can't include fragments or params.")
    if ".." in _fully_unquoted(parsed.query):
        raise InvalidParameterError("Invalid query string")
    if location.startswith("runs:"):
        raise InvalidParameterError(
            f"Artifact location cannot be a runs:/ URI. Given: '{location}'"
        )
    scheme = parsed.scheme.lower()
    if scheme in HOST_ADDRESSED_SCHEMES and scheme not in _allowed_host_schemes():
        # The server lists and serves a run's artifacts itself: a location on a host of the
        # client's choosing would make it connect there (server-side request forgery).
        raise InvalidParameterError(
            f"'artifact_location' cannot use the '{scheme}' scheme: the '{scheme}' scheme "
            "addresses a host other than the tracking server's configured artifact storage, "
            "so the server would connect to the host named in the URI. Set the "
            f"{ALLOW_HOST_SCHEMES_ENV} environment variable on the server to allow it."
        )
    return absolute_if_local(location)


def _allowed_host_schemes() -> set[str]:
    """The host-addressed schemes the server's operator allowed (comma-separated, any case)."""
    text = os.environ.get(ALLOW_HOST_SCHEMES_ENV, "")
    return {part.strip().lower() for part in text.split(",") if part.strip()}


def _fully_unquoted(text: str) -> str:
    """Percent-decode until nothing changes (double-encoded ``%252e`` hides ``..`` otherwise)."""
    for _ in range(10):
        decoded = urllib.parse.unquote(text)
        if decoded == text:
            break
        text = decoded
    return text
