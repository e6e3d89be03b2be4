"""What every process's Alembic environment (its migrations/env.py) does with a connection."""
from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection


def run_migrations(connection: Connection, target_metadata: MetaData, **options: Any) -> None:
    """Run the pending migrations on `connection`, in one transaction; `options` go to
    Alembic's configure (the version table, batch mode for SQLite)."""
    context.configure(connection=connection, target_metadata=target_metadata, **options)
    with context.begin_transaction():
        context.run_migrations()
