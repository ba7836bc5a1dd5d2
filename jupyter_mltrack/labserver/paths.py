"""Paths given by the browser, confined to the Jupyter server's root folder."""

from __future__ import annotations

import os

from jupyter_mltrack.errors import InvalidParameterError, NotFoundError

__all__ = ["confined_notebook", "inside_root"]


def inside_root(root: str, path: str) -> str | None:
    """Return ``path`` (absolute, or relative to ``root``) relative to ``root``, or None outside.

    Symlinks are resolved first, so a link that points out of the root is outside.
    """
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(real_root, path))
    if os.path.commonpath([real_root, real]) != real_root:
        return None
    return os.path.relpath(real, real_root).replace(os.sep, "/")


def confined_notebook(root: str, path: object) -> str:
    """Return the absolute real path of notebook ``path`` (relative to ``root``) after checks.

    Raises:
        InvalidParameterError: ``path`` is not a relative path, resolves outside the server's
            root folder (``..``, absolute, a symlink out), or is not a ``.ipynb`` file.
        NotFoundError: Nothing is at ``path``.
    """
    if not isinstance(path, str) or not path.strip() or "\x00" in path:
        raise InvalidParameterError(
            "path must be a notebook path relative to the server's root folder, e.g. 'train.ipynb'"
        )
    if os.path.isabs(path) or path.startswith("~"):
        raise InvalidParameterError(
            f"path {path!r} is absolute; give it relative to the server's root folder"
        )
    relative = inside_root(root, path)
    if relative is None:
        raise InvalidParameterError(
            f"path {path!r} is outside the server's root folder; only notebooks under it can run"
        )
    real = os.path.join(os.path.realpath(root), relative)
    if not os.path.exists(real):
        raise NotFoundError(f"No notebook at {path!r} under the server's root folder")
    if not os.path.isfile(real) or not real.endswith(".ipynb"):
        raise InvalidParameterError(f"path {path!r} is not a notebook (.ipynb) file")
    return real
