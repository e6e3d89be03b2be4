"""A pooled PostgreSQL connection is checked before each use without a round trip.

SQLAlchemy's `pool_pre_ping` sends `SELECT 1` at every checkout: a round trip per transaction,
most of the database time of a short one. Here a connection is pinged only when it may be dead:
- the server closed it (a PostgreSQL restart, a terminated backend, an idle timeout): PostgreSQL
  then says so on the socket (a FATAL message, then end of file), so an idle connection's
  socket is readable; nothing else writes to an idle connection (the service never LISTENs);
- or it was not used for PING_IDLE_SECONDS (a firewall or NAT may have dropped it silently).
A connection in steady use with a quiet socket goes straight to its transaction. A failed ping
invalidates the whole pool, as the pre-ping does: after a restart every pooled connection is
dead, and the next checkout connects afresh.
"""
from __future__ import annotations

import select
import time
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

PING_IDLE_SECONDS = 30.0


def install(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connected(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()  # fresh: no ping before its first use

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        if may_be_dead(dbapi_conn, record.info.get("idle_since")) and not ping(dbapi_conn):
            raise exc.InvalidatePoolError()  # the pool connects afresh and tries again


def may_be_dead(dbapi_conn: Any, idle_since: Any) -> bool:
    if idle_since is None or time.monotonic() - idle_since > PING_IDLE_SECONDS:
        return True
    try:
        poller = select.poll()
        poller.register(dbapi_conn.fileno(), select.POLLIN)  # a hang-up is reported too
        return bool(poller.poll(0))
    except (OSError, ValueError, AttributeError):  # closed, or no socket to look at
        return True


def ping(dbapi_conn: Any) -> bool:
    """What SQLAlchemy's pre-ping does: a round trip; False when the connection is dead."""
    try:
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
    except Exception:
        return False
    return True
