"""Delivery states of agent messages: sent, delivered only when the channel confirmed, failed
with the reason (WeChat window and quota, app without callback, channel errors)."""
from __future__ import annotations

import asyncio

import pytest

from tests.integration.handoff_support import (pg_url, prefix, rasa_stub,  # noqa: F401
                                               sample_ticket, stack)

pytestmark = pytest.mark.integration


async def handoff_on(stack, channel, agent="ann", conversation_id=None):
    stack.agent(agent)
    headers = await stack.login(agent)
    ticket = sample_ticket(conversation_id, channel=channel)
    _, place = await stack.hand_off(ticket)
    tid = place["ticket_id"]
    await stack.call("POST", f"/api/tickets/{tid}/claim", headers=headers)
    return headers, ticket, tid


async def reply_state(stack, headers, tid, text):
    status, msg = await stack.call("POST", f"/api/tickets/{tid}/messages", headers=headers,
                                   json={"text": text})
    assert status == 201 and msg["delivery"] == "queued"
    for _ in range(200):
        _, detail = await stack.call("GET", f"/api/tickets/{tid}", headers=headers)
        found = next(m for m in detail["messages"] if m["id"] == msg["id"])
        if found["delivery"] != "queued":
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("the message never left the queue")


async def test_wechat_reply_is_delivered_only_when_wechat_confirmed(stack, rasa_stub):
    headers, ticket, tid = await handoff_on(stack, "wechat")
    cid = ticket.conversation_id
    found = await reply_state(stack, headers, tid, "您好,我来帮您查")
    assert (found["delivery"], found["delivery_reason"]) == ("delivered", None)
    assert rasa_stub.wechat_sent == [{"openid": cid, "text": "您好,我来帮您查"}]
    # in the transcript, recorded without side effects (Rasa must not send it a second time)
    call = rasa_stub.calls[-1]
    assert call["query"]["execute_side_effects"] == "false"
    assert rasa_stub.bot_texts(cid) == ["您好,我来帮您查"]


@pytest.mark.parametrize("answer,reason", [
    ((409, {"ok": False, "sent": 0, "reason": "outside_window"}), "outside_window"),
    ((409, {"ok": False, "sent": 0, "reason": "quota_exhausted"}), "quota_exhausted"),
    ((502, {"ok": False, "sent": 0, "reason": "api_error"}), "channel_error"),
])
async def test_wechat_refusals_are_failed_with_the_reason(stack, rasa_stub, answer, reason):
    headers, ticket, tid = await handoff_on(stack, "wechat")
    rasa_stub.wechat_answer = answer
    found = await reply_state(stack, headers, tid, "这条发不出去")
    assert (found["delivery"], found["delivery_reason"]) == ("failed", reason)
    assert rasa_stub.wechat_sent == []
    # the next message is not blocked by the failed one
    rasa_stub.wechat_answer = (200, {"ok": True, "sent": 1})
    later = await reply_state(stack, headers, tid, "顾客回复后再发")
    assert later["delivery"] == "delivered"


async def test_app_without_callback_is_failed_not_delivered(stack, rasa_stub):
    headers, ticket, tid = await handoff_on(stack, "app")
    found = await reply_state(stack, headers, tid, "App 顾客收不到")
    assert (found["delivery"], found["delivery_reason"]) == ("failed", "no_callback")
    assert rasa_stub.calls[-1]["query"]["execute_side_effects"] == "false"


async def test_web_reply_is_sent_and_rest_reply_cannot_be_pushed(stack, rasa_stub):
    headers, _, tid = await handoff_on(stack, "socketio")
    assert (await reply_state(stack, headers, tid, "网页"))["delivery"] == "sent"
    headers, _, tid = await handoff_on(stack, "rest", agent="bob")
    found = await reply_state(stack, headers, tid, "REST")
    assert (found["delivery"], found["delivery_reason"]) == ("failed", "no_push_channel")


async def test_wechat_redelivery_after_a_crash_is_not_sent_twice(stack, rasa_stub):
    """WeChat confirmed, then the service died before the tracker append, the outcome in SQL
    and the ack: the markers in Redis keep the re-delivered entry from being sent again."""
    headers, ticket, tid = await handoff_on(stack, "wechat")
    item = {"kind": "agent_message", "conversation_id": ticket.conversation_id,
            "text": "只发一次", "relay_id": "msg:crashed-1", "channel": "wechat",
            "message_id": 0, "ticket_id": tid}
    first = await stack.service.delivery.agent_message(item, redelivered=False)
    assert first.state == "delivered"
    stack.service.delivery.outcomes.items.clear()  # a new process: only Redis remembers
    rasa_stub.trackers[ticket.conversation_id] = []  # the append never happened
    assert await stack.service.delivery.agent_message(item, redelivered=True) is None
    # ...and the outcome was not recorded either:
    await stack.service.redis.delete(f"{stack.settings.redis_prefix}:relayed:msg:crashed-1")
    outcome = await stack.service.delivery.agent_message(item, redelivered=True)
    assert outcome.state == "delivered"
    assert len([m for m in rasa_stub.wechat_sent if m.get("text") == "只发一次"]) == 1


async def test_markers_are_deleted_once_the_outcome_is_in_sql(stack, rasa_stub):
    headers, ticket, tid = await handoff_on(stack, "wechat")
    first = await reply_state(stack, headers, tid, "记下之后不占 Redis")
    assert first["delivery"] == "delivered"
    prefix = stack.settings.redis_prefix
    for _ in range(50):
        left = await stack.service.redis.exists(f"{prefix}:relayed:msg:{first['id']}",
                                                f"{prefix}:wechat-sent:msg:{first['id']}")
        if not left:
            break
        await asyncio.sleep(0.1)
    assert left == 0


class RedisDiesOnSet:
    """The real Redis, except that it goes away at the first marker write (as when Redis is
    SIGKILLed between WeChat's confirmation and the marker)."""

    def __init__(self, redis):
        self.redis, self.failed = redis, False

    def __getattr__(self, name):
        return getattr(self.redis, name)

    async def set(self, *args, **kwargs):
        if not self.failed:
            self.failed = True
            from redis.exceptions import ConnectionError
            raise ConnectionError("Connection refused")
        return await self.redis.set(*args, **kwargs)


async def test_wechat_reply_confirmed_just_before_redis_died_is_not_sent_again(stack, rasa_stub):
    headers, ticket, tid = await handoff_on(stack, "wechat")
    delivery = stack.service.delivery
    item = {"kind": "agent_message", "conversation_id": ticket.conversation_id,
            "text": "Redis 挂了也只发一次", "relay_id": "msg:redis-died", "channel": "wechat",
            "message_id": 0, "ticket_id": tid}
    real = delivery.redis
    delivery.redis = RedisDiesOnSet(real)
    try:
        with pytest.raises(Exception):
            await delivery.agent_message(item, redelivered=False)  # the entry stays pending
        sent = [m for m in rasa_stub.wechat_sent if m.get("text") == item["text"]]
        assert len(sent) == 1
        outcome = await delivery.agent_message(item, redelivered=True)  # Redis is back
    finally:
        delivery.redis = real
    assert outcome.state == "delivered"
    assert len([m for m in rasa_stub.wechat_sent if m.get("text") == item["text"]]) == 1
    assert await real.exists(f"{stack.settings.redis_prefix}:relayed:msg:redis-died")
    assert await delivery.agent_message(item, redelivered=True) is None


async def test_redelivery_after_the_markers_expired_is_not_sent_again(stack, rasa_stub):
    """The Redis markers last an hour; later, the delivery state in SQL says it was handled."""
    headers, ticket, tid = await handoff_on(stack, "wechat")
    first = await reply_state(stack, headers, tid, "一小时后又来一次")
    assert first["delivery"] == "delivered"
    prefix = stack.settings.redis_prefix
    await stack.service.redis.delete(f"{prefix}:relayed:msg:{first['id']}",
                                     f"{prefix}:wechat-sent:msg:{first['id']}")
    rasa_stub.trackers[ticket.conversation_id] = []
    item = {"kind": "agent_message", "conversation_id": ticket.conversation_id,
            "text": "一小时后又来一次", "relay_id": f"msg:{first['id']}", "channel": "wechat",
            "message_id": first["id"], "ticket_id": tid}
    await stack.service.handle_relay("0-1", item, redelivered=True)
    assert len([m for m in rasa_stub.wechat_sent if m.get("text") == item["text"]]) == 1
    assert await stack.service.redis.ttl(f"{prefix}:relayed:msg:{first['id']}") == -2
