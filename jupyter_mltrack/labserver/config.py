"""Which tracking store the Lab API reads, and how its URI is shown to the browser."""

from __future__ import annotations

import os
import re

from jupyter_mltrack.tracking.uri import (
    DEFAULT_FOLDER,
    ENV_TRACKING_URI,
    normalize_tracking_uri,
)

__all__ = ["mask_uri", "resolve_tracking_uri"]

# ``user:secret@`` in the authority, and ``password=...`` style query parameters.
_AUTHORITY_PASSWORD = re.compile(r"(://[^:/@?#]+:)[^/?#]*@")
_QUERY_PASSWORD = re.compile(r"([?&](?:password|passwd|pwd|secret|token)=)[^&#]*", re.IGNORECASE)


def resolve_tracking_uri(configured: str, root_dir: str) -> str:
    """Return the store URI: the configured one, else ``MLTRACK_TRACKING_URI``, else the root's.

    The last resort is the embedded default of the server's root folder
    (``<root_dir>/mltrack/mltrack.db``), the store a notebook at the root logs to by default.

    Example:
        >>> resolve_tracking_uri("", "/srv/work")  # doctest: +SKIP
        'sqlite:////srv/work/mltrack/mltrack.db'
    """
    chosen = configured.strip() or os.environ.get(ENV_TRACKING_URI, "").strip()
    if chosen:
        return normalize_tracking_uri(chosen)
    return normalize_tracking_uri(os.path.join(os.path.abspath(root_dir), DEFAULT_FOLDER))


def mask_uri(uri: str) -> str:
    """Hide passwords in a store URI before it leaves the server.

    Example:
        >>> mask_uri("postgresql://ml:s3cret@db:5432/runs?sslmode=require")
        'postgresql://ml:***@db:5432/runs?sslmode=require'
    """
    return _QUERY_PASSWORD.sub(r"\1***", _AUTHORITY_PASSWORD.sub(r"\1***@", uri))
