"""Starting ``jupyter lab`` for these tests with the browser tests' own helpers.

``tests/browser/conftest.py`` is loaded as a plain module (``browser_conftest``) for its
server helpers and chromium options; its fixtures stay its own.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

BROWSER_TESTS = Path(__file__).resolve().parents[1] / "browser"


def _browser_conftest() -> Any:
    """The browser tests' conftest as a plain module (its helpers, not its fixtures)."""
    spec = importlib.util.spec_from_file_location("browser_conftest", BROWSER_TESTS / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


_bc = _browser_conftest()


BROWSER_CONFTEST = _browser_conftest()
_bc = BROWSER_CONFTEST


def start_lab(root: Path, state: Path, store_uri: str, *extra: str, base_url: str = "/") -> Any:
    """Start ``jupyter lab`` on a free port over ``root``; return the browser tests' Server.

    ``base_url`` puts Lab under a prefix, as JupyterHub does (``/user/<name>/``).
    """
    port = _bc.free_port()
    env = _bc._clean_env() | {
        "MLTRACK_TRACKING_URI": store_uri,
        "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
    }
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
        "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}", "--IdentityProvider.token=",
        "--LabApp.news_url=None", "--LabApp.expose_app_in_browser=True", "--allow-root",
        f"--ServerApp.base_url={base_url}", *extra,
    ]  # fmt: skip
    _bc._quiet_lab_settings(state / "settings")
    log = state / "lab.log"
    process = _bc._start(command, log, env, root)
    url = f"http://127.0.0.1:{port}{base_url}"
    _bc._wait_for(lambda: _bc._answers(url + "api/status"), process, log, "JupyterLab")
    return _bc.Server(process, url, log)
