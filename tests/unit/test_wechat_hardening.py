"""WeChat request hardening over real HTTP: strict safe mode, single-use nonces, a parser that
refuses DTDs in any encoding, and MsgId claims released when a turn fails (at-least-once).
The same attacks run against the whole stack in tests/e2e/test_wechat_attacks_e2e.py."""
from __future__ import annotations

import asyncio
from typing import AsyncIterator

import pytest
from rasa.core.channels.channel import UserMessage

from bot.channels.wechat.channel import WeChatConfig, WeChatInput
from bot.channels.wechat.store import FINISHED_PER_SHOPPER, InMemoryStateStore
from tests.unit.channel_harness import FakeBot, serve_channel
from tools.wechat_sim import WeChatSimulator, text_xml
from tools.wechat_standin import CustomerServiceStandIn

TOKEN, APP_ID, SECRET = "frontline-test-token", "wx0123456789abcdef", "app-secret-for-tests"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OPENID = "o_hardening"
UTF16_BOMB = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE xml [<!ENTITY a "AAAAAAAAAA">'
              '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><xml><ToUserName>gh</ToUserName>'
              '<FromUserName>o_x</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>'
              '<Content>&b;</Content><MsgId>1</MsgId></xml>')


@pytest.fixture
async def standin() -> AsyncIterator[CustomerServiceStandIn]:
    server = CustomerServiceStandIn(APP_ID, SECRET)
    await server.start()
    yield server
    await server.stop()


def channel(standin: CustomerServiceStandIn, **overrides: object) -> WeChatInput:
    settings = dict(token=TOKEN, app_id=APP_ID, app_secret=SECRET, api_base=standin.base_url,
                    reply_timeout=1.0)
    settings.update(overrides)
    return WeChatInput(WeChatConfig(**settings), store=InMemoryStateStore())  # type: ignore[arg-type]


async def test_plaintext_post_refused_when_an_aes_key_is_set(standin) -> None:
    bot = FakeBot()
    async with serve_channel(channel(standin, aes_key=AES_KEY), bot) as base:
        plain = WeChatSimulator(f"{base}/webhooks/wechat/webhook", TOKEN)  # signed, not sealed
        downgraded = await plain.send_text(OPENID, "退款")
        safe = WeChatSimulator(f"{base}/webhooks/wechat/webhook", TOKEN, APP_ID, AES_KEY)
        sealed = await safe.send_text(OPENID, "退款")
    assert downgraded.status == 403 and sealed.status == 200
    assert bot.texts == ["退款"]  # only the sealed one


async def test_nonce_cannot_carry_another_body(standin) -> None:
    bot = FakeBot()
    async with serve_channel(channel(standin), bot) as base:
        sim = WeChatSimulator(f"{base}/webhooks/wechat/webhook", TOKEN)
        query, body = sim.build(text_xml(OPENID, sim.account, "查订单", "5001"), OPENID)
        first = await sim.post_raw(query, body)
        retry = await sim.post_raw(query, body)  # WeChat's own retry: same body, answered once
        forged = await sim.post_raw(query, text_xml("o_victim", sim.account, "取消订单", "5002"))
    assert first.status == 200 and (retry.status, retry.body) == (200, "success")
    assert forged.status == 403
    assert bot.texts == ["查订单"] and all(t.sender_id == OPENID for t in bot.turns)


async def test_nonce_replay_refused_in_safe_mode_too(standin) -> None:
    bot = FakeBot()
    async with serve_channel(channel(standin, aes_key=AES_KEY), bot) as base:
        sim = WeChatSimulator(f"{base}/webhooks/wechat/webhook", TOKEN, APP_ID, AES_KEY)
        query, body = sim.build(text_xml(OPENID, sim.account, "你好", "6001"), OPENID)
        assert (await sim.post_raw(query, body)).status == 200
        _, other = sim.build(text_xml(OPENID, sim.account, "取消订单", "6002"), OPENID)
        replay = await sim.post_raw(query, other)
    assert replay.status == 403 and bot.texts == ["你好"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
async def test_utf16_xml_with_entities_is_refused(standin, encoding: str) -> None:
    bot = FakeBot()
    async with serve_channel(channel(standin), bot) as base:
        sim = WeChatSimulator(f"{base}/webhooks/wechat/webhook", TOKEN)
        result = await sim.post_raw(sim.signed_query(openid=OPENID), UTF16_BOMB.encode(encoding))
    assert result.status == 400 and bot.turns == []


class FailsOnce(FakeBot):
    async def __call__(self, message: UserMessage) -> None:
        self.turns.append(message)
        if len(self.turns) == 1:
            raise RuntimeError("the tracker store went away")
        for answer in self.answers:
            await message.output_channel.send_response(message.sender_id, dict(answer))


async def test_failed_turn_releases_its_msgid_for_wechats_retry(standin) -> None:
    bot = FailsOnce()
    async with serve_channel(channel(standin), bot) as base:
        sim = WeChatSimulator(f"{base}/webhooks/wechat/webhook", TOKEN)
        failed = await sim.send_text(OPENID, "我要退款", msg_id="7001")
        retried = await sim.send_text(OPENID, "我要退款", msg_id="7001")
        again = await sim.send_text(OPENID, "我要退款", msg_id="7001")
    assert failed.status == 500  # WeChat retries a failed delivery
    assert retried.status == 200 and retried.reply is not None
    assert again.body == "success"  # done now: later retries are duplicates
    assert bot.texts == ["我要退款", "我要退款"]


async def test_a_crashed_workers_claim_runs_out(standin) -> None:
    bot = FakeBot()
    wechat = channel(standin, claim_lease=1)
    async with serve_channel(wechat, bot) as base:
        sim = WeChatSimulator(f"{base}/webhooks/wechat/webhook", TOKEN)
        # a worker claimed the message, then died before finishing it
        assert await wechat.store.claim_message(OPENID, "msg:8001", wechat.config.claim_lease)
        during = await sim.send_text(OPENID, "人呢", msg_id="8001")
        await asyncio.sleep(1.2)
        after = await sim.send_text(OPENID, "人呢", msg_id="8001")
    assert during.body == "success" and after.reply is not None
    assert bot.texts == ["人呢"]


async def test_a_forged_body_cannot_burn_the_nonce_of_wechats_request(standin) -> None:
    bot = FakeBot()
    async with serve_channel(channel(standin, aes_key=AES_KEY), bot) as base:
        sim = WeChatSimulator(f"{base}/webhooks/wechat/webhook", TOKEN, APP_ID, AES_KEY)
        query, body = sim.build(text_xml(OPENID, sim.account, "你好", "6101"), OPENID)
        _, other = sim.build(text_xml(OPENID, sim.account, "取消订单", "6102"), OPENID)
        first = await sim.post_raw(query, other)  # raced ahead, but msg_signature does not match
        real = await sim.post_raw(query, body)
    assert first.status == 403 and real.status == 200 and bot.texts == ["你好"]


async def test_safe_mode_keeps_no_record_per_request_and_a_replay_is_still_one_turn(standin) -> None:
    """msg_signature binds timestamp and nonce to the body: no nonce record is needed, and the
    same sealed request again (a retry, or a replay inside the clock skew) meets its MsgId."""
    bot = FakeBot()
    wechat = channel(standin, aes_key=AES_KEY)
    async with serve_channel(wechat, bot) as base:
        sim = WeChatSimulator(f"{base}/webhooks/wechat/webhook", TOKEN, APP_ID, AES_KEY)
        query, body = sim.build(text_xml(OPENID, sim.account, "在吗", "6201"), OPENID)
        first = await sim.post_raw(query, body)
        replay = await sim.post_raw(query, body)
    assert first.status == 200 and (replay.status, replay.body) == (200, "success")
    assert bot.texts == ["在吗"]
    assert not [key for key in wechat.store._values if key.startswith(("nonce:", "claim:"))]
    assert list(wechat.store.finished[OPENID]) == ["msg:6201"]


async def test_finished_msgids_per_shopper_are_capped_oldest_first() -> None:
    store = InMemoryStateStore()
    for n in range(FINISHED_PER_SHOPPER + 5):
        assert await store.claim_message(OPENID, f"msg:{n}", 9)
        await store.finish_message(OPENID, f"msg:{n}", 900)
    assert len(store.finished[OPENID]) == FINISHED_PER_SHOPPER
    assert not await store.claim_message(OPENID, f"msg:{FINISHED_PER_SHOPPER + 4}", 9)
    assert await store.claim_message(OPENID, "msg:0", 9)  # made room for newer ones
