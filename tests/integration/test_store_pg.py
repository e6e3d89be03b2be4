"""The store and the order checks on the real PostgreSQL (TEST_PG_URL), in a private schema."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from actions.orders.goodwill import grant
from actions.store import db, order_context, session_scope
from actions.store.demo import seed
from actions.store.models import Order
from actions.store.queries import find_order, identify
from tests.integration.pg_store import private_schema

pytestmark = pytest.mark.integration


@pytest.fixture()
def pg_engine():
    with private_schema("orders") as url:
        engine = db.make_engine(url)
        db.migrate(engine)
        yield engine
        engine.dispose()


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
