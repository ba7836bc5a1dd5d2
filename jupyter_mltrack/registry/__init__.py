"""The model registry: registered models, numbered versions, stages, aliases and history.

Example:
    >>> from jupyter_mltrack.registry import RegistryClient
    >>> client = RegistryClient()  # doctest: +SKIP
    >>> mv = client.register_model("runs:/0f3c.../model", "churn")  # doctest: +SKIP
    >>> client.promote("churn", mv.version, alias="champion")  # doctest: +SKIP

``models:/<name>/<version>``, ``models:/<name>/<stage>``, ``models:/<name>/latest`` and
``models:/<name>@<alias>`` load wherever a model URI is accepted (see :mod:`.uri`).
"""

from jupyter_mltrack.registry.client import RegistryClient, register_model

__all__ = ["RegistryClient", "register_model"]
