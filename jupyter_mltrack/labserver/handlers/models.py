"""``models``, ``models/<name>``, and the POST routes ``alias`` and ``stage``."""

from __future__ import annotations

from tornado import web

from jupyter_mltrack.labserver.handlers.base import MltrackHandler

__all__ = ["AliasHandler", "ModelHandler", "ModelsHandler", "StageHandler"]


class ModelsHandler(MltrackHandler):
    """GET models?filter=&page_token=&page_size=."""

    SUPPORTED_METHODS = ("GET",)

    @web.authenticated
    async def get(self) -> None:
        """One page of registered models."""
        arg = self.get_argument
        await self.answer(
            lambda: self.lab.registry.models(
                arg("filter", None), arg("page_token", None), arg("page_size", None)
            )
        )


class ModelHandler(MltrackHandler):
    """GET models/<name>: versions, aliases, stages and history."""

    SUPPORTED_METHODS = ("GET",)

    @web.authenticated
    async def get(self, name: str) -> None:
        """One registered model in detail."""
        await self.answer(lambda: self.lab.registry.model(name))


class AliasHandler(MltrackHandler):
    """POST models/<name>/alias {alias, version, confirm}."""

    SUPPORTED_METHODS = ("POST",)

    @web.authenticated
    async def post(self, name: str) -> None:
        """Set or move an alias (409 with the question until confirmed)."""
        body = self.json_body()
        await self.answer(lambda: self.lab.registry.set_alias(name, body))


class StageHandler(MltrackHandler):
    """POST models/<name>/stage {version, stage, archive_existing_versions, confirm}."""

    SUPPORTED_METHODS = ("POST",)

    @web.authenticated
    async def post(self, name: str) -> None:
        """Transition a version's stage (409 with the question until confirmed)."""
        body = self.json_body()
        await self.answer(lambda: self.lab.registry.transition_stage(name, body))
