"""Alembic environment: the connection comes from handoff.db.migrate (no alembic.ini needed)."""
from alembic import context

from common.migrations import run_migrations
from handoff.db import Base

config = context.config
target_metadata = Base.metadata
# Our own version table: the shop's store may run its Alembic history in the same database.
VERSION_TABLE = "handoff_alembic_version"


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # `alembic` CLI use: build an engine from the environment
        from handoff.config import Settings
        from handoff.db import make_engine

        engine = make_engine(Settings.from_env().resolved_db_url)
        with engine.begin() as conn:
            run_migrations(conn, target_metadata, version_table=VERSION_TABLE)
        return
    run_migrations(connection, target_metadata, version_table=VERSION_TABLE,
                   render_as_batch=connection.dialect.name == "sqlite")


run_migrations_online()
