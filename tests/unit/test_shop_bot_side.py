"""The bot's side of the connector on the seeded SQLite store (fakes only for tracker and
dispatcher): a cancellation is queued with its local change, the reply says only what is
true, a refusal is undone and told with its reason, and the shop's events are applied once."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from actions.orders import conversation as orders
from actions.texts import text
from actions.shop import inbound, submit as shop
from actions.store import session_scope
from actions.store.models import Customer, Order, OrderLog, Refund
from actions.store.records import RecordError
from common.shop import outbox
from common.shop.outbox import STORE_OUTBOX as T
from tests.unit.test_order_actions import start, submit, tracker

WECHAT = {"channel": "wechat", "openid": "oDemo0010wx"}


@pytest.fixture
def connected(store, monkeypatch):
    monkeypatch.setenv("SHOP_URL", "http://127.0.0.1:9")  # nobody answers: no sender here
    monkeypatch.setenv("SHOP_INLINE_WAIT", "0.3")
    return store


async def cancel_paid_order(lang: str = "en"):
    slots = await start(orders.ActionCancelOrder,
                        tracker(metadata=WECHAT, intent="cancel_order", sender="oDemo0010wx",
                                input_channel="wechat"))
    reply, _ = await submit({**slots, "order_confirmed": True, "language": lang},
                            sender="oDemo0010wx")
    return slots["order_id"], reply


def only_row(engine):
    with engine.connect() as conn:
        rows = outbox.rows(conn, T)
    assert len(rows) == 1
    return rows[0]


def answer(engine, row, status, reason=None, event_id="ev-1"):
    return inbound.receive(engine, {"id": event_id, "type": "request.answered", "data": {
        "idempotency_key": row.idempotency_key, "status": status, "reason": reason}})


async def test_unanswered_cancellation_is_submitted_not_done(connected):
    order_id, reply = await cancel_paid_order()
    what = text("shop_what_cancel", "en", order_id=order_id)
    assert reply == text("shop_submitted", "en", what=what) and "is cancelled" not in reply
    row = only_row(connected)
    assert (row.kind, row.order_no, row.status, row.shopper_told, row.conversation_id) == \
        ("cancel", order_id, "queued", "submitted", "oDemo0010wx")
    assert row.payload["refund"]["method"] and "local" not in row.payload


async def test_answer_within_the_wait_is_told_in_the_reply(connected):
    async def shop_accepts_soon():
        while True:
            with connected.connect() as conn:
                rows = outbox.rows(conn, T)
            if rows:
                answer(connected, rows[0], "accepted")
                return
            await asyncio.sleep(0.02)
    accepting = asyncio.ensure_future(shop_accepts_soon())
    order_id, reply = await cancel_paid_order()
    await accepting
    assert "is cancelled" in reply and "\u2063" not in reply
    assert only_row(connected).shopper_told == "final"


async def test_refusal_is_undone_and_told_later_with_the_reason(connected):
    order_id, _ = await cancel_paid_order("zh")
    row = only_row(connected)
    assert answer(connected, row, "refused", "商品已出库") == "applied"
    assert answer(connected, row, "refused", "商品已出库") == "duplicate"  # a replay
    with session_scope(connected) as session:
        order = session.get(Order, order_id)
        assert (order.status, order.cancelled_at) == ("paid", None)
        assert session.execute(select(Refund).where(Refund.order_id == order_id)).first() is None
        kinds = [log.kind for log in session.execute(
            select(OrderLog).where(OrderLog.order_id == order_id)).scalars()]
    assert kinds[-1] == "shop_refused"
    with connected.connect() as conn:
        untold = outbox.untold_answers(conn, T)
    assert [r.idempotency_key for r in untold] == [row.idempotency_key]
    said = shop.final_text(untold[0], later=True)
    assert "商品已出库" in said and order_id in said


def test_disconnected_store_sends_nothing(store, monkeypatch):
    monkeypatch.delenv("SHOP_URL", raising=False)
    with session_scope(store) as session:
        said = shop.request(session, tracker(), "cancel", "E1", {}, "done", "en")
    assert said == "done"  # and nothing queued:
    with store.connect() as conn:
        assert outbox.rows(conn, T) == []


def test_order_and_customer_events_go_through_the_import_validation(store):
    with session_scope(store) as session:
        order = session.execute(select(Order).where(Order.status == "paid")).scalars().first()
        record = {"order_id": order.id, "status": "shipped", "amount": "10", "created_at":
                  "2026-11-20T10:00:00", "customer": {"id": order.customer_id, "name": "A",
                                                      "phone": "13800000000"},
                  "items": [{"sku": "S1", "name_zh": "杯子", "unit_price": "10"}],
                  "shipment": {"carrier": "SF", "tracking_no": "SF1234567890123",
                               "shipped_at": "2026-11-21T10:00:00"}}
    assert inbound.receive(store, {"id": "o1", "type": "order.updated", "data": record}) == \
        "applied"
    with pytest.raises(RecordError) as bad:
        inbound.receive(store, {"id": "o2", "type": "order.updated",
                                "data": {**record, "amount": "-1", "status": "lost"}})
    assert len(bad.value.reasons) == 2
    with pytest.raises(inbound.EventError):
        inbound.receive(store, {"id": "o3", "type": "order.deleted", "data": {}})
    assert inbound.receive(store, {"id": "c1", "type": "customer.updated", "data": {
        "id": order.customer_id, "name": "New Name", "phone": "13900000000"}}) == "applied"
    with session_scope(store) as session:
        assert session.get(Order, order.id).status == "shipped"
        assert session.get(Customer, order.customer_id).name == "New Name"


async def test_an_inquiry_confirmed_at_once_adds_nothing_and_later_says_what(connected):
    from rasa_sdk.executor import CollectingDispatcher

    with session_scope(connected) as session:
        mark = shop.request(session, tracker(), "carrier_inquiry", "E202600000002", {}, "", "en",
                            later=text("shop_done_carrier_inquiry", "en",
                                       order_id="E202600000002"))
    row = only_row(connected)
    answer(connected, row, "accepted")
    dispatcher = CollectingDispatcher()
    dispatcher.utter_message(text=f"Case opened. {mark} Talk to us.")
    await shop.resolve(dispatcher, wait=0.5)
    assert dispatcher.messages[0]["text"] == "Case opened. Talk to us."
    with connected.connect() as conn:
        later = shop.final_text(outbox.find(conn, T, row.idempotency_key), later=True)
    assert later == "The shop has confirmed: it has asked the carrier about order E202600000002."
