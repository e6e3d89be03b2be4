"""Live assist over the agents' API on PostgreSQL: each shopper message's emotion (from the
real event stream) reaches the agent live and the suggestions follow the message."""
from __future__ import annotations

import time
import uuid

import pytest

from tests.integration.handoff_support import (make_broker, next_event, pg_url,  # noqa: F401
                                               prefix, rasa_stub, sample_ticket, stack)

pytestmark = pytest.mark.integration
ORDER = {"order_id": "E202611180099", "status": "delivered", "amount": 120.0,
         "items": [{"name": "牛肉干", "category": "food", "qty": 2}],
         "extra": {"payment_method": "credit_card"}}


def said(cid: str, text: str, label: str, negative: bool) -> dict:
    return {"event": "user", "sender_id": cid, "text": text, "timestamp": time.time(),
            "message_id": uuid.uuid4().hex, "input_channel": "socketio",
            "parse_data": {"intent": {"name": "return_request", "confidence": 0.9},
                           "emotion": {"label": label, "negative": negative, "score": 0.9,
                                       "cues": ["气死"] if negative else [], "risk_flags": []}}}


async def test_emotion_and_suggestions_follow_every_shopper_message(stack):
    stack.agent("ann")
    stack.agent("zed", queues=("tech_support",))
    ann, zed = await stack.login("ann"), await stack.login("zed")
    ticket = sample_ticket(order=ORDER)
    _, place = await stack.hand_off(ticket)
    tid = place["ticket_id"]
    status, first = await stack.call("GET", f"/api/tickets/{tid}/assist", headers=ann)
    assert status == 200 and first["message"]["id"] is None  # the hand-over words
    assert [line["key"] for line in first["policy"]][:1] == ["returns.excluded.food"]
    assert (await stack.call("GET", f"/api/tickets/{tid}/assist", headers=zed))[0] == 403
    assert (await stack.call("GET", f"/api/tickets/{tid}/assist?message_id=x",
                             headers=ann))[0] == 400

    broker = make_broker(stack.settings.redis_prefix)
    async with stack.http.ws_connect(f"{stack.url}/api/ws", headers=ann) as ws:
        await ws.receive_json()
        broker.publish(said(ticket.conversation_id, "牛肉干可以退货吗?气死了", "angry", True))
        live = await next_event(ws, "message.new")
        assert live["message"]["emotion"]["label"] == "angry"
        angry_id = live["message"]["id"]
        broker.publish(said(ticket.conversation_id, "好的谢谢", "positive", False))
        live = await next_event(ws, "message.new")
        assert live["message"]["emotion"]["label"] == "positive"
    await broker.close()

    status, now = await stack.call("GET", f"/api/tickets/{tid}/assist", headers=ann)
    assert now["emotion"]["label"] == "positive" and now["message"]["text"] == "好的谢谢"
    _, then = await stack.call("GET", f"/api/tickets/{tid}/assist?message_id={angry_id}",
                               headers=ann)
    refs = [s["ref"] for s in then["suggestions"]]
    assert then["message"]["id"] == angry_id and "returns.excluded.food" in refs
    # ranked for that message's own emotion (angry), not the latest one
    assert then["emotion"]["label"] == "angry" and refs[0] == "apology"
    _, detail = await stack.call("GET", f"/api/tickets/{tid}", headers=ann)
    assert detail["emotion"]["current"] == "positive"  # the queue's indicator follows too
