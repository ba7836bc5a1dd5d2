"""Alembic migrations, run programmatically on an engine (imported only when a store is old)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from jupyter_mltrack.store.sql.engine import WRITE_OPTION

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Apply every pending migration in one write transaction."""
    from alembic import command

    config = _config()
    with engine.connect().execution_options(**{WRITE_OPTION: True}) as conn, conn.begin():
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def upgrade_to(engine: Engine, revision: str) -> None:
    """Migrate to a given revision (used by tests to build stores of older versions)."""
    from alembic import command

    config = _config()
    with engine.connect().execution_options(**{WRITE_OPTION: True}) as conn, conn.begin():
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
