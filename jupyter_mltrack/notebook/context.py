"""Notebook identity: which ``.ipynb`` this kernel runs, as a run-context provider.

The path is found, in this order, from ``MLTRACK_NOTEBOOK_PATH``; papermill's input path
(``PAPERMILL_INPUT_PATH``, set by our project runner); VS Code's ``__vsc_ipynb_file__``; the
sessions API of a running Jupyter server whose session holds this kernel's id.
"""

from __future__ import annotations

import json
import logging
import os
import re
import urllib.request
from typing import Any

from jupyter_mltrack.entities import SourceType
from jupyter_mltrack.tracking import tags as t
from jupyter_mltrack.tracking.context import RunContextProvider

__all__ = [
    "ENV_NOTEBOOK_PATH",
    "ENV_PAPERMILL_INPUT",
    "NotebookContextProvider",
    "kernel_id",
    "notebook_path",
]

logger = logging.getLogger(__name__)

ENV_NOTEBOOK_PATH = "MLTRACK_NOTEBOOK_PATH"
ENV_PAPERMILL_INPUT = "PAPERMILL_INPUT_PATH"
_SERVER_TIMEOUT = 1.0


def kernel_id() -> str | None:
    """Return this kernel's id (from its connection file name), or None outside a kernel."""
    try:
        from ipykernel.connect import get_connection_file

        match = re.search(r"kernel-(.+)\.json$", get_connection_file())
    except Exception:  # not an ipykernel, or no connection file
        return None
    return match.group(1) if match else None


def _from_server(kernel_id: str) -> str | None:
    try:
        from jupyter_server.serverapp import list_running_servers
    except ImportError:
        return None
    for server in list_running_servers():
        url = f"{server['url'].rstrip('/')}/api/sessions?token={server.get('token', '')}"
        try:
            with urllib.request.urlopen(url, timeout=_SERVER_TIMEOUT) as response:
                sessions: list[dict[str, Any]] = json.load(response)
        except Exception:
            continue
        for session in sessions:
            if session.get("kernel", {}).get("id") == kernel_id:
                root = server.get("root_dir") or server.get("notebook_dir") or ""
                return os.path.join(root, session.get("path", ""))
    return None


def _cheap_path(user_ns: dict[str, Any] | None) -> str | None:
    for candidate in (
        os.environ.get(ENV_NOTEBOOK_PATH),
        os.environ.get(ENV_PAPERMILL_INPUT),
        (user_ns or {}).get("__vsc_ipynb_file__"),
    ):
        if isinstance(candidate, str) and candidate:
            return os.path.abspath(candidate)
    return None


def _server_lookup() -> str | None:
    own_id = kernel_id()
    if own_id is None:
        return None
    try:
        found = _from_server(own_id)
    except Exception:
        logger.debug("Jupyter sessions lookup failed", exc_info=True)
        return None
    return os.path.abspath(found) if found else None


def notebook_path(user_ns: dict[str, Any] | None = None) -> str | None:
    """Return the absolute path of the notebook this kernel runs, or None if unknown."""
    return _cheap_path(user_ns) or _server_lookup()


class NotebookContextProvider(RunContextProvider):
    """Tags runs with source type NOTEBOOK and the notebook path; git follows the notebook."""

    def __init__(self, user_ns: dict[str, Any] | None = None) -> None:
        self._user_ns = user_ns
        self._server_path: str | None = None
        self._server_checked = False

    @property
    def path(self) -> str | None:
        """The notebook path; the (slow) server lookup is done once per kernel."""
        cheap = _cheap_path(self._user_ns)
        if cheap is not None:
            return cheap
        if not self._server_checked:
            self._server_checked = True
            self._server_path = _server_lookup()
        return self._server_path

    def in_context(self) -> bool:
        """Return whether the notebook path is known."""
        return self.path is not None

    def tags(self) -> dict[str, str]:
        """Return the source name and type tags."""
        path = self.path
        return {t.SOURCE_NAME: path, t.SOURCE_TYPE: SourceType.NOTEBOOK.value} if path else {}

    def source_path(self) -> str | None:
        """Return the notebook path, so git tags describe the notebook's repository."""
        return self.path
