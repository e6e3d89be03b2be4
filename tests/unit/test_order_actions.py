"""Order actions against a real seeded SQLite store (fakes only for tracker and dispatcher)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.texts import text
from actions.orders import conversation as orders
from actions.orders.goodwill import grant
from actions.store import session_scope
from actions.store.models import Order, Refund
from tests.unit.sealed import as_sent_by


def tracker(slots: Optional[Dict[str, Any]] = None, text_: str = "", intent: str = "order_status",
            metadata: Optional[Dict[str, Any]] = None, sender: str = "conv-1",
            entities: Optional[List[Dict]] = None, input_channel: str = "socketio") -> Tracker:
    slots = {"language": "zh", **(slots or {})}
    # the channel that verified an identity seals it for this conversation (a REST post cannot)
    sender, metadata = as_sent_by(input_channel, sender, metadata) if metadata else (sender, {})
    message = {"text": text_, "intent": {"name": intent, "confidence": 0.99},
               "entities": entities or [], "metadata": metadata}
    user = {"event": "user", "metadata": metadata, "input_channel": input_channel}
    return Tracker(sender, slots, message, [user], False, None, {}, "action_listen")


def apply(slots: Dict[str, Any], events: List[Dict[str, Any]]) -> Dict[str, Any]:
    out = dict(slots)
    for event in events:
        if event.get("event") == "slot":
            out[event["name"]] = event["value"]
    return out


async def start(action_cls, t: Tracker) -> Dict[str, Any]:
    events = await action_cls().run(CollectingDispatcher(), t, {})
    return apply(t.slots, events)


async def submit(slots: Dict[str, Any], sender: str = "conv-1") -> tuple:
    dispatcher = CollectingDispatcher()
    events = await orders.ActionOrderSubmit().run(dispatcher, tracker(slots, sender=sender), {})
    return " ".join(m.get("text") or "" for m in dispatcher.messages), apply(slots, events)


WEB1 = {"channel": "web", "visitor_id": "web-demo-0001"}


def order_of(engine, customer_id: str, status: Optional[str] = None) -> Order:
    with session_scope(engine) as session:
        stmt = select(Order).where(Order.customer_id == customer_id)
        if status:
            stmt = stmt.where(Order.status == status)
        return session.execute(stmt.order_by(Order.created_at.desc())).scalars().first()


async def test_identified_customer_gets_last_tracking_event(store):
    slots = await start(orders.ActionOrderStatus, tracker(metadata=WEB1))
    assert slots["customer_id"] == "C0001" and slots["identity_source"] == "channel"
    assert slots["order_id"] == order_of(store, "C0001", "shipped").id
    reply, after = await submit(slots)
    assert "快件到达目的地分拨中心" in reply and after["order_context"]["status"] == "shipped"
    en, _ = await submit({**slots, "language": "en"})
    assert "Latest update" in en and "Arrived at the destination hub" in en


async def test_several_orders_ask_which_with_buttons(store):
    slots = await start(orders.ActionOrderStatus,
                        tracker(metadata={"channel": "web", "visitor_id": "web-demo-0002"}))
    assert slots["order_id"] is None
    dispatcher = CollectingDispatcher()
    await orders.ActionAskOrderId().run(dispatcher, tracker(slots), {})
    assert len(dispatcher.messages[0]["buttons"]) == 3
    assert dispatcher.messages[0]["buttons"][0]["payload"].startswith('/inform{"order_id":"E')


async def test_foreign_order_gets_the_unknown_order_reply(store):
    slots = await start(orders.ActionOrderStatus, tracker(metadata=WEB1))
    foreign = order_of(store, "C0002").id
    replies = []
    for candidate in (foreign, "E209999999999"):
        dispatcher = CollectingDispatcher()
        result = await orders.ValidateOrderForm().validate_order_id(
            candidate, dispatcher, tracker(slots), {})
        assert result["order_id"] is None
        replies.append(dispatcher.messages[0]["text"])
    assert replies[0] == replies[1] == text("order_not_found", "zh")
    reply, _ = await submit({**slots, "order_id": foreign})
    assert foreign not in reply and reply == text("order_not_found", "zh")


async def test_unidentified_shopper_must_verify(store):
    order = order_of(store, "C0003")
    validator = orders.ValidateOrderForm()
    result = await validator.validate_order_id(order.id, CollectingDispatcher(), tracker(), {})
    assert result == {"order_id": order.id, "phone_last4": None}
    assert await validator.required_slots([], CollectingDispatcher(),
                                          tracker({"order_id": order.id}), {}) == \
        ["order_id", "phone_last4"]
    reply, _ = await submit({"order_id": order.id, "order_topic": "order_status"})
    assert reply == text("order_not_found", "zh")  # nothing shown before verification
    dispatcher = CollectingDispatcher()
    wrong = await validator.validate_phone_last4("0000", dispatcher, tracker({"order_id": order.id}), {})
    assert wrong["order_id"] is None and dispatcher.messages[0]["text"] == text("order_not_found", "zh")
    ok = await validator.validate_phone_last4("0003", CollectingDispatcher(),
                                        tracker({"order_id": order.id}), {})
    assert ok["verified_orders"] == [order.id] and ok["customer_id"] == "C0003"
    reply, _ = await submit({**ok, "order_topic": "logistics_problem"})
    assert "小时没有更新" in reply and "补偿券" in reply


async def test_wrong_attempts_are_rate_limited(store):
    validator = orders.ValidateOrderForm()
    order = order_of(store, "C0004")
    results = [await validator.validate_phone_last4("9999", CollectingDispatcher(),
                                              tracker({"order_id": order.id}, sender="guess"), {})
               for _ in range(5)]
    assert results[-1]["verify_blocked"] is True and not results[0].get("verify_blocked")
    # Even the right digits are refused now.
    right = await validator.validate_phone_last4("0004", CollectingDispatcher(),
                                           tracker({"order_id": order.id}, sender="guess"), {})
    assert right["verify_blocked"] is True and "verified_orders" not in right


async def test_malformed_order_number(store):
    dispatcher = CollectingDispatcher()
    result = await orders.ValidateOrderForm().validate_order_id("12ab", dispatcher, tracker(), {})
    assert result == {"order_id": None}
    assert dispatcher.messages[0]["text"] == text("order_id_malformed", "zh")


async def test_shipped_order_cannot_be_cancelled(store):
    slots = await start(orders.ActionCancelOrder, tracker(metadata=WEB1, intent="cancel_order"))
    assert await orders.ValidateOrderForm().required_slots([], CollectingDispatcher(),
                                                           tracker(slots), {}) == ["order_id"]
    reply, _ = await submit(slots)
    assert "无法直接取消" in reply
    assert order_of(store, "C0001", "shipped") is not None


async def test_paid_order_is_cancelled_with_refund(store):
    meta = {"channel": "wechat", "openid": "oDemo0010wx"}
    slots = await start(orders.ActionCancelOrder,
                        tracker(metadata=meta, intent="cancel_order", sender="oDemo0010wx",
                                input_channel="wechat"))
    assert await orders.ValidateOrderForm().required_slots(
        [], CollectingDispatcher(), tracker(slots, sender="oDemo0010wx"), {}) == \
        ["order_id", "order_confirmed"]
    reply, after = await submit({**slots, "order_confirmed": True, "language": "en"},
                                sender="oDemo0010wx")
    assert "is cancelled" in reply and "within" in reply
    assert after["order_context"]["status"] == "cancelled"
    with session_scope(store) as session:
        assert session.execute(select(Refund).where(Refund.order_id == slots["order_id"])
                               ).scalars().first().status == "processing"


async def test_change_address_before_shipment(store):
    meta = {"channel": "app", "app_user_id": "app-demo-0010", "verified_app_user_id":
            "app-demo-0010"}
    slots = await start(orders.ActionChangeAddress, tracker(metadata=meta, intent="change_address",
                                                            input_channel="app"))
    validator = orders.ValidateOrderForm()
    assert validator.validate_new_address("x", CollectingDispatcher(), tracker(slots), {}) == \
        {"new_address": None}
    address = validator.validate_new_address("上海市浦东新区世纪大道100号", CollectingDispatcher(),
                                             tracker(slots), {})["new_address"]
    reply, _ = await submit({**slots, "new_address": address, "order_confirmed": True})
    assert "世纪大道100号" in reply
    with session_scope(store) as session:
        assert session.get(Order, slots["order_id"]).address == address


async def test_unverified_app_claim_is_not_trusted(store):
    slots = await start(orders.ActionOrderStatus,
                        tracker(metadata={"channel": "app", "app_user_id": "app-demo-0001"}))
    assert slots.get("customer_id") is None


async def test_return_request_and_refund_status(store):
    meta = {"channel": "web", "visitor_id": "web-demo-0009"}
    slots = await start(orders.ActionReturnRequest, tracker(metadata=meta, intent="return_request"))
    reply, after = await submit({**slots, "return_reason": "quality"})
    assert after["return_id"] and "由我们承担" in reply
    meta5 = {"channel": "web", "visitor_id": "web-demo-0005"}
    slots5 = await start(orders.ActionRefundStatus, tracker(metadata=meta5, intent="refund_status"))
    reply5, _ = await submit(slots5)
    assert "处理中" in reply5


async def test_damaged_item_opens_priority_case(store):
    meta = {"channel": "web", "visitor_id": "web-demo-0009"}
    slots = await start(orders.ActionDamagedItem, tracker(metadata=meta, intent="damaged_item"))
    reply, after = await submit({**slots, "damage_photo": "https://img.example.com/1.jpg"})
    assert after["after_sales_case"].startswith("AS") and "优先" in reply and "已附照片" in reply


def test_goodwill_never_above_never_twice(store):
    order = order_of(store, "C0003")
    with session_scope(store) as session:
        first = grant(session, "C0003", order.id, "late_delivery", Decimal("500"))
        second = grant(session, "C0003", order.id, "late_delivery", Decimal("5"))
        unknown = grant(session, "C0003", order.id, "just_because")
    assert first.granted and first.amount == Decimal("20")
    assert not second.granted and second.refusal == "already_given"
    assert unknown.refusal == "not_authorized"


async def test_metadata_posted_to_rest_identifies_nobody(store):
    """A visitor id or app id typed into a REST request is a claim, not an identity."""
    for meta in (WEB1, {"channel": "app", "verified_app_user_id": "app-demo-0001"},
                 {"channel": "wechat", "openid": "oDemo0001wx"}):
        slots = await start(orders.ActionOrderStatus, tracker(metadata=meta, input_channel="rest"))
        assert not slots.get("customer_id")
        assert await orders.ValidateOrderForm().required_slots(
            [], CollectingDispatcher(), tracker(slots), {}) == ["order_id"]


async def test_guessing_one_order_from_many_conversations_is_capped(store):
    """Rotating conversations does not reset the count for one order number."""
    validator = orders.ValidateOrderForm()
    order = order_of(store, "C0005")
    for n in range(10):  # 2 tries per conversation stay below its own limit of 5
        for _ in range(2):
            await validator.validate_phone_last4(f"{n:04d}" if n != 5 else "1111", CollectingDispatcher(),
                                           tracker({"order_id": order.id}, sender=f"rot-{n}"), {})
    right = await validator.validate_phone_last4("0005", CollectingDispatcher(),
                                           tracker({"order_id": order.id}, sender="rot-new"), {})
    assert right["verify_blocked"] is True and "verified_orders" not in right
    reply, _ = await submit({"order_id": None, "verify_blocked": True, "order_topic": "order_status"},
                            sender="rot-new")
    assert reply == text("verify_blocked_order", "zh")
    # An unknown number is counted the same way, so a block says nothing about existence.
    for n in range(10):
        await validator.validate_phone_last4("1234", CollectingDispatcher(),
                                       tracker({"order_id": "E209999999999"}, sender=f"ghost-{n}"), {})
    ghost = await validator.validate_phone_last4("1234", CollectingDispatcher(),
                                           tracker({"order_id": "E209999999999"}, sender="x"), {})
    assert ghost["verify_blocked"] is True
    # Another order is unaffected.
    other = order_of(store, "C0006")
    ok = await validator.validate_phone_last4("0006", CollectingDispatcher(),
                                        tracker({"order_id": other.id}, sender="rot-new"), {})
    assert ok["verified_orders"] == [other.id]


async def test_one_order_counts_once_whatever_its_spelling(store):
    """`E2026…`, `e2026…` and `2026…` are one order: typing it differently buys no tries."""
    validator = orders.ValidateOrderForm()
    order = order_of(store, "C0007")
    digits = order.id[1:] if order.id.upper().startswith("E") else order.id
    spellings = [f"E{digits}", digits, f"e{digits}"]
    for n in range(10):
        await validator.validate_phone_last4(f"{n:04d}" if n != 7 else "1111", CollectingDispatcher(),
                                             tracker({"order_id": spellings[n % 3]}, sender=f"sp-{n}"), {})
    for spelling in spellings:
        right = await validator.validate_phone_last4("0007", CollectingDispatcher(),
                                                     tracker({"order_id": spelling}, sender="sp-new"), {})
        assert right["verify_blocked"] is True and "verified_orders" not in right


async def test_new_conversations_from_one_web_address_share_a_counter(store):
    """A new session id (a new sender) does not reset the count: the channel's client address
    does not change with it."""
    validator = orders.ValidateOrderForm()
    meta = {"channel": "web", "client_address": "203.0.113.9"}
    for n in range(20):  # one wrong try each, on 20 different order numbers, in 20 conversations
        await validator.validate_phone_last4("1234", CollectingDispatcher(),
                                             tracker({"order_id": f"E2099000000{n:02d}"}, metadata=meta,
                                                     sender=f"web:addr-{n}"), {})
    order = order_of(store, "C0008")
    right = await validator.validate_phone_last4("0008", CollectingDispatcher(),
                                                 tracker({"order_id": order.id}, metadata=meta,
                                                         sender="web:addr-new"), {})
    assert right["verify_blocked"] is True and "verified_orders" not in right
    # Another address is not affected; a page cannot choose its address (the channel sets it).
    other = await validator.validate_phone_last4(
        "0008", CollectingDispatcher(),
        tracker({"order_id": order.id}, metadata={**meta, "client_address": "198.51.100.7"},
                sender="web:addr-other"), {})
    assert other["verified_orders"] == [order.id]


async def test_parallel_guesses_never_pass_the_order_cap(store):
    import asyncio

    validator = orders.ValidateOrderForm()
    order = order_of(store, "C0009")
    results = await asyncio.gather(*(
        validator.validate_phone_last4(f"{n:04d}" if n != 9 else "1111", CollectingDispatcher(),
                                       tracker({"order_id": order.id}, sender=f"par-{n}"), {})
        for n in range(30)))
    compared = [r for r in results if r.get("order_id") is None and r.get("verify_blocked") is not True]
    assert len(compared) <= 9  # the 10th wrong answer blocks; the rest were never compared


async def test_a_right_guess_opens_that_order_only(store):
    """Four digits prove one order: no other orders, no coupons, and no link that would make
    the next conversation on this browser the customer."""
    validator = orders.ValidateOrderForm()
    order = order_of(store, "C0003")
    web = {"channel": "web", "visitor_id": "Vq3xL0b9ZkR2mT7yP4wN1a", "client_address": "192.0.2.1"}
    ok = await validator.validate_phone_last4("0003", CollectingDispatcher(),
                                              tracker({"order_id": order.id}, metadata=web,
                                                      sender="web:guesser"), {})
    assert ok["verified_orders"] == [order.id] and ok["identity_source"] == "order"
    later = await start(orders.ActionOrderStatus, tracker(metadata=web, sender="web:guesser-2"))
    assert not later.get("customer_id") and later.get("identity_source") != "channel"
    from actions.orders.coupons import ActionCouponInquiry

    async def coupons(slots) -> str:
        dispatcher = CollectingDispatcher()
        await ActionCouponInquiry().run(dispatcher, tracker(slots, metadata=web, sender="web:guesser"), {})
        return dispatcher.messages[0]["text"]
    owner = await coupons({"customer_id": "C0003", "identity_source": "channel"})
    assert await coupons(ok) == await coupons({}) != owner  # what a stranger sees, not the account


async def test_delivered_but_not_received_opens_a_case_and_offers_a_human(store):
    meta = {"channel": "web", "visitor_id": "web-demo-0004"}
    slots = await start(orders.ActionOrderStatus, tracker(metadata=meta))
    reply, after = await submit({**slots, "order_topic": "logistics_problem"})
    case_id = after["after_sales_case"]
    assert case_id.startswith("AS") and f"工单{case_id}" in reply
    assert "签收未收到" in reply and reply.endswith(text("offer_human", "zh"))
    with session_scope(store) as session:
        assert session.get(Order, slots["order_id"]).delivery_disputed is True


async def test_an_open_return_answers_a_second_return_request(store):
    meta = {"channel": "web", "visitor_id": "web-demo-0005"}
    slots = await start(orders.ActionReturnRequest, tracker(metadata=meta, intent="return_request"))
    reply, after = await submit({**slots, "return_reason": "quality"})
    order_id = slots["order_id"]
    assert reply.startswith(f"订单{order_id}已有退货单R{order_id[1:]}") and not after.get("return_id")
