"""Durable delivery through Redis streams: broker -> service, service -> Rasa, and restarts."""
from __future__ import annotations

import asyncio
import json
import time
import uuid

import pytest
import redis as redis_sync

from common import streams
from handoff import bus
from tests.integration.handoff_support import (REDIS_URL, TOKEN, make_broker,  # noqa: F401
                                               next_event, pg_url, prefix, rasa_stub,
                                               sample_ticket, signed, stack)

pytestmark = pytest.mark.integration


def user_event(cid: str, text: str, message_id: str = None) -> dict:
    return {"event": "user", "sender_id": cid, "text": text, "timestamp": time.time(),
            "message_id": message_id or uuid.uuid4().hex, "input_channel": "socketio",
            "parse_data": {"intent": {"name": "inform", "confidence": 0.9}}}


async def messages(stack, headers, tid, role=None):
    status, data = await stack.call("GET", f"/api/tickets/{tid}/messages", headers=headers)
    assert status == 200
    return [m for m in data["messages"] if role is None or m["role"] == role]


async def wait_messages(stack, headers, tid, count, role="shopper", timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        found = await messages(stack, headers, tid, role)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


async def claimed_handoff(stack):
    """Agent ann has claimed a fresh handoff: (her API headers, the ticket, its id)."""
    stack.agent("ann")
    headers = await stack.login("ann")
    ticket = sample_ticket()
    _, place = await stack.hand_off(ticket)
    tid = place["ticket_id"]
    await stack.call("POST", f"/api/tickets/{tid}/claim", headers=headers)
    return headers, ticket, tid

async def test_shopper_messages_reach_the_agent_once_and_in_order(stack):
    stack.agent("ann")
    headers = await stack.login("ann")
    ticket = sample_ticket()
    cid = ticket.conversation_id
    _, place = await stack.hand_off(ticket)
    tid = place["ticket_id"]
    broker = make_broker(stack.settings.redis_prefix)
    async with stack.http.ws_connect(f"{stack.url}/api/ws", headers=headers) as ws:
        await ws.receive_json()
        first = user_event(cid, "还在吗?")
        broker.publish(first)
        live = await next_event(ws, "message.new")
        assert live["message"]["text"] == "还在吗?" and live["message"]["ticket_id"] == tid
        broker.publish(first)  # delivered twice (e.g. a broker retry): stored once
        for n in range(20):
            broker.publish(user_event(cid, f"消息{n}"))
        broker.publish({"event": "bot", "sender_id": cid, "text": "not a shopper message"})
        broker.publish(user_event("someone-else", "no ticket here"))
        stored = await wait_messages(stack, headers, tid, 21)
    assert [m["text"] for m in stored] == ["还在吗?"] + [f"消息{n}" for n in range(20)]
    await asyncio.sleep(0.3)
    assert len(await messages(stack, headers, tid)) == 21
    await broker.close()


async def test_the_triggering_message_is_not_repeated(stack):
    """Rasa publishes the handoff turn's own user message after the ticket exists."""
    stack.agent("ann")
    headers = await stack.login("ann")
    ticket = sample_ticket()
    before = user_event(ticket.conversation_id, "转人工")
    before["timestamp"] = ticket.decided_at - 1
    _, place = await stack.hand_off(ticket)
    broker = make_broker(stack.settings.redis_prefix)
    broker.publish(before)
    broker.publish(user_event(ticket.conversation_id, "after"))
    stored = await wait_messages(stack, headers, place["ticket_id"], 1)
    await asyncio.sleep(0.2)
    assert [m["text"] for m in await messages(stack, headers, place["ticket_id"])] == ["after"]


async def test_restart_loses_nothing(stack, rasa_stub, monkeypatch):
    headers, ticket, tid = await claimed_handoff(stack)
    cid = ticket.conversation_id
    # Rasa is unreachable: the agent's message waits in the relay stream.
    rasa_stub.fail = True
    status, msg = await stack.call("POST", f"/api/tickets/{tid}/messages", headers=headers,
                                   json={"text": "第一条回复"})
    assert status == 201
    await asyncio.sleep(0.5)
    assert rasa_stub.bot_texts(cid) == []
    await stack.stop()

    # While the service is down: the shopper writes, and another shopper is handed off
    # by the bot (its POST fails, so the ticket goes to the Redis outbox).
    broker = make_broker(stack.settings.redis_prefix)
    for n in range(5):
        broker.publish(user_event(cid, f"服务停机时的消息{n}"))
    monkeypatch.setenv("HANDOFF_URL", stack.url)
    monkeypatch.setenv("HANDOFF_TOKEN", TOKEN)
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("HANDOFF_REDIS_PREFIX", stack.settings.redis_prefix)
    from actions.handover.client import deliver
    assert broker.flush()
    late = sample_ticket()
    delivery = await deliver(late)
    assert delivery.status == "queued"
    broker.publish(user_event(late.conversation_id, "有人吗"))
    # A crash in the middle: an entry read by this consumer but never acknowledged.
    client = redis_sync.Redis.from_url(REDIS_URL, decode_responses=True)
    events_key = streams.stream_key(stack.settings.redis_prefix, streams.EVENTS)
    broker.publish(user_event(cid, "读了但没确认"))
    assert broker.flush()
    client.xreadgroup(bus.GROUP, stack.settings.consumer_name, {events_key: ">"}, count=1)
    assert client.xpending(events_key, bus.GROUP)["pending"] >= 1
    rasa_stub.fail = False

    await stack.start()
    stored = await wait_messages(stack, headers, tid, 6)
    assert [m["text"] for m in stored] == [f"服务停机时的消息{n}" for n in range(5)] + ["读了但没确认"]
    await rasa_stub.wait_for(lambda: rasa_stub.bot_texts(cid) == ["第一条回复"])
    # the late ticket exists, its shopper message is on it, and the shopper was told
    status, data = await stack.call("GET", "/api/tickets", headers=headers)
    late_row = next(t for t in data["tickets"] if t["conversation_id"] == late.conversation_id)
    assert late_row["handoff_id"] == late.handoff_id
    late_msgs = await wait_messages(stack, headers, late_row["id"], 1)
    assert [m["text"] for m in late_msgs] == ["有人吗"]
    await rasa_stub.wait_for(lambda: rasa_stub.bot_texts(late.conversation_id))
    assert "排在第" in rasa_stub.bot_texts(late.conversation_id)[0]
    # the agent's message is "sent" (Rasa pushed it to the web widget, which does not confirm)
    for _ in range(100):
        status, detail = await stack.call("GET", f"/api/tickets/{tid}", headers=headers)
        if detail["messages"][0]["delivery"] != "queued":
            break
        await asyncio.sleep(0.05)
    assert detail["messages"][0]["delivery"] == "sent"
    assert detail["messages"][0]["delivered_at"] is not None
    # a second restart replays nothing
    await stack.stop()
    await stack.start()
    await asyncio.sleep(1.0)
    assert len(await messages(stack, headers, tid, "shopper")) == 6
    assert rasa_stub.bot_texts(cid) == ["第一条回复"]
    assert client.xpending(events_key, bus.GROUP)["pending"] == 0
    client.close()
    await broker.close()


async def test_relay_redelivery_after_a_crash_is_not_sent_twice(stack, rasa_stub):
    """Rasa got the message but the service died before acknowledging the entry."""
    headers, ticket, tid = await claimed_handoff(stack)
    cid = ticket.conversation_id
    await stack.stop()
    client = redis_sync.Redis.from_url(REDIS_URL, decode_responses=True)
    relay_key = streams.stream_key(stack.settings.redis_prefix, streams.RELAY)
    item = {"kind": "notice", "conversation_id": cid, "text": "只应出现一次",
            "relay_id": "crash-test-1"}
    client.xadd(relay_key, signed(relay_key, item))
    client.xreadgroup(bus.GROUP, stack.settings.consumer_name, {relay_key: ">"}, count=1)
    # ...Rasa had already appended it:
    rasa_stub.trackers[cid] = [{"event": "bot", "text": "只应出现一次",
                                "metadata": {"handoff": {"relay_id": "crash-test-1"}}}]
    client.xadd(relay_key, signed(relay_key, {**item, "text": "第二条",
                                            "relay_id": "crash-test-2"}))
    await stack.start()
    await rasa_stub.wait_for(lambda: len(rasa_stub.bot_texts(cid)) >= 2)
    await asyncio.sleep(0.3)
    assert rasa_stub.bot_texts(cid) == ["只应出现一次", "第二条"]
    client.close()


async def test_agent_messages_reach_rasa_in_order(stack, rasa_stub):
    headers, ticket, tid = await claimed_handoff(stack)
    texts = [f"回复{n}" for n in range(30)]
    for text in texts:
        status, _ = await stack.call("POST", f"/api/tickets/{tid}/messages", headers=headers,
                                     json={"text": text})
        assert status == 201
    await rasa_stub.wait_for(lambda: len(rasa_stub.bot_texts(ticket.conversation_id)) == 30)
    assert rasa_stub.bot_texts(ticket.conversation_id) == texts


async def test_a_new_rasa_session_during_a_handoff_is_paused_again(stack, rasa_stub):
    ticket = sample_ticket()
    await stack.hand_off(ticket)
    broker = make_broker(stack.settings.redis_prefix)
    broker.publish({"event": "session_started", "sender_id": ticket.conversation_id})
    broker.publish({"event": "session_started", "sender_id": "no-ticket-here"})
    await rasa_stub.wait_for(lambda: rasa_stub.trackers.get(ticket.conversation_id))
    assert rasa_stub.trackers[ticket.conversation_id] == [{"event": "pause"}]
    await asyncio.sleep(0.3)
    assert "no-ticket-here" not in rasa_stub.trackers
    await broker.close()


async def test_a_malformed_entry_is_set_aside_and_does_not_block(stack):
    stack.agent("ann")
    headers = await stack.login("ann")
    ticket = sample_ticket()
    _, place = await stack.hand_off(ticket)
    client = redis_sync.Redis.from_url(REDIS_URL, decode_responses=True)
    events_key = streams.stream_key(stack.settings.redis_prefix, streams.EVENTS)
    client.xadd(events_key, {"json": "{not json"})
    client.xadd(events_key, signed(events_key, {"event": "handoff_request",
                                             "ticket": {"trigger": "x"}}))
    broker = make_broker(stack.settings.redis_prefix)
    broker.publish(user_event(ticket.conversation_id, "after the bad ones"))
    stored = await wait_messages(stack, headers, place["ticket_id"], 1)
    assert [m["text"] for m in stored] == ["after the bad ones"]
    assert client.xlen(f"{events_key}:dead") == 2
    client.close()
    await broker.close()
