"""Building the warm-transfer ticket from a (fake) tracker, and what the shopper is told."""
from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.handover.action as action_module
from actions.handover.client import Delivery
from actions.handover.ticket import build_ticket, decide_trigger, intent_history
from common.ticket import Ticket
from handoff.render import fill

T0 = 1_763_870_000.0


def user(text, intent, conf, t, entities=(), emotion=None, channel="socketio"):
    parse = {"text": text, "intent": {"name": intent, "confidence": conf},
             "entities": list(entities)}
    if emotion:
        parse["emotion"] = emotion
    return {"event": "user", "text": text, "timestamp": t, "parse_data": parse,
            "input_channel": channel, "message_id": f"m{t}"}


def bot(text, t):
    return {"event": "bot", "text": text, "timestamp": t}


ANGRY = {"label": "angry", "negative": True, "score": 0.9, "cues": ["三天没更新"],
         "risk_flags": ["bad_review"]}
NEUTRAL = {"label": "neutral", "negative": False, "score": 0.1, "cues": [], "risk_flags": []}
EVENTS = [
    {"event": "action", "name": "action_listen", "timestamp": T0},
    user("我的快递到哪了", "order_status", 0.97, T0 + 1, emotion=NEUTRAL),
    bot("请提供订单号", T0 + 2),
    user("E202611180042", "inform", 0.95, T0 + 3,
         entities=[{"entity": "order_id", "value": "E202611180042"},
                   {"entity": "language", "value": "zh"}], emotion=NEUTRAL),
    bot("您的订单已发货", T0 + 4),
    user("三天没更新了,再不处理我给差评", "logistics_problem", 0.91, T0 + 5, emotion=ANGRY),
    bot("非常抱歉", T0 + 6),
    user("转人工", "request_human", 0.99, T0 + 7, emotion=ANGRY,
         entities=[{"entity": "phone", "value": "13812345678"}]),
]
ORDER = {"order_id": "E202611180042", "customer_id": "C7", "status": "shipped", "amount": 1299.0,
         "currency": "¥", "items": [{"sku": "K1", "name_zh": "咖啡机", "name_en": "Coffee maker",
                                     "category": "appliance", "quantity": 1, "unit_price": 1299.0}],
         "carrier": "SF", "tracking_no": "SF1234567890123", "shipment_status": "in_transit",
         "last_event": {"at": "2026-11-20T08:00:00+00:00", "place": "上海", "status": "in_transit",
                        "description": "到达转运中心"},
         "hours_since_last_event": 73.5, "refund_status": None}
CUSTOMER = {"customer_id": "C7", "name": "王先生", "masked_phone": "138****5678", "tier": "gold",
            "identities": [{"channel": "web", "id": "v-1"}]}


def slots(**extra):
    base = {"language": "zh", "order_id": "E202611180042", "customer_id": "C7",
            "handoff_trigger": None,
            "flow_record": [{"flow": "logistics_check", "step": "ask_address",
                             "prompt": {"zh": "地址对吗?", "en": "Is the address right?"},
                             "answer": "对", "at": T0 + 2.5}]}
    base.update(extra)
    return base


def build(**slot_overrides) -> Ticket:
    return build_ticket(EVENTS, slots(**slot_overrides), "conv-1", "socketio",
                        lambda oid: ORDER if oid == "E202611180042" else None,
                        lambda cid: CUSTOMER if cid == "C7" else None)


def test_ticket_fields_from_the_tracker():
    ticket = build()
    assert ticket.conversation_id == "conv-1" and ticket.channel == "socketio"
    assert ticket.trigger == "request_human"  # latest intent, no slot
    assert ticket.top_intent.name == "logistics_problem" and ticket.top_intent.confidence == 0.91
    assert [(i.name, i.confidence) for i in ticket.intent_history] == [
        ("order_status", 0.97), ("inform", 0.95), ("logistics_problem", 0.91),
        ("request_human", 0.99)]
    assert ticket.entities == {"order_id": "E202611180042", "phone": "138****5678"}
    assert ticket.order.tracking_no == "SF1234567890123" and ticket.order.carrier == "SF"
    assert ticket.order.hours_stale == 73.5 and ticket.order.last_event == "上海 到达转运中心"
    assert ticket.order.items[0]["name"] == "咖啡机" and ticket.order.extra["verified"] is True
    assert ticket.customer.name == "王先生" and ticket.customer.tier == "gold"
    assert ticket.emotion.current == "angry" and ticket.emotion.peak == "angry"
    assert ticket.emotion.negative_share == 0.5
    assert "三天没更新" in ticket.emotion.cues and ticket.emotion.risk_flags == ["bad_review"]
    assert [(s.flow, s.prompt, s.answer) for s in ticket.flow_steps] == [
        ("logistics_check", "地址对吗?", "对")]
    assert [(e.role, e.text) for e in ticket.transcript][:3] == [
        ("shopper", "我的快递到哪了"), ("bot", "请提供订单号"), ("shopper", "E202611180042")]
    assert len(ticket.transcript) == 7
    # the ticket survives its wire format
    again = Ticket.from_dict(ticket.to_dict())
    assert again == ticket


def test_trigger_from_slot_intent_or_emotion():
    assert build(handoff_trigger="flow_unresolved").trigger == "flow_unresolved"
    assert build(handoff_trigger="fallback").trigger == "fallback"
    history = intent_history([user("我要投诉", "complain", 0.9, T0)])
    assert decide_trigger(None, history, []) == "complaint"
    history = intent_history([user("气死了", "logistics_problem", 0.8, T0)])
    assert decide_trigger(None, history, [ANGRY]) == "negative_emotion"
    assert decide_trigger("nonsense", history, [NEUTRAL]) == "request_human"


def test_unverified_order_and_missing_store_degrade():
    ticket = build_ticket(EVENTS, slots(customer_id=None), "c", None,
                          lambda oid: dict(ORDER, customer_id="someone-else"), lambda cid: None)
    assert ticket.order.extra["verified"] is False and ticket.customer is None
    ticket = build_ticket(EVENTS, slots(), "c", None, lambda oid: None, lambda cid: None)
    assert ticket.order is None and ticket.channel == "unknown"


class FakeDispatcher(CollectingDispatcher):
    pass


def run_action(monkeypatch, delivery: Delivery, language="zh"):
    sent = {}

    async def fake_deliver(ticket):
        sent["ticket"] = ticket
        return delivery
    monkeypatch.setattr(action_module, "deliver", fake_deliver)
    monkeypatch.setattr(action_module, "lookup_order", lambda oid: ORDER)
    monkeypatch.setattr(action_module, "lookup_customer", lambda cid: CUSTOMER)
    tracker = Tracker("conv-9", slots(language=language), EVENTS[-1]["parse_data"], EVENTS,
                      False, None, {}, "socketio")
    dispatcher = FakeDispatcher()
    events = asyncio.run(action_module.ActionHandoff().run(dispatcher, tracker, {}))
    return sent.get("ticket"), dispatcher.messages, events


def test_action_hands_over_and_pauses(monkeypatch):
    placement = {"ticket_id": 1, "queue": "logistics", "priority": 2, "position": 3,
                 "expected_wait_minutes": 12, "agents_online": 2, "open_now": True}
    ticket, messages, events = run_action(monkeypatch, Delivery("accepted", placement))
    assert ticket.summary == {}  # the service renders it from the ticket's facts, on arrival
    fill(ticket)
    assert ticket.summary["zh"].startswith("王先生") and "SF1234567890123" in ticket.summary["zh"]
    assert ticket.first_sentence["zh"].startswith("王先生您好")
    assert "前面还有2位" in messages[0]["text"] and "12分钟" in messages[0]["text"]
    assert [e["event"] for e in events] == ["slot", "pause"]


def test_action_out_of_hours_and_service_down(monkeypatch):
    placement = {"ticket_id": 1, "queue": "logistics", "priority": 2, "position": 1,
                 "expected_wait_minutes": 6, "agents_online": 0, "open_now": False,
                 "opens_at": "2999-01-02T09:00:00+08:00"}
    _, messages, events = run_action(monkeypatch, Delivery("accepted", placement), "en")
    assert "offline" in messages[0]["text"] and "09:00" in messages[0]["text"]
    nobody = dict(placement, open_now=True, agents_online=0)
    _, messages, _ = run_action(monkeypatch, Delivery("accepted", nobody))
    assert "暂时没有客服在线" in messages[0]["text"]
    _, messages, events = run_action(monkeypatch, Delivery("queued"))
    assert "暂时连接不上" in messages[0]["text"] and events[-1]["event"] == "pause"
    _, messages, events = run_action(monkeypatch, Delivery("failed"), "en")
    assert "could not be saved" in messages[0]["text"]
    assert all(e["event"] != "pause" for e in events)  # nothing was handed over: the bot stays


def test_when_back_says_today_or_tomorrow():
    tz = ZoneInfo("Asia/Shanghai")
    night = datetime(2026, 11, 23, 23, 0, tzinfo=tz)
    early = datetime(2026, 11, 24, 6, 0, tzinfo=tz)
    assert action_module.when_back("2026-11-24T09:00:00+08:00", "zh", night) == "明天09:00"
    assert action_module.when_back("2026-11-24T09:00:00+08:00", "en", early) == "today at 09:00"


def test_emotion_summary_of_the_conversation():
    ticket = build()
    assert ticket.emotion.current == "angry" and ticket.emotion.peak == "angry"
    assert ticket.emotion.trajectory == ["neutral", "neutral", "angry", "angry"]
    assert ticket.emotion.negative_share == 0.5 and ticket.emotion.risk_flags == ["bad_review"]


def test_handoff_id_is_one_per_shopper_turn():
    # a hand-over run again for the same turn (its action call was cut off and re-sent) must
    # carry the same idempotency key, so the service finds the first ticket instead of opening two
    assert build().handoff_id == build().handoff_id
    later = EVENTS + [{"event": "user", "timestamp": T0 + 99, "text": "还在吗",
                       "parse_data": {"intent": {"name": "request_human", "confidence": 0.9}}}]
    other_turn = build_ticket(later, slots(), "conv-1", "socketio", lambda oid: None, lambda cid: None)
    other_sender = build_ticket(EVENTS, slots(), "conv-2", "socketio", lambda oid: None, lambda cid: None)
    assert len({build().handoff_id, other_turn.handoff_id, other_sender.handoff_id}) == 3
    assert len(build().handoff_id) == 32  # fits the service's 64-character key
