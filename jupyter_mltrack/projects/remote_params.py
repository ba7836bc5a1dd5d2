"""``path`` parameters given as remote URIs, downloaded to local files before the run starts.

As in MLflow, the code of a project sees a local path: ``runs:/<run id>/<path>`` comes from the
run's artifacts, ``models:/<name>/<version>`` from the registry, and every other scheme
(``s3://``, ``gs://``, ``memory://``, ``https://``...) through fsspec. The run's parameter keeps
the URI, so a re-run downloads it again.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from jupyter_mltrack.errors import InvalidParameterError, MltrackError
from jupyter_mltrack.projects.params import is_remote

__all__ = ["download_remote_paths", "has_remote_paths"]


def has_remote_paths(types: Mapping[str, str], values: Mapping[str, Any]) -> bool:
    """Whether any ``path`` parameter of ``values`` is a remote URI."""
    return any(_remote_path(types.get(k), v) for k, v in values.items())


def download_remote_paths(
    types: Mapping[str, str], values: Mapping[str, Any], dst_dir: str, tracking_uri: str
) -> dict[str, Any]:
    """Return ``values`` with each remote ``path`` replaced by a local copy under ``dst_dir``.

    Raises:
        InvalidParameterError: A URI cannot be downloaded (the message names the parameter).
    """
    local = dict(values)
    for position, (name, value) in enumerate(values.items()):
        if not _remote_path(types.get(name), value):
            continue
        target = os.path.join(dst_dir, f"param_{position}")
        os.makedirs(target, exist_ok=True)
        try:
            local[name] = _download(str(value), target, tracking_uri)
        except MltrackError as exc:
            raise InvalidParameterError(
                f"Parameter {name!r}: cannot download {value!r}: {exc}"
            ) from None
        except (OSError, ValueError, ImportError) as exc:
            raise InvalidParameterError(
                f"Parameter {name!r}: cannot download {value!r} ({type(exc).__name__}: {exc})"
            ) from None
    return local


def _remote_path(type_: str | None, value: Any) -> bool:
    return type_ == "path" and isinstance(value, str) and is_remote(value)


def _download(uri: str, target: str, tracking_uri: str) -> str:
    if uri.startswith("runs:"):
        from jupyter_mltrack.models.uri import split_runs_uri
        from jupyter_mltrack.tracking.runs_uri import resolve_runs_uri

        if not split_runs_uri(uri)[1]:
            raise InvalidParameterError("expected runs:/<run id>/<artifact path>")
        return resolve_runs_uri(uri, tracking_uri=tracking_uri, dst_path=target)
    if uri.startswith("models:"):
        from jupyter_mltrack.models.uri import resolve_model_uri

        return resolve_model_uri(uri, tracking_uri=tracking_uri)
    return _download_fsspec(uri, target)


def _download_fsspec(uri: str, target: str) -> str:
    import fsspec

    fs, path = fsspec.core.url_to_fs(uri)
    if not fs.exists(path):
        raise FileNotFoundError(f"{uri} does not exist")
    dst = os.path.join(target, os.path.basename(path.rstrip("/")) or "download")
    if fs.isdir(path):
        fs.get(path.rstrip("/") + "/", dst, recursive=True)
    else:
        fs.get(path, dst)
    return dst
