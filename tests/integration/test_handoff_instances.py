"""Two handoff-service instances on one PostgreSQL and one Redis, as behind a load balancer:
live events cross instances, claims stay atomic, the relay keeps each conversation's order
while its stream changes hands, the sweep runs on one instance, and a stopping instance
closes its agents' sockets with a reconnect hint."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest

from handoff.config import Settings
from handoff.hub import RESTARTING
from tests.integration.handoff_support import (REDIS_URL, TOKEN, RASA_TOKEN, Stack, make_broker, next_event,
                                               pg_url, prefix, rasa_stub, sample_ticket)  # noqa: F401
from tests.aiohttp_stub import closed_with

pytestmark = pytest.mark.integration


@pytest.fixture
async def pair(pg_url, prefix, rasa_stub):  # noqa: F811
    stacks = []
    for name in ("handoff-a", "handoff-b"):
        settings = Settings(db_url=pg_url, redis_url=REDIS_URL, redis_prefix=prefix, token=TOKEN,
                            port=0, rasa_url=rasa_stub.url, rasa_token=RASA_TOKEN,
                            consumer_name=name, sweep_seconds=3600, silence_seconds=300,
                            lease_seconds=1.5)
        s = Stack(settings)
        await s.start()
        stacks.append(s)
    yield stacks
    for s in stacks:
        await s.close()


async def socket(http, stack, username):
    ws = await http.ws_connect(f"{stack.url}/api/ws", headers=await stack.login(username))
    assert (await ws.receive_json())["type"] == "hello"
    return ws


def user_event(cid: str, text: str, n: int):
    return {"event": "user", "sender_id": cid, "text": text, "timestamp": 4_000_000_000.0 + n,
            "message_id": f"m-{cid}-{n}", "parse_data": {"intent": {"name": "x"}}}


async def test_events_reach_an_agent_on_the_other_instance(pair):
    a, b = pair
    a.agent("ann")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        ws = await socket(http, b, "ann")  # ann's socket is on B
        ticket = sample_ticket()
        status, place = await a.hand_off(ticket)  # the bot's handoff lands on A
        assert status in (200, 201), place
        new = await next_event(ws, "ticket.new")
        assert new["ticket"]["conversation_id"] == ticket.conversation_id
        assert new["origin"] == "handoff-a"
        # ann claims through A; her socket on B hears it once
        headers = await a.login("ann")
        status, _ = await a.call("POST", f"/api/tickets/{place['ticket_id']}/claim", headers=headers)
        assert status == 200
        claimed = await next_event(ws, "ticket.updated")
        assert claimed["change"] == "claimed" and claimed["origin"] == "handoff-a"
        # the shopper's message comes through the events stream, whichever instance reads it
        broker = make_broker(a.settings.redis_prefix)
        broker.publish(user_event(ticket.conversation_id, "还在吗", 1))
        msg = await next_event(ws, "message.new")
        assert msg["message"]["text"] == "还在吗"
        await broker.close()
        with pytest.raises(asyncio.TimeoutError):  # and nothing arrives twice
            await next_event(ws, "message.new", timeout=1.0)


async def test_claims_through_both_instances_have_one_winner(pair):
    a, b = pair
    a.agent("ann")
    a.agent("bob")
    ann, bob = await a.login("ann"), await b.login("bob")
    for _ in range(5):
        _, place = await a.hand_off(sample_ticket())
        path = f"/api/tickets/{place['ticket_id']}/claim"
        results = await asyncio.gather(a.call("POST", path, headers=ann),
                                       b.call("POST", path, headers=bob))
        assert sorted(status for status, _ in results) == [200, 409]


async def test_relay_keeps_order_while_its_consumer_moves_between_instances(pair, rasa_stub):
    a, b = pair
    a.agent("ann")
    _, place = await a.hand_off(sample_ticket())
    tid = place["ticket_id"]
    heads = {a: await a.login("ann"), b: await b.login("ann")}
    status, view = await a.call("POST", f"/api/tickets/{tid}/claim", headers=heads[a])
    assert status == 200
    cid = view["conversation_id"]
    sent = []
    for n in range(30):
        via = a if n % 2 == 0 else b  # the agent's requests alternate between instances
        text = f"回复{n}"
        status, _ = await via.call("POST", f"/api/tickets/{tid}/messages", headers=heads[via],
                                   json={"text": text})
        assert status == 201
        sent.append(text)
        if n == 14:  # the relay's lease holder stops mid-way; the other takes the stream over
            holder = a if "lease:relay" in " ".join(a.service.cluster.consuming()) else b
            await holder.stop()
            await holder.start()
    await rasa_stub.wait_for(lambda: len(rasa_stub.bot_texts(cid)) >= 30, timeout=20)
    await asyncio.sleep(0.5)
    assert rasa_stub.bot_texts(cid) == sent  # each once, in the agent's order


async def test_each_stream_and_the_sweep_run_on_one_instance(pair):
    a, b = pair
    await asyncio.sleep(1.0)
    for name in ("events", "relay"):
        holders = [s for s in pair if any(k.endswith(f"lease:{name}")
                                         for k in s.service.cluster.consuming())]
        assert len(holders) == 1, name
    assert sorted([await a.service.cluster.may_sweep(), await b.service.cluster.may_sweep()]) \
        == [False, True]
    sweeper = a if a.service.cluster.sweep_lease.held else b
    other = b if sweeper is a else a
    await sweeper.stop()  # a stopping instance hands its leases over at once
    assert await other.service.cluster.may_sweep()
    await asyncio.sleep(1.0)
    assert len(other.service.cluster.consuming()) == 2


async def test_a_stopping_instance_tells_its_agents_to_reconnect(pair):
    a, b = pair
    a.agent("ann")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        ws = await socket(http, a, "ann")
        stopping = asyncio.create_task(a.stop())
        assert await closed_with(ws) == RESTARTING
        await stopping
        ws = await socket(http, b, "ann")  # the reconnect lands on the other instance
        _, place = await b.hand_off(sample_ticket())
        assert (await next_event(ws, "ticket.new"))["ticket"]["id"] == place["ticket_id"]


async def test_agents_online_on_either_instance_count_for_queue_placement(pair):
    a, b = pair
    a.agent("ann", queues=["logistics"])
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        ws = await socket(http, b, "ann")
        for _ in range(60):  # presence is refreshed every couple of seconds
            if a.service.hub.online_for("logistics") == 1:
                break
            await asyncio.sleep(0.1)
        assert a.service.hub.online_for("logistics") == 1
        assert a.service.hub.online_for("complaints") == 0
        assert b.service.hub.online_agents() == 1  # counted once on her own instance
        await ws.close()
