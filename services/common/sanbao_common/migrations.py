"""Alembic migrations of one service's own schema.

Each service keeps its migrations in `services/<name>/alembic/`; its `env.py` only names the
service's metadata and calls `run_migrations`. The database URL reaches Alembic from the caller
(`python -m <service> migrate`, tests) or from `alembic -x url=...` when a developer runs it.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData

from sanbao_common.db import create_database_engine


class SchemaNotCurrent(Exception):
    """The database is behind (or ahead of) the code's migrations."""


def alembic_config(service_dir: Path, url: str, settings: dict | None = None) -> Config:
    cfg = Config(str(service_dir / "alembic.ini"))
    cfg.set_main_option("script_location", str(service_dir / "alembic"))
    cfg.attributes["url"] = url
    # The service's configuration section, for the rare migration that needs more than the
    # database (registry's 0005 seals plaintext ID numbers with the county's data key).
    cfg.attributes["settings"] = settings or {}
    return cfg


def upgrade(
    service_dir: Path, url: str, revision: str = "head", settings: dict | None = None
) -> None:
    command.upgrade(alembic_config(service_dir, url, settings), revision)


def head_revision(service_dir: Path) -> str | None:
    return ScriptDirectory.from_config(alembic_config(service_dir, "")).get_current_head()


def current_revision(url: str) -> str | None:
    engine = create_database_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def check_current(service_dir: Path, url: str) -> None:
    """Refuse to serve from a database the code's migrations have not brought up to date."""
    head, current = head_revision(service_dir), current_revision(url)
    if head != current:
        raise SchemaNotCurrent(
            f"database schema is at revision {current or 'none'}, the code needs {head}: "
            "run the service's migrate command (make run does it)"
        )


def run_migrations(target_metadata: MetaData) -> None:
    """Body of every service's alembic/env.py."""
    cfg = context.config
    url = cfg.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("no database URL: pass -x url=sqlite:///path or postgresql://...")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_database_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=connection.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
