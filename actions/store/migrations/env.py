"""Alembic environment: run with a connection handed over by actions.store.db.migrate()."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from actions.store.models import Base
from common.migrations import run_migrations

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    # render_as_batch lets later ALTERs work on SQLite too.
    if connection is None:
        # `alembic` on the command line (e.g. autogenerate during development).
        url = config.get_main_option("sqlalchemy.url")
        with create_engine(url, future=True).begin() as conn:
            run_migrations(conn, target_metadata, render_as_batch=True)
        return
    run_migrations(connection, target_metadata, render_as_batch=True)


run()
