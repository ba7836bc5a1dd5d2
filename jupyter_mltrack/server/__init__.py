"""The tracking server: MLflow's REST API 2.0 over a jupyter_mltrack store.

Run it with ``mltrack server``, or build the ASGI app yourself with :func:`create_app`.
Starlette and uvicorn come with the ``server`` extra and are imported only when the app is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jupyter_mltrack.server.app import create_app, open_server_store

__all__ = ["create_app", "open_server_store"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from jupyter_mltrack.server import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
