"""App mode: widgets on a page served to visitors never write on the server or show its paths.

A Voila app (``mltrack dashboard``) runs the widgets in a kernel on the server, for people who
did not start that kernel. Whatever those visitors can click or type must stay harmless: no
widget may write a file on the server, and no page may reveal the server's file layout (store
URI, artifact root, notebook paths). :func:`enable_app_mode` switches the whole kernel into that
mode before the first widget is built; it cannot be switched off again, so no code path of the
page can reopen the door.

In a notebook the user runs themselves, saving an artifact to a folder is allowed, but only
into a folder under the working directory: :func:`confined_folder` resolves the folder and
refuses ``..``, absolute paths and symlinks that lead out of it.
"""

from __future__ import annotations

import os
import posixpath
import threading
from pathlib import Path

from jupyter_mltrack.errors import InvalidParameterError

__all__ = ["app_mode", "confined_folder", "enable_app_mode", "shown_path"]

#: URI schemes that name runs and models, not places: safe to show.
_LOGICAL_SCHEMES = ("runs:/", "models:/")
_lock = threading.Lock()
_enabled = False


def enable_app_mode() -> None:
    """Put this kernel into app mode for good (see the module docstring)."""
    global _enabled
    with _lock:
        _enabled = True


def app_mode() -> bool:
    """Return whether the widgets of this kernel are served to visitors (no writes, no paths)."""
    return _enabled


def shown_path(value: str | None, *, cut: bool | None = None) -> str | None:
    """Return ``value`` as a page may show it: in app mode only a file name, never a full path.

    Outside app mode everything passes unchanged. In app mode logical URIs (``runs:/``,
    ``models:/``), which name no place on the server, pass too; every other path-like value
    (a file path, ``file://``, ``s3://`` or a database URI) is cut to its last component.
    ``cut=True`` cuts whatever the mode (a page written for other people, such as the static
    model report), ``cut=False`` never cuts.
    """
    cut = app_mode() if cut is None else cut
    if value is None or not cut or value.startswith(_LOGICAL_SCHEMES):
        return value
    tail = value.rstrip("/\\")
    if "://" in tail or ":\\" in tail or tail.startswith(("/", "~", ".")) or "/" in tail:
        return posixpath.basename(tail.replace("\\", "/")) or "(hidden)"
    return value


def confined_folder(folder: str, *, base: str | os.PathLike[str] | None = None) -> Path:
    """Resolve ``folder`` to a directory under ``base`` (default: the working directory).

    The folder may be relative (``"downloads"``) or absolute, but its real path, after
    following every symlink, must lie inside ``base``'s real path.

    Raises:
        InvalidParameterError: In app mode (visitors never write on the server), or when the
            folder is empty or resolves outside ``base``.
    """
    if app_mode():
        raise InvalidParameterError(
            "Saving files on the server is disabled in this app; use Download instead"
        )
    if not folder or not folder.strip() or "\x00" in folder:
        raise InvalidParameterError("Give a folder to save into, e.g. 'mltrack-downloads'")
    root = Path(base if base is not None else os.getcwd()).resolve()
    target = (root / folder.strip()).resolve()  # absolute input replaces root; .. is collapsed
    if target != root and root not in target.parents:
        raise InvalidParameterError(
            f"Folder {folder!r} is outside the working directory {str(root)!r}; "
            "save into a folder under it (e.g. 'mltrack-downloads')"
        )
    return target
