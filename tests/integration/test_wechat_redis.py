"""WeChat channel on the real Redis: MsgId de-duplication across workers, the shared access-token
cache and its refresh before expiry, buttons and the customer-service window/quota."""
from __future__ import annotations

import asyncio
import os
import time
import uuid
from typing import AsyncIterator

import pytest
import redis.asyncio as aioredis

from bot.channels.wechat.api import CustomerServiceClient
from bot.channels.wechat.channel import WeChatConfig, WeChatInput
from bot.channels.wechat.store import FINISHED_PER_SHOPPER, RedisStateStore
from tests.unit.channel_harness import FakeBot, serve_channel
from tools.wechat_sim import WeChatSimulator, text_xml
from tools.wechat_standin import CustomerServiceStandIn

pytestmark = pytest.mark.integration

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TOKEN, APP_ID, SECRET = "frontline-it-token", "wxintegration0001", "it-app-secret"
AES_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210abcdefg"
OPENID = "o_integration_shopper"


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    value = f"test:wechat:{uuid.uuid4().hex}:"
    yield value
    client = aioredis.from_url(REDIS_URL)
    keys = [k async for k in client.scan_iter(match=value + "*")]
    if keys:
        await client.delete(*keys)
    await client.close()


@pytest.fixture
async def standin() -> AsyncIterator[CustomerServiceStandIn]:
    server = CustomerServiceStandIn(APP_ID, SECRET)
    await server.start()
    yield server
    await server.stop()


def worker(prefix: str, standin: CustomerServiceStandIn, **overrides: object) -> WeChatInput:
    settings = dict(token=TOKEN, app_id=APP_ID, app_secret=SECRET, aes_key=AES_KEY,
                    api_base=standin.base_url, redis_url=REDIS_URL, key_prefix=prefix, reply_timeout=0.5)
    settings.update(overrides)
    return WeChatInput(WeChatConfig(**settings))  # type: ignore[arg-type]


async def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_store_primitives(prefix: str) -> None:
    store = RedisStateStore(REDIS_URL, prefix)
    raw = aioredis.from_url(REDIS_URL, decode_responses=True)
    try:
        assert await store.claim_message(OPENID, "msg:42", 9) is True
        assert await store.claim_message(OPENID, "msg:42", 9) is False  # running elsewhere
        assert 0 < await raw.ttl(prefix + "claim:msg:42") <= 9
        await store.finish_message(OPENID, "msg:42", 900)
        assert await store.claim_message(OPENID, "msg:42", 9) is False  # done: a duplicate
        assert await raw.exists(prefix + "claim:msg:42") == 0  # the claim ended with the turn
        assert 890 < await raw.ttl(prefix + f"dedup:{OPENID}") <= 902
        await store.save_buttons(OPENID, [{"title": "是", "payload": "/affirm"}], 60)
        assert await store.get_buttons(OPENID) == [{"title": "是", "payload": "/affirm"}]
        assert await store.consume_quota(OPENID) == "outside_window"
        await store.open_window(OPENID, 2, 2)
        assert [await store.consume_quota(OPENID) for _ in range(3)] == ["ok", "ok", "quota_exhausted"]
        await store.open_window(OPENID, 2, 2)  # a new shopper message restores the quota
        assert await store.consume_quota(OPENID) == "ok"
        await asyncio.sleep(2.1)
        assert await store.consume_quota(OPENID) == "outside_window"
    finally:
        await store.close()
        await raw.close()


async def test_same_msgid_three_times_across_two_workers_makes_one_turn(
        prefix: str, standin: CustomerServiceStandIn) -> None:
    bot = FakeBot([{"text": "已收到 / Got it"}])
    async with serve_channel(worker(prefix, standin), bot) as base_a, \
            serve_channel(worker(prefix, standin), bot) as base_b:
        sims = [WeChatSimulator(f"{base}/webhooks/wechat/webhook", TOKEN, APP_ID, AES_KEY)
                for base in (base_a, base_b, base_a)]
        results = [await sim.send_text(OPENID, "我要退款", msg_id="7001") for sim in sims]
    assert [r.status for r in results] == [200, 200, 200]
    assert results[0].reply is not None and results[0].reply.content == "已收到 / Got it"
    assert [r.body for r in results[1:]] == ["success", "success"]
    assert bot.texts == ["我要退款"]


async def test_async_path_token_shared_in_redis_and_refreshed_before_expiry(
        prefix: str, standin: CustomerServiceStandIn) -> None:
    standin.token_ttl = 302  # with the 300 s refresh margin the cached token lives 2 s
    raw = aioredis.from_url(REDIS_URL, decode_responses=True)
    bot = FakeBot([{"text": "查询完成：已签收。"}], delay=1.0)
    channel_a, channel_b = worker(prefix, standin), worker(prefix, standin)
    try:
        async with serve_channel(channel_a, bot) as base:
            sim = WeChatSimulator(f"{base}/webhooks/wechat/webhook", TOKEN, APP_ID, AES_KEY)
            result = await sim.send_text(OPENID, "快递签收了吗")
            assert result.body == "success"
            await wait_for(lambda: standin.texts_for(OPENID))
        assert standin.texts_for(OPENID) == ["查询完成：已签收。"]
        token_key = f"{prefix}{APP_ID}:access_token"
        assert 0 < await raw.ttl(token_key) <= 2 and standin.token_requests == 1
        # The second worker reuses the cached token instead of fetching (and invalidating) one.
        assert (await channel_b.send_agent_message(OPENID, "客服：还有其他问题吗？"))[0].ok
        assert standin.token_requests == 1
        await asyncio.sleep(2.2)  # cache entry gone before WeChat's expiry: next send refreshes
        assert await raw.get(token_key) is None
        assert (await channel_b.send_agent_message(OPENID, "客服：祝您购物愉快"))[0].ok
        assert standin.token_requests == 2
    finally:
        await channel_b.client.close()
        await channel_b.store.close()
        await raw.close()


async def test_buttons_kept_in_redis_map_digit_across_workers(
        prefix: str, standin: CustomerServiceStandIn) -> None:
    bot = FakeBot([{"text": "请评分 / Rate us", "buttons": [{"title": str(i), "payload": f"/csat_score{{\"score\":{i}}}"}
                                                          for i in range(1, 6)]}])
    async with serve_channel(worker(prefix, standin), bot) as base_a, \
            serve_channel(worker(prefix, standin), bot) as base_b:
        await WeChatSimulator(f"{base_a}/webhooks/wechat/webhook", TOKEN, APP_ID, AES_KEY).send_text(OPENID, "结束")
        await WeChatSimulator(f"{base_b}/webhooks/wechat/webhook", TOKEN, APP_ID, AES_KEY).send_text(OPENID, "5")
    assert bot.texts == ["结束", '/csat_score{"score":5}']


async def test_cs_client_quota_enforced_through_redis(prefix: str, standin: CustomerServiceStandIn) -> None:
    store = RedisStateStore(REDIS_URL, prefix)
    client = CustomerServiceClient(APP_ID, SECRET, store, standin.base_url)
    try:
        await store.open_window(OPENID, 48 * 3600, 5)
        results = await asyncio.gather(*[client.send_text(OPENID, f"消息{i}") for i in range(8)])
        assert sum(r.ok for r in results) == 5  # concurrent senders cannot overspend the quota
        assert len(standin.texts_for(OPENID)) == 5
    finally:
        await client.close()
        await store.close()


async def test_nonce_replay_across_workers_refused_and_claims_are_leases(
        prefix: str, standin: CustomerServiceStandIn) -> None:
    bot = FakeBot([{"text": "好的"}])
    raw = aioredis.from_url(REDIS_URL, decode_responses=True)
    try:
        async with serve_channel(worker(prefix, standin), bot) as base_a, \
                serve_channel(worker(prefix, standin), bot) as base_b:
            sim_a = WeChatSimulator(f"{base_a}/webhooks/wechat/webhook", TOKEN, APP_ID, AES_KEY)
            sim_b = WeChatSimulator(f"{base_b}/webhooks/wechat/webhook", TOKEN, APP_ID, AES_KEY)
            query, body = sim_a.build(text_xml(OPENID, sim_a.account, "查订单", "9101"), OPENID)
            assert (await sim_a.post_raw(query, body)).status == 200
            _, other = sim_a.build(text_xml("o_victim", sim_a.account, "取消订单", "9102"), OPENID)
            assert (await sim_b.post_raw(query, other)).status == 403  # the other worker knows
            plain = WeChatSimulator(f"{base_b}/webhooks/wechat/webhook", TOKEN)
            assert (await plain.send_text(OPENID, "明文")).status == 403  # no downgrade
        assert bot.texts == ["查订单"]
        finished = prefix + f"{APP_ID}:dedup:{OPENID}"
        assert await raw.zscore(finished, "msg:9101") > time.time() + 890
        assert 890 < await raw.ttl(finished) <= 902
        store = RedisStateStore(REDIS_URL, prefix)
        assert await store.claim_message(OPENID, "msg:9200", 9)
        await store.release_message(OPENID, "msg:9200")
        assert await store.claim_message(OPENID, "msg:9200", 9)  # released: claimable again
        await store.close()
    finally:
        await raw.close()


async def test_finished_msgids_are_one_bounded_set_per_shopper(
        prefix: str, standin: CustomerServiceStandIn) -> None:
    """Many messages leave one key per shopper, capped, and no key per message (safe mode
    keeps no nonce record); a duplicate of a recent message is still answered once."""
    bot = FakeBot([{"text": "好的"}])
    raw = aioredis.from_url(REDIS_URL, decode_responses=True)
    try:
        async with serve_channel(worker(prefix, standin), bot) as base:
            sim = WeChatSimulator(f"{base}/webhooks/wechat/webhook", TOKEN, APP_ID, AES_KEY)
            for n in range(12):
                assert (await sim.send_text(OPENID, f"第{n}条", msg_id=f"93{n:02d}")).status == 200
            copy = await sim.send_text(OPENID, "第11条", msg_id="9311")  # WeChat's retry
        assert copy.body == "success" and len(bot.texts) == 12
        kinds = [k.removeprefix(prefix).split(":")[1] async for k in raw.scan_iter(match=prefix + "*")]
        # per shopper (dedup, window) or per account (access_token), never per message
        assert sorted(kinds) in (["dedup", "window"], ["access_token", "dedup", "window"]), kinds
        assert await raw.zcard(prefix + f"{APP_ID}:dedup:{OPENID}") == 12

        store = RedisStateStore(REDIS_URL, prefix)
        try:
            for n in range(FINISHED_PER_SHOPPER + 40):
                assert await store.claim_message("o_chatty", f"msg:{n}", 9)
                await store.finish_message("o_chatty", f"msg:{n}", 900)
            assert await raw.zcard(prefix + "dedup:o_chatty") == FINISHED_PER_SHOPPER
            # still Redis's compact encoding: tens of bytes per record, not a key's hundred
            assert await raw.object("encoding", prefix + "dedup:o_chatty") in ("ziplist", "listpack")
            assert not [k async for k in raw.scan_iter(match=prefix + "claim:*")]
            newest = f"msg:{FINISHED_PER_SHOPPER + 39}"
            assert not await store.claim_message("o_chatty", newest, 9)  # still a duplicate
            assert await store.claim_message("o_chatty", "msg:0", 9)  # the oldest made room
        finally:
            await store.close()
    finally:
        await raw.close()
