"""The model registry of the SqlStore, assembled from its parts.

``registry_models`` (registered models), ``registry_versions`` (numbered versions) and
``registry_stages`` (stages, aliases, history; builds on the versions mixin) share
``registry_rows``; the tables are in ``registry_schema``, the search language in
``registry_search``.
"""

from __future__ import annotations

from jupyter_mltrack.store.sql.registry_models import RegisteredModelsMixin
from jupyter_mltrack.store.sql.registry_stages import StagesMixin

__all__ = ["RegistryMixin"]


class RegistryMixin(RegisteredModelsMixin, StagesMixin):
    """Implements :class:`~jupyter_mltrack.store.registry_base.RegistryStore` on SQL."""
