"""Receipts: the web channel's signed POST /api/bot/received makes an agent's web message
`delivered` (real PostgreSQL and Redis, Rasa stand-in) — only for a message of that
conversation, never over a failure, never unsigned; the channel's side forwards a receipt
only from a socket in the session's room."""
from __future__ import annotations

import json
import uuid

import pytest

from bot.channels.webchat_receipts import Receipts
from common import signing
from tests.integration.handoff_support import (TOKEN, next_event, pg_url,  # noqa: F401
                                               prefix, rasa_stub, stack)
from tests.integration.test_delivery_states import handoff_on, reply_state

pytestmark = pytest.mark.integration
PATH = "/api/bot/received"


async def receipt(stack, conversation_id, relay_id, secret: str = TOKEN):
    body = json.dumps({"conversation_id": conversation_id, "relay_id": relay_id}).encode()
    headers = {"Content-Type": "application/json", **signing.sign(secret, "POST", PATH, body)}
    return await stack.call("POST", PATH, headers=headers, data=body)


async def test_widget_receipt_makes_a_web_reply_delivered(stack):
    headers, ticket, tid = await handoff_on(stack, "socketio")
    sent = await reply_state(stack, headers, tid, "请稍等,马上为您查询")
    assert sent["delivery"] == "sent"  # Rasa pushed it; nobody has confirmed it yet
    relay_id = f"msg:{sent['id']}"
    assert (await receipt(stack, ticket.conversation_id, relay_id, "not-the-secret"))[0] == 403
    assert (await stack.call("POST", PATH, json={"conversation_id": ticket.conversation_id,
                                                 "relay_id": relay_id}))[0] == 401
    assert (await receipt(stack, "web:someone-else", relay_id))[0] == 404
    assert (await receipt(stack, ticket.conversation_id, "handback:1"))[0] == 400
    async with stack.http.ws_connect(f"{stack.url}/api/ws", headers=headers) as ws:
        status, data = await receipt(stack, ticket.conversation_id, relay_id)
        assert (status, data["delivery"]) == (200, "delivered")
        event = await next_event(ws, "message.delivered")
        assert event["message"]["id"] == sent["id"]
        assert event["message"]["delivery"] == "delivered"
    _, detail = await stack.call("GET", f"/api/tickets/{tid}", headers=headers)
    found = next(m for m in detail["messages"] if m["id"] == sent["id"])
    assert found["delivery"] == "delivered" and found["delivered_at"]
    # A second receipt (the widget acknowledges a copy again) changes nothing.
    assert (await receipt(stack, ticket.conversation_id, relay_id))[1]["delivery"] == "delivered"


async def test_a_receipt_that_overtakes_the_relays_own_outcome_stays(stack):
    """The widget's receipt can be committed while the relay is recording its own "sent" for
    the same message: the relay's write must not undo it, whatever it read before."""
    from handoff import receipts
    from handoff.db import Message

    headers, ticket, tid = await handoff_on(stack, "socketio")
    sent = await reply_state(stack, headers, tid, "您的包裹已经在派送了")
    maker = stack.service.maker
    with maker.begin() as relay:  # the relay's transaction, which read the message first
        assert relay.get(Message, sent["id"]).delivery == "sent"
        with maker.begin() as receipt_tx:  # the receipt, committed in between
            found = receipts.confirm(receipt_tx, ticket.conversation_id, sent["id"])
            assert found is not None and found[2] is True
        assert receipts.advance(relay, sent["id"], "sent") is False
        assert relay.get(Message, sent["id"]).delivery == "delivered"
    _, detail = await stack.call("GET", f"/api/tickets/{tid}", headers=headers)
    assert next(m for m in detail["messages"] if m["id"] == sent["id"])["delivery"] == "delivered"
    # nor does a later failure report replace a confirmed delivery
    with maker.begin() as db:
        assert receipts.advance(db, sent["id"], "failed", "late") is False  # never over delivered


async def test_receipt_never_hides_a_failure(stack):
    headers, ticket, tid = await handoff_on(stack, "rest")
    failed = await reply_state(stack, headers, tid, "收不到的消息")
    assert failed["delivery"] == "failed"
    status, data = await receipt(stack, ticket.conversation_id, f"msg:{failed['id']}")
    assert (status, data["delivery"]) == (200, "failed")


class Rooms:
    """python-socketio's room lookup, as the channel's handler sees it."""

    def __init__(self, rooms):
        self._rooms = rooms

    def rooms(self, sid, namespace=None):
        if sid not in self._rooms:
            raise KeyError(sid)
        return self._rooms[sid]


async def test_channel_forwards_receipts_only_from_the_sessions_socket(stack, monkeypatch):
    headers, ticket, tid = await handoff_on(stack, "socketio",
                                            conversation_id=f"web:{uuid.uuid4().hex}")
    sent = await reply_state(stack, headers, tid, "渠道转发的回执")
    monkeypatch.setenv("HANDOFF_URL", stack.url)
    monkeypatch.setenv("HANDOFF_TOKEN", TOKEN)
    sender = ticket.conversation_id
    receipts = Receipts(Rooms({"sid-shopper": ["sid-shopper", sender], "sid-other": ["sid-other"]}),
                        None)
    try:
        data = {"session_id": "key", "id": f"msg:{sent['id']}"}
        assert not receipts.handle("sid-other", sender, data)  # not in the room
        assert not receipts.handle("sid-shopper", sender, {"id": "<script>"})
        assert not receipts.handle("sid-gone", sender, data)
        assert receipts.handle("sid-shopper", sender, data)
        for task in list(receipts.tasks):
            assert await task
    finally:
        await receipts.close()
    _, detail = await stack.call("GET", f"/api/tickets/{tid}", headers=headers)
    assert next(m for m in detail["messages"] if m["id"] == sent["id"])["delivery"] == "delivered"
