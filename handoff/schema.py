"""Migrations as a deployment step, and the replicas' check that the step has run.

`make migrate` (scripts.migrate; the Kubernetes Job; the compose `migrate` service) upgrades
the schema once, under a PostgreSQL advisory lock so two steps started together still run one
after the other. Replicas started with HANDOFF_MIGRATE_ON_START=0 do not migrate: they refuse
to start against a schema older than their code, instead of racing each other to alter it.
"""
from __future__ import annotations

from typing import Optional

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine

from handoff.db import MIGRATIONS_DIR, migrate

VERSION_TABLE = "handoff_alembic_version"
# A fixed key for pg_advisory_lock: "frontline handoff schema".
ADVISORY_KEY = 0x46524F4E544C49


class SchemaBehind(RuntimeError):
    pass


def head_revision() -> Optional[str]:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg).get_current_head()


def current_revision(engine: Engine) -> Optional[str]:
    with engine.connect() as connection:
        return MigrationContext.configure(
            connection, opts={"version_table": VERSION_TABLE}).get_current_revision()


def migrate_locked(engine: Engine, sqlite_path=None) -> str:
    """Upgrade to head; on PostgreSQL one migrator at a time (others wait, then find head)."""
    if engine.dialect.name != "postgresql":
        migrate(engine, sqlite_path)
        return str(current_revision(engine))
    with engine.connect() as lock_conn:
        lock_conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_KEY})
        try:
            migrate(engine, sqlite_path)
        finally:
            lock_conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
            lock_conn.commit()
    return str(current_revision(engine))


def require_current(engine: Engine) -> None:
    """A replica's start: the schema must already be at this code's head."""
    have, want = current_revision(engine), head_revision()
    if have != want:
        raise SchemaBehind(f"the handoff database schema is at {have!r}, this code needs "
                           f"{want!r}: run the migration step first (make migrate)")
