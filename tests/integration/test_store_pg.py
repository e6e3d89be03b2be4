"""The store and the order checks on the real PostgreSQL (TEST_PG_URL), in a private schema."""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, func, select, text

from actions.orders.goodwill import grant
from actions.store import db, order_context, session_scope
from actions.store.demo import seed
from actions.store.models import Order
from actions.store.queries import find_order, identify

pytestmark = pytest.mark.integration
PG_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


@pytest.fixture()
def pg_engine():
    schema = f"orders_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, future=True)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = db.make_engine(PG_URL, schema=schema)
    db.migrate(engine)
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_migrate_seed_and_query_on_postgres(pg_engine):
    with session_scope(pg_engine) as s:
        seed(s)
    with session_scope(pg_engine) as s:
        seed(s)  # idempotent
        assert s.execute(select(func.count()).select_from(Order)).scalar_one() >= 100
        customer = identify(s, "web", None, {"visitor_id": "web-demo-0001"})
        assert customer.id == "C0001"
        order = s.execute(select(Order).where(Order.customer_id == "C0001",
                                              Order.status == "shipped")).scalar_one()
        ctx = order_context(s, order.id)
        assert ctx.last_event.status == "arrived" and ctx.carrier
        assert find_order(s, order.id[1:]).id == order.id  # digits without the E
        first = grant(s, "C0003", order.id, "late_delivery")
        assert first.granted and not grant(s, "C0003", order.id, "late_delivery").granted
    db.migrate(pg_engine)  # re-running migrations is a no-op
