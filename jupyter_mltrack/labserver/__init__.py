"""The Jupyter server extension behind the JupyterLab extension: JSON routes under
``{base_url}mltrack/api/`` (reference: ``docs/lab-api.md``).

Enabled by ``jupyter-config/server-config/jupyter_mltrack.json`` (installed to
``etc/jupyter/jupyter_server_config.d/``), which names this module. Nothing here is imported by
``import jupyter_mltrack``; jupyter_server is imported only when the server loads the extension.
"""

from __future__ import annotations

from typing import Any

__all__: list[str] = []


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    """Tell jupyter_server where the extension app is (imported only by the server)."""
    from jupyter_mltrack.labserver.app import MltrackLab

    return [{"module": "jupyter_mltrack.labserver", "app": MltrackLab}]
