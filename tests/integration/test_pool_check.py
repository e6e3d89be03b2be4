"""The handoff service's PostgreSQL pool: no ping round trip while a connection is in steady use,
and a connection the server closed (what a PostgreSQL restart does to every pooled connection)
is found out at checkout, so the next transaction runs on a fresh connection instead of failing."""
from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import create_engine, text

from handoff import pool_check
from handoff.db import make_engine
from tests.integration.pg_store import PG_URL, private_schema


@pytest.fixture()
def pinged(monkeypatch):
    """Every ping the pool sends (the round trips the check is there to avoid)."""
    calls = []
    real = pool_check.ping

    def counting(dbapi_conn):
        ok = real(dbapi_conn)
        calls.append(ok)
        return ok
    monkeypatch.setattr(pool_check, "ping", counting)
    return calls


def terminate(app: str) -> int:
    """End the server side of every connection of `app` (as a restart or an administrator
    would); other connections on the shared server are left alone."""
    admin = create_engine(PG_URL, future=True)
    try:
        with admin.begin() as conn:
            return len(conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :app"), {"app": app}).all())
    finally:
        admin.dispose()


def backend(engine) -> int:
    with engine.begin() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_steady_use_pings_never_and_a_closed_connection_is_replaced(pinged):
    app = f"pool-check-{uuid.uuid4().hex[:8]}"
    with private_schema("pool_check") as url:
        engine = make_engine(f"{url}&application_name={app}")
        try:
            first = backend(engine)
            assert [backend(engine) for _ in range(5)] == [first] * 5  # the same connection
            assert pinged == []  # ... and not one ping round trip
            assert terminate(app) == 1
            time.sleep(0.2)  # the server's goodbye reaches the socket
            after = backend(engine)  # would raise OperationalError on the dead connection
            assert after != first
            assert pinged == [False]  # found out by the ping; the pool connected afresh
            assert backend(engine) == after and pinged == [False]
        finally:
            engine.dispose()


def test_a_connection_idle_for_long_is_pinged_first(pinged, monkeypatch):
    with private_schema("pool_check") as url:
        engine = make_engine(url)
        try:
            first = backend(engine)
            monkeypatch.setattr(pool_check, "PING_IDLE_SECONDS", 0.0)
            assert backend(engine) == first
            assert pinged == [True]
        finally:
            engine.dispose()
