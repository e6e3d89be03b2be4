"""The WeChat InputChannel over real HTTP (Sanic on a free port), with the simulator and the
customer-service API stand-in. State is in-process here; tests/integration repeats the key
paths on real Redis."""
from __future__ import annotations

import asyncio
import logging
import time
from typing import AsyncIterator

import aiohttp
import pytest

from bot.channels.wechat.channel import IMAGE_PAYLOAD, VOICE_REPLY, WeChatConfig, WeChatInput
from bot.channels.wechat.store import InMemoryStateStore
from tests.unit.channel_harness import FakeBot, serve_channel
from tools.wechat_sim import WeChatSimulator, text_xml
from tools.wechat_standin import CustomerServiceStandIn

TOKEN, APP_ID, SECRET = "frontline-test-token", "wx0123456789abcdef", "app-secret-for-tests"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OPENID = "o_test_shopper"


@pytest.fixture
async def standin() -> AsyncIterator[CustomerServiceStandIn]:
    server = CustomerServiceStandIn(APP_ID, SECRET)
    await server.start()
    yield server
    await server.stop()


def make_channel(standin: CustomerServiceStandIn, **overrides: object) -> WeChatInput:
    settings = dict(token=TOKEN, app_id=APP_ID, app_secret=SECRET, api_base=standin.base_url,
                    relay_secret="relay-secret-for-tests", reply_timeout=1.0)
    settings.update(overrides)
    return WeChatInput(WeChatConfig(**settings), store=InMemoryStateStore())  # type: ignore[arg-type]


async def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_url_verification_echoes_only_when_signed(standin: CustomerServiceStandIn) -> None:
    async with serve_channel(make_channel(standin), FakeBot()) as base:
        sim = WeChatSimulator(f"{base}/webhooks/wechat/webhook", TOKEN)
        ok = await sim.verify_url("echo-123")
        assert (ok.status, ok.body) == (200, "echo-123")
        forged = await sim.verify_url("echo-123", forge=True)
        assert forged.status == 403 and "echo-123" not in forged.body


async def test_forged_or_stale_post_gets_403_and_nothing_is_processed(standin: CustomerServiceStandIn) -> None:
    bot = FakeBot()
    async with serve_channel(make_channel(standin), bot) as base:
        sim = WeChatSimulator(f"{base}/webhooks/wechat/webhook", TOKEN)
        forged = await sim.post(text_xml(OPENID, sim.account, "退款", "1001"), OPENID, forge=True)
        old = str(int(time.time()) - 3600)  # a captured request replayed an hour later
        query, body = sim.build(text_xml(OPENID, sim.account, "退款", "1002"), OPENID, timestamp=old)
        stale = await sim.post_raw(query, body)
    assert forged.status == 403 and stale.status == 403
    assert bot.turns == []


async def test_malformed_xml_is_400_and_logged(standin: CustomerServiceStandIn, caplog: pytest.LogCaptureFixture) -> None:
    bot = FakeBot()
    async with serve_channel(make_channel(standin), bot) as base:
        sim = WeChatSimulator(f"{base}/webhooks/wechat/webhook", TOKEN)
        with caplog.at_level(logging.WARNING, logger="bot.channels.wechat.channel"):
            result = await sim.post_raw(sim.signed_query(openid=OPENID), "<xml><ToUserName>oops")
    assert result.status == 400 and bot.turns == []
    assert any("malformed WeChat message" in r.getMessage() for r in caplog.records)


async def test_same_msgid_three_times_makes_one_turn(standin: CustomerServiceStandIn) -> None:
    bot = FakeBot()
    async with serve_channel(make_channel(standin), bot) as base:
        sim = WeChatSimulator(f"{base}/webhooks/wechat/webhook", TOKEN)
        results = [await sim.send_text(OPENID, "我的订单到哪了", msg_id="887766") for _ in range(3)]
    assert [r.status for r in results] == [200, 200, 200]
    assert results[0].reply is not None and [r.body for r in results[1:]] == ["success", "success"]
    assert bot.texts == ["我的订单到哪了"]
    meta = bot.turns[0].metadata
    assert meta["channel"] == "wechat" and meta["openid"] == OPENID and bot.turns[0].sender_id == OPENID


async def test_fast_answer_is_the_passive_reply(standin: CustomerServiceStandIn) -> None:
    bot = FakeBot([{"text": "您的订单已发货。"}, {"text": "Your order has shipped."}])
    async with serve_channel(make_channel(standin), bot) as base:
        sim = WeChatSimulator(f"{base}/webhooks/wechat/webhook", TOKEN)
        result = await sim.send_text(OPENID, "where is my order")
    assert result.reply is not None
    assert result.reply.content == "您的订单已发货。\n\nYour order has shipped."
    assert (result.reply.to_user, result.reply.from_user) == (OPENID, sim.account)
    await asyncio.sleep(0.2)
    assert standin.messages == []  # nothing spent from the customer-service quota


async def test_slow_answer_returns_success_then_goes_through_cs_api(standin: CustomerServiceStandIn) -> None:
    bot = FakeBot([{"text": "查到了：包裹在上海转运中心。"}], delay=1.5)
    async with serve_channel(make_channel(standin, reply_timeout=0.5), bot) as base:
        sim = WeChatSimulator(f"{base}/webhooks/wechat/webhook", TOKEN)
        started = time.monotonic()
        result = await sim.send_text(OPENID, "物流到哪了")
        elapsed = time.monotonic() - started
        assert result.body == "success" and elapsed < 1.2  # WeChat got its answer within the window
        await wait_for(lambda: standin.texts_for(OPENID))
    assert standin.texts_for(OPENID) == ["查到了：包裹在上海转运中心。"]
    assert standin.token_requests == 1


async def test_encrypted_round_trip(standin: CustomerServiceStandIn) -> None:
    bot = FakeBot([{"text": "安全模式回复 / safe-mode reply"}])
    async with serve_channel(make_channel(standin, aes_key=AES_KEY), bot) as base:
        sim = WeChatSimulator(f"{base}/webhooks/wechat/webhook", TOKEN, APP_ID, AES_KEY)
        query, body = sim.build(text_xml(OPENID, sim.account, "你好", "5001"), OPENID)
        assert "你好" not in body and query["encrypt_type"] == "aes"
        result = await sim.post_raw(query, body)
        assert "<Encrypt>" in result.body and "safe-mode" not in result.body  # reply is sealed too
        reply = sim.open_reply(result.body)  # verifies MsgSignature, then decrypts
        query["msg_signature"] = "0" * 40
        forged = await sim.post_raw(query, body)
    assert reply is not None and reply.content == "安全模式回复 / safe-mode reply"
    assert bot.texts == ["你好"] and forged.status == 403


async def test_subscribe_is_greeted_and_media_answered_gracefully(standin: CustomerServiceStandIn) -> None:
    bot = FakeBot([{"text": "欢迎关注！Welcome!"}])
    async with serve_channel(make_channel(standin), bot) as base:
        sim = WeChatSimulator(f"{base}/webhooks/wechat/webhook", TOKEN)
        greeted = await sim.subscribe(OPENID)
        image = await sim.send_image(OPENID)
        voice = await sim.send_voice(OPENID)
        recognised = await sim.send_voice(OPENID, recognition="我要退货")
    assert greeted.reply is not None and greeted.reply.content == "欢迎关注！Welcome!"
    assert image.reply is not None and image.reply.content == "欢迎关注！Welcome!"
    assert voice.reply is not None and voice.reply.content == VOICE_REPLY
    assert recognised.reply is not None
    # the picture reaches the assistant as an intent payload with its URL, the voice without
    # recognition does not reach it at all
    assert bot.texts == ["/greet", IMAGE_PAYLOAD, "我要退货"]
    picture = bot.turns[1].metadata
    assert picture["image_url"] == "https://example.invalid/p.jpg" and picture["msg_type"] == "image"
    assert picture["channel"] == "wechat" and picture["openid"] == OPENID


async def test_buttons_numbered_and_typed_digit_mapped_to_payload(standin: CustomerServiceStandIn) -> None:
    bot = FakeBot([{"text": "需要转人工吗？", "buttons": [{"title": "是", "payload": "/affirm"},
                                                     {"title": "否", "payload": "/deny"}]}])
    async with serve_channel(make_channel(standin), bot) as base:
        sim = WeChatSimulator(f"{base}/webhooks/wechat/webhook", TOKEN)
        first = await sim.send_text(OPENID, "投诉")
        await sim.send_text(OPENID, "2")
    assert first.reply is not None and "1. 是\n2. 否" in first.reply.content
    assert bot.texts == ["投诉", "/deny"]


async def test_long_answer_split_passive_first_rest_via_cs(standin: CustomerServiceStandIn) -> None:
    long_text = "\n".join(f"第{i}条：退货政策说明，七天无理由退货。" for i in range(150))
    bot = FakeBot([{"text": long_text}])
    async with serve_channel(make_channel(standin), bot) as base:
        sim = WeChatSimulator(f"{base}/webhooks/wechat/webhook", TOKEN)
        result = await sim.send_text(OPENID, "退货政策")
        await wait_for(lambda: standin.texts_for(OPENID))
    assert result.reply is not None
    parts = [result.reply.content, *standin.texts_for(OPENID)]
    assert all(len(p.encode("utf-8")) <= 2048 for p in parts)
    assert "\n".join(parts) == long_text


async def test_cs_quota_and_48h_window_respected(standin: CustomerServiceStandIn) -> None:
    channel = make_channel(standin)
    never_wrote = await channel.send_agent_message("o_stranger", "营销消息")
    assert [r.reason for r in never_wrote] == ["outside_window"]
    await channel.store.open_window(OPENID, channel.config.message_window, channel.config.message_quota)
    results = [(await channel.send_agent_message(OPENID, f"客服回复 {i}"))[0] for i in range(6)]
    assert [r.ok for r in results] == [True] * 5 + [False] and results[-1].reason == "quota_exhausted"
    assert len(standin.texts_for(OPENID)) == 5 and standin.texts_for("o_stranger") == []
    await channel.client.close()


async def test_relay_endpoint_sends_agent_reply(standin: CustomerServiceStandIn) -> None:
    channel = make_channel(standin)
    async with serve_channel(channel, FakeBot()) as base:
        sim = WeChatSimulator(f"{base}/webhooks/wechat/webhook", TOKEN)
        await sim.send_text(OPENID, "转人工")
        url = f"{base}/webhooks/wechat/send"
        async with aiohttp.ClientSession() as http:
            denied = await http.post(url, json={"openid": OPENID, "text": "hi"},
                                     headers={"Authorization": "Bearer wrong"})
            sent = await http.post(url, json={"openid": OPENID, "text": "您好，我是客服小王。"},
                                   headers={"Authorization": "Bearer relay-secret-for-tests"})
            outside = await http.post(url, json={"openid": "o_other", "text": "hi"},
                                      headers={"Authorization": "Bearer relay-secret-for-tests"})
            assert (denied.status, sent.status, outside.status) == (401, 200, 409)
            assert (await outside.json())["reason"] == "outside_window"
    assert standin.texts_for(OPENID) == ["您好，我是客服小王。"]


async def test_output_channel_and_expired_token_refresh(standin: CustomerServiceStandIn) -> None:
    channel = make_channel(standin)
    await channel.store.open_window(OPENID, 3600, 5)
    output = channel.get_output_channel()
    await output.send_response(OPENID, {"text": "客服已接入", "buttons": [{"title": "好", "payload": "/affirm"}]})
    standin.revoke_tokens()  # WeChat invalidated the cached token: 40001, refresh once, resend
    await output.send_text_message(OPENID, "第二条")
    assert [r.ok for r in output.results] == [True, True] and standin.token_requests == 2
    assert standin.texts_for(OPENID)[0].startswith("客服已接入\n1. 好")
    assert await channel.store.get_buttons(OPENID) == [{"title": "好", "payload": "/affirm"}]
    await channel.client.close()
